package track

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
)

// Provenance records where a run's numbers came from.
type Provenance struct {
	Version   string   `json:"dwm_version"`          // dwm's version string
	GitCommit string   `json:"git_commit,omitempty"` // source commit, if known
	GitDirty  bool     `json:"git_dirty,omitempty"`  // built from modified sources (build info only)
	Host      string   `json:"host"`
	GoVersion string   `json:"go_version"`
	OS        string   `json:"os"`
	Arch      string   `json:"arch"`
	Args      []string `json:"args,omitempty"` // the command line
}

// CollectProvenance describes the current process: the given dwm version,
// the git commit from the binary's build info or, failing that (tests,
// -buildvcs=false builds), from the .git directory above the working
// directory, the host name, Go version, OS, architecture and command line.
func CollectProvenance(version string) Provenance {
	p := Provenance{
		Version:   version,
		GoVersion: runtime.Version(),
		OS:        runtime.GOOS,
		Arch:      runtime.GOARCH,
		Args:      os.Args,
	}
	p.Host, _ = os.Hostname()
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				p.GitCommit = s.Value
			case "vcs.modified":
				p.GitDirty = s.Value == "true"
			}
		}
	}
	if p.GitCommit == "" {
		if wd, err := os.Getwd(); err == nil {
			p.GitCommit = gitHead(wd)
		}
	}
	return p
}

// gitHead returns the commit checked out in the repository containing dir,
// read from the .git files (no git binary needed), or "" if unknown.
func gitHead(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		gitDir := filepath.Join(d, ".git")
		if fi, err := os.Stat(gitDir); err == nil {
			if !fi.IsDir() { // a worktree: ".git" is a file "gitdir: <path>"
				b, err := os.ReadFile(gitDir)
				if err != nil {
					return ""
				}
				gd, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir: ")
				if !ok {
					return ""
				}
				if !filepath.IsAbs(gd) {
					gd = filepath.Join(d, gd)
				}
				gitDir = gd
			}
			return resolveHead(gitDir)
		}
		if parent := filepath.Dir(d); parent == d {
			return ""
		}
	}
}

func resolveHead(gitDir string) string {
	b, err := os.ReadFile(filepath.Join(gitDir, "HEAD"))
	if err != nil {
		return ""
	}
	head := strings.TrimSpace(string(b))
	ref, ok := strings.CutPrefix(head, "ref: ")
	if !ok {
		return head // detached HEAD: the commit itself
	}
	common := gitDir
	if c, err := os.ReadFile(filepath.Join(gitDir, "commondir")); err == nil {
		common = strings.TrimSpace(string(c))
		if !filepath.IsAbs(common) {
			common = filepath.Join(gitDir, common)
		}
	}
	for _, d := range []string{gitDir, common} {
		if b, err := os.ReadFile(filepath.Join(d, ref)); err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	if b, err := os.ReadFile(filepath.Join(common, "packed-refs")); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if sha, name, ok := strings.Cut(strings.TrimSpace(line), " "); ok && name == ref {
				return sha
			}
		}
	}
	return ""
}
