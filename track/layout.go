package track

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// runTimeFormat is the time in a run name: UTC, millisecond resolution, no
// characters a file system or shell could trip on.
const runTimeFormat = "20060102T150405.000Z"

// sanitize maps a name component to letters, digits, '.' and '-', so that
// the "__" separators of a run name stay unambiguous.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

// RunName returns "<env>__<algo>__<seed>__<time>", the name of a run and of
// its directory, e.g. "hopper-medium__iql__0__20250101T120000.000Z". Env and
// algo are reduced to letters, digits, '.' and '-' (others become '-').
func RunName(env, algo string, seed int64, t time.Time) string {
	return sanitize(env) + "__" + sanitize(algo) + "__" + strconv.FormatInt(seed, 10) + "__" + t.UTC().Format(runTimeFormat)
}

// RunDir returns root/RunName(env, algo, seed, t).
func RunDir(root, env, algo string, seed int64, t time.Time) string {
	return filepath.Join(root, RunName(env, algo, seed, t))
}

// ParseRunName splits a name made by RunName (or a path ending in one).
func ParseRunName(name string) (env, algo string, seed int64, t time.Time, err error) {
	base := filepath.Base(name)
	parts := strings.Split(base, "__")
	if len(parts) != 4 {
		return "", "", 0, time.Time{}, fmt.Errorf("run name %q: want <env>__<algo>__<seed>__<time>", base)
	}
	seed, err = strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return "", "", 0, time.Time{}, fmt.Errorf("run name %q: seed %q: %w", base, parts[2], err)
	}
	t, err = time.Parse(runTimeFormat, parts[3])
	if err != nil {
		return "", "", 0, time.Time{}, fmt.Errorf("run name %q: time %q: %w", base, parts[3], err)
	}
	return parts[0], parts[1], seed, t, nil
}
