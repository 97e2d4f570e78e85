package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBench(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "nosuch"}, `"nosuch": unknown suite`},
		{[]string{"bench", "--dims", "ant"}, `Dims = "ant"`},
		{[]string{"bench", "--repeats", "-1"}, "Repeats = -1"},
	} {
		code, _, stderr := dwm(t, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("dwm %s: exit %d, stderr %q; want a failure mentioning %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}
	out := t.TempDir()
	code, stdout, stderr := dwm(t, "bench", "core", "--only", "matmul", "--min-time", "1ms", "--repeats", "1", "--out", out)
	if code != 0 || !strings.Contains(stdout, "matmul 256×23·23×256") {
		t.Fatalf("dwm bench core: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "bench.json")); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = dwm(t, "bench", "--replot", filepath.Join(out, "bench.json"))
	if code != 0 || !strings.Contains(stdout, "matmul 256×23·23×256") {
		t.Fatalf("dwm bench --replot: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
}
