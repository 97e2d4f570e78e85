// Package slurmtest starts a real one-node Slurm cluster on localhost for
// tests (Debian's slurm-wlm and munge, configured as in
// shared/notes/slurm.md): a private munged on its own socket, slurmctld and
// slurmd in the foreground as children of the test, all state, logs and
// sockets in one temporary directory, and free ports, so that it needs no
// system service and leaves nothing behind. It needs root (slurmd does).
package slurmtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Binaries the cluster needs.
const (
	Slurmctld = "/usr/sbin/slurmctld"
	Slurmd    = "/usr/sbin/slurmd"
	Munged    = "/usr/sbin/munged"
)

// Installed reports whether slurm-wlm's daemons are installed.
func Installed() bool {
	_, err := os.Stat(Slurmctld)
	return err == nil
}

// Cluster is a running one-node cluster.
type Cluster struct {
	// Dir holds everything: slurm.conf, state, spool, logs, munge socket.
	Dir string
	// Conf is the slurm.conf path; every Slurm command needs SLURM_CONF.
	Conf string
	// Started is how long Start took until the node was idle.
	Started time.Duration

	munged, ctld, slurmd *exec.Cmd
	waits                map[*exec.Cmd]chan error
}

// Env returns the environment entries Slurm commands need.
func (c *Cluster) Env() []string { return []string{"SLURM_CONF=" + c.Conf} }

// Start brings up munged, slurmctld and slurmd and waits until the node is
// idle. On error everything started is stopped again and the error says
// which step failed, with the tail of its log.
func Start() (c *Cluster, err error) {
	t0 := time.Now()
	if os.Geteuid() != 0 {
		return nil, errors.New("slurmtest: needs root (slurmd runs jobs as their users)")
	}
	for _, b := range []string{Slurmctld, Slurmd, Munged} {
		if _, err := os.Stat(b); err != nil {
			return nil, fmt.Errorf("slurmtest: %s missing (scripts/deps.sh test installs slurm-wlm and munge)", b)
		}
	}
	for _, b := range []string{"munge", "unmunge", "sinfo", "scontrol", "sbatch", "squeue"} {
		if _, err := exec.LookPath(b); err != nil {
			return nil, fmt.Errorf("slurmtest: %s not in PATH: %w", b, err)
		}
	}
	dir, err := os.MkdirTemp("", "dwm-slurm-")
	if err != nil {
		return nil, fmt.Errorf("slurmtest: %w", err)
	}
	c = &Cluster{Dir: dir, Conf: filepath.Join(dir, "slurm.conf"), waits: map[*exec.Cmd]chan error{}}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	// munged runs as the munge user and must traverse the directory.
	if err := os.Chmod(dir, 0o755); err != nil {
		return c, fmt.Errorf("slurmtest: %w", err)
	}
	if err := c.startMunge(); err != nil {
		return c, err
	}
	if err := c.writeConf(); err != nil {
		return c, err
	}
	env := append(os.Environ(), c.Env()...)
	c.ctld = exec.Command(Slurmctld, "-D", "-i", "-f", c.Conf)
	c.slurmd = exec.Command(Slurmd, "-D", "-f", c.Conf)
	for _, p := range []struct {
		cmd *exec.Cmd
		log string
	}{{c.ctld, "slurmctld.out"}, {c.slurmd, "slurmd.out"}} {
		p.cmd.Env = env
		p.cmd.Dir = dir
		if err := c.start(p.cmd, filepath.Join(dir, p.log)); err != nil {
			return c, err
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		for cmd, name := range map[*exec.Cmd]string{c.ctld: "slurmctld", c.slurmd: "slurmd"} {
			if c.exited(cmd) {
				return c, fmt.Errorf("slurmtest: %s exited at start:\n%s", name, tail(filepath.Join(dir, name+".log"), filepath.Join(dir, name+".out")))
			}
		}
		out, _ := c.Command("sinfo", "-h", "-o", "%T").Output()
		last = strings.TrimSpace(string(out))
		if last == "idle" {
			c.Started = time.Since(t0)
			return c, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return c, fmt.Errorf("slurmtest: node not idle after 20 s (sinfo says %q):\n%s", last,
		tail(filepath.Join(dir, "slurmctld.log"), filepath.Join(dir, "slurmd.log")))
}

// Command returns a Slurm command (sbatch, squeue, …) aimed at the cluster.
func (c *Cluster) Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), c.Env()...)
	return cmd
}

func (c *Cluster) start(cmd *exec.Cmd, logPath string) error {
	f, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("slurmtest: %w", err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("slurmtest: start %s: %w", cmd.Path, err)
	}
	ch := make(chan error, 1)
	go func() { ch <- cmd.Wait(); f.Close() }()
	c.waits[cmd] = ch
	return nil
}

// exited reports whether cmd has exited (without consuming its result for
// good: the result is put back).
func (c *Cluster) exited(cmd *exec.Cmd) bool {
	ch := c.waits[cmd]
	select {
	case err := <-ch:
		ch <- err
		return true
	default:
		return false
	}
}

// wait waits up to d for cmd to exit.
func (c *Cluster) wait(cmd *exec.Cmd, d time.Duration) bool {
	ch, ok := c.waits[cmd]
	if !ok {
		return true
	}
	select {
	case err := <-ch:
		ch <- err
		return true
	case <-time.After(d):
		return false
	}
}

func (c *Cluster) startMunge() error {
	mu, err := user.Lookup("munge")
	if err != nil {
		return fmt.Errorf("slurmtest: munge user: %w", err)
	}
	uid, _ := strconv.ParseUint(mu.Uid, 10, 32)
	gid, _ := strconv.ParseUint(mu.Gid, 10, 32)
	md := filepath.Join(c.Dir, "munge")
	if err := os.Mkdir(md, 0o755); err != nil {
		return fmt.Errorf("slurmtest: %w", err)
	}
	if err := os.Chown(md, int(uid), int(gid)); err != nil {
		return fmt.Errorf("slurmtest: %w", err)
	}
	key := "/etc/munge/munge.key"
	if _, err := os.Stat(key); err != nil { // no system key: make our own
		key = filepath.Join(md, "munge.key")
		if out, err := exec.Command("mungekey", "--create", "--keyfile="+key).CombinedOutput(); err != nil {
			return fmt.Errorf("slurmtest: mungekey: %w: %s", err, out)
		}
		if err := os.Chown(key, int(uid), int(gid)); err != nil {
			return fmt.Errorf("slurmtest: %w", err)
		}
	}
	sock := filepath.Join(md, "munge.sock")
	c.munged = exec.Command(Munged, "-F", "-S", sock, "--key-file="+key, "--pid-file="+filepath.Join(md, "munged.pid"),
		"--log-file="+filepath.Join(md, "munged.log"), "--seed-file="+filepath.Join(md, "munged.seed"))
	c.munged.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	if err := c.start(c.munged, filepath.Join(c.Dir, "munged.out")); err != nil {
		return err
	}
	for range 100 {
		if c.exited(c.munged) {
			break
		}
		cred, err := exec.Command("munge", "-n", "-S", sock).Output()
		if err == nil {
			un := exec.Command("unmunge", "-S", sock)
			un.Stdin = bytes.NewReader(cred)
			if un.Run() == nil {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("slurmtest: munged did not answer:\n%s", tail(filepath.Join(c.Dir, "munged.out")))
}

// freePort returns a TCP port nothing listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (c *Cluster) writeConf() error {
	host, err := os.Hostname()
	if err != nil {
		return fmt.Errorf("slurmtest: %w", err)
	}
	short, _, _ := strings.Cut(host, ".")
	out, err := exec.Command(Slurmd, "-C").Output()
	if err != nil {
		return fmt.Errorf("slurmtest: slurmd -C: %w", err)
	}
	node, _, _ := strings.Cut(string(out), "\n")
	if !strings.HasPrefix(node, "NodeName=") {
		return fmt.Errorf("slurmtest: slurmd -C printed %q, want a NodeName= line", node)
	}
	p1, err := freePort()
	if err != nil {
		return fmt.Errorf("slurmtest: %w", err)
	}
	p2, err := freePort()
	if err != nil {
		return fmt.Errorf("slurmtest: %w", err)
	}
	for _, d := range []string{"state", "spool"} {
		if err := os.Mkdir(filepath.Join(c.Dir, d), 0o755); err != nil {
			return fmt.Errorf("slurmtest: %w", err)
		}
	}
	d := c.Dir
	conf := fmt.Sprintf(`# One-node test cluster (dwm sweep/internal/slurmtest; see shared/notes/slurm.md).
ClusterName=dwmtest
SlurmctldHost=%s(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=%s
MpiDefault=none
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=%s/jobcomp.txt
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=%s/state
SlurmdSpoolDir=%s/spool
SlurmctldPidFile=%s/slurmctld.pid
SlurmdPidFile=%s/slurmd.pid
SlurmctldLogFile=%s/slurmctld.log
SlurmdLogFile=%s/slurmd.log
SlurmctldPort=%d
SlurmdPort=%d
MinJobAge=300
%s NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
`, short, filepath.Join(d, "munge", "munge.sock"), d, d, d, d, d, d, d, p1, p2, strings.TrimSpace(node))
	if err := os.WriteFile(c.Conf, []byte(conf), 0o644); err != nil {
		return fmt.Errorf("slurmtest: %w", err)
	}
	return nil
}

// Stop shuts the cluster down (scontrol shutdown, then munged), waits for
// every daemon to exit, checks that no process of the cluster or its jobs
// is left, and removes Dir. It returns an error describing anything that
// did not stop.
func (c *Cluster) Stop() error {
	var errs []error
	if c.ctld != nil && !c.exited(c.ctld) {
		// Cancel whatever still runs (a failed test), so no job outlives
		// the cluster, and give the steps a moment to end.
		if u, err := user.Current(); err == nil {
			c.Command("scancel", "-u", u.Username).Run()
		}
		for range 50 {
			out, err := c.Command("squeue", "-h", "-o", "%i").Output()
			if err != nil || strings.TrimSpace(string(out)) == "" {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		// A loaded machine can make the controller slow to answer: retry.
		var out []byte
		var err error
		for try := 0; try < 5; try++ {
			if out, err = c.Command("scontrol", "shutdown").CombinedOutput(); err == nil {
				break
			}
			time.Sleep(time.Second)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("scontrol shutdown: %w: %s", err, out))
		}
	}
	for _, cmd := range []*exec.Cmd{c.ctld, c.slurmd} {
		if cmd == nil || cmd.Process == nil {
			continue
		}
		if !c.wait(cmd, 30*time.Second) {
			errs = append(errs, fmt.Errorf("%s did not stop within 30 s of scontrol shutdown; killed", cmd.Path))
			cmd.Process.Signal(syscall.SIGTERM)
			if !c.wait(cmd, 3*time.Second) {
				cmd.Process.Kill()
				c.wait(cmd, 3*time.Second)
			}
		}
	}
	if c.munged != nil && c.munged.Process != nil {
		c.munged.Process.Signal(syscall.SIGTERM)
		if !c.wait(c.munged, 15*time.Second) {
			errs = append(errs, errors.New("munged did not stop within 15 s of SIGTERM; killed"))
			c.munged.Process.Kill()
			c.wait(c.munged, 3*time.Second)
		}
	}
	// Our daemons were reaped by Wait; look for anything else of ours (job
	// steps, job processes: they carry Dir in their command line or
	// environment), giving orphans a moment to be reaped by init.
	var left []string
	for range 100 {
		left = leftovers(c.Dir)
		if len(left) == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(left) > 0 {
		errs = append(errs, fmt.Errorf("processes left after shutdown (now killed): %s", strings.Join(left, "; ")))
		for _, l := range left {
			pid, _, _ := strings.Cut(l, " ")
			if n, err := strconv.Atoi(pid); err == nil {
				syscall.Kill(n, syscall.SIGKILL)
			}
		}
	}
	if len(errs) == 0 && c.Dir != "" {
		os.RemoveAll(c.Dir)
	}
	if len(errs) > 0 {
		return fmt.Errorf("slurmtest: stop (files kept in %s): %w", c.Dir, errors.Join(errs...))
	}
	return nil
}

// leftovers lists processes (pid, state, command) whose command line or
// environment mentions dir, other than this process.
func leftovers(dir string) []string {
	ents, _ := os.ReadDir("/proc")
	var out []string
	self := os.Getpid()
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		p := filepath.Join("/proc", e.Name())
		cmdline, _ := os.ReadFile(filepath.Join(p, "cmdline"))
		environ, _ := os.ReadFile(filepath.Join(p, "environ"))
		if !bytes.Contains(cmdline, []byte(dir)) && !bytes.Contains(environ, []byte(dir)) {
			continue
		}
		stat, _ := os.ReadFile(filepath.Join(p, "stat"))
		state := "?"
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
			state = string(stat[i+2])
		}
		out = append(out, fmt.Sprintf("%d (%s) %s", pid, state, strings.ReplaceAll(string(bytes.TrimRight(cmdline, "\x00")), "\x00", " ")))
	}
	return out
}

// tail returns the last lines of the given log files.
func tail(paths ...string) string {
	var b strings.Builder
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > 15 {
			lines = lines[len(lines)-15:]
		}
		fmt.Fprintf(&b, "--- %s\n%s\n", p, strings.Join(lines, "\n"))
	}
	return b.String()
}
