//go:build cgo && !nohdf5

package dataset

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withValue returns a copy of cols with one float element of key set to v.
func withValue(cols []col, key string, idx int, v float64) []col {
	out := make([]col, len(cols))
	copy(out, cols)
	for i, c := range out {
		if c.key != key {
			continue
		}
		switch x := c.data.(type) {
		case []float32:
			y := append([]float32(nil), x...)
			y[idx] = float32(v)
			out[i].data = y
		case []float64:
			y := append([]float64(nil), x...)
			y[idx] = v
			out[i].data = y
		}
	}
	return out
}

// withFlag returns a copy of cols with terminals/timeouts row set.
func withFlag(cols []col, key string, idx int) []col {
	out := make([]col, len(cols))
	copy(out, cols)
	for i, c := range out {
		if c.key == key {
			y := append([]bool(nil), c.data.([]bool)...)
			y[idx] = true
			out[i].data = y
		}
	}
	return out
}

func colData(cols []col, key string) any {
	for _, c := range cols {
		if c.key == key {
			return c.data
		}
	}
	return nil
}

// TestBadInput checks that every malformed file is rejected with an error
// naming the file, the key and (where there is one) the index.
func TestBadInput(t *testing.T) {
	const n = 12
	good := d4rlCols(n)
	obs := colData(good, "observations").([]float32)
	u8 := make([]uint8, n)
	u8[5] = 2
	i64 := make([]int64, n)
	halfFloat := make([]float32, n)
	halfFloat[3] = 0.5
	cases := []struct {
		name string
		cols []col
		want []string
	}{
		{"missing actions", replaceCol(good, "actions", nil, nil), []string{`missing key "actions"`}},
		{"missing terminals", replaceCol(good, "terminals", nil, nil), []string{`"terminals"`}},
		{"short observations", replaceCol(good, "observations", obs[:(n-1)*3], []int{n - 1, 3}), []string{"observations has 11 rows", "rewards has 12"}},
		{"long actions", replaceCol(good, "actions", make([]float32, (n+1)*2), []int{n + 1, 2}), []string{"actions has 13 rows"}},
		{"short terminals", replaceCol(good, "terminals", make([]bool, n-2), []int{n - 2}), []string{"terminals has 10 rows"}},
		{"next obs width", replaceCol(good, "next_observations", make([]float32, n*4), []int{n, 4}), []string{"next_observations has 4 columns"}},
		{"NaN observation", withValue(good, "observations", 4*3+1, math.NaN()), []string{"observations[4][1]", "NaN"}},
		{"Inf reward", withValue(good, "rewards", 7, math.Inf(1)), []string{"rewards[7]", "+Inf"}},
		{"-Inf next obs", withValue(good, "next_observations", 2*3, math.Inf(-1)), []string{"next_observations[2][0]", "-Inf"}},
		{"NaN action", withValue(good, "actions", 9*2+1, math.NaN()), []string{"actions[9][1]"}},
		{"float64 overflow", replaceCol(good, "observations", func() []float64 { x := toF64(obs); x[1*3+2] = 1e300; return x }(), []int{n, 3}), []string{"observations[1][2]", "overflows float32"}},
		{"int64 observations", replaceCol(good, "observations", make([]int64, n*3), []int{n, 3}), []string{"observations has dtype", "want float32 or float64"}},
		{"int64 terminals", replaceCol(good, "terminals", i64, []int{n}), []string{"terminals has dtype", "want bool, uint8 or float"}},
		{"int8 rewards", replaceCol(good, "rewards", make([]int8, n), []int{n}), []string{"rewards has dtype"}},
		{"terminal value 2", replaceCol(good, "terminals", u8, []int{n}), []string{"terminals[5] is 2", "want 0 or 1"}},
		{"timeout value 0.5", replaceCol(good, "timeouts", halfFloat, []int{n}), []string{"timeouts[3] is 0.5"}},
		{"terminal on timeout", withFlag(good, "timeouts", 2), []string{"terminals[2] and timeouts[2]"}},
		{"rewards 2 columns", replaceCol(good, "rewards", make([]float32, 2*n), []int{n, 2}), []string{"rewards has 2 columns"}},
		{"3-D observations", replaceCol(good, "observations", make([]float32, n*3), []int{n, 3, 1}), []string{"observations has shape (12, 3, 1)"}},
		{"scalar rewards", replaceCol(good, "rewards", []float32{1}, []int{}), []string{"rewards has shape ()"}},
	}
	dir := t.TempDir()
	for _, c := range cases {
		for _, format := range []string{"npz", "hdf5"} {
			t.Run(c.name+"/"+format, func(t *testing.T) {
				p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+"."+format)
				var b []byte
				if format == "npz" {
					b = npzBytes(t, c.cols)
				} else {
					b = hdf5Bytes(t, c.cols)
				}
				os.WriteFile(p, b, 0o644)
				expectLoadError(t, p, c.want)
			})
		}
	}
}

func expectLoadError(t *testing.T, path string, want []string) {
	t.Helper()
	_, err := Load(path)
	if err == nil {
		t.Fatalf("Load(%s) succeeded, want an error mentioning %q", path, want)
	}
	for _, w := range append([]string{path}, want...) {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}

// TestCorruptFiles damages valid files: truncation, flipped bytes, broken
// headers.
func TestCorruptFiles(t *testing.T) {
	dir := t.TempDir()
	good := d4rlCols(12)
	npz := npzBytes(t, good)
	h5b := hdf5Bytes(t, good)
	// Offset of the first array's data (observations) inside the npz.
	magic := bytes.Index(npz, npyMagic)
	hlen := int(npz[magic+8]) | int(npz[magic+9])<<8
	obsData := magic + 10 + hlen
	flip := func(b []byte, at int) []byte {
		c := append([]byte(nil), b...)
		c[at] ^= 0x5a
		return c
	}
	badHeader := append([]byte(nil), npz...)
	copy(badHeader[magic+10:], "{'descr': '<f4', 'fortran_order': Maybe")
	hugeShape := npzBytes(t, replaceCol(good, "rewards", []float32{1}, []int{1}))
	hs := bytes.Index(hugeShape, []byte("'shape': (1,)"))
	hugeShape = append(hugeShape[:hs:hs], append([]byte("'shape': (9999999999999,)"), hugeShape[hs+len("'shape': (1,)"):]...)...)
	cases := []struct {
		name string
		ext  string
		data []byte
		want []string
	}{
		{"npz truncated", "npz", npz[:len(npz)/2], []string{"zip"}},
		{"npz empty", "npz", nil, []string{"npz"}},
		{"npz flipped data byte", "npz", flip(npz, obsData+20), []string{"observations", "checksum"}},
		{"npz bad header", "npz", badHeader, []string{"observations", "fortran_order"}},
		{"npz shape larger than data", "npz", hugeShape, []string{"rewards"}},
		{"hdf5 truncated", "hdf5", h5b[:len(h5b)/2], []string{"read HDF5", "truncated file"}},
		{"hdf5 truncated header", "hdf5", h5b[:100], []string{"read HDF5", "truncated file"}},
		{"hdf5 flipped superblock", "hdf5", flip(h5b, 20), []string{"read HDF5", "superblock"}},
		{"hdf5 wrong layout", "hdf5", hdf5Bytes(t, []col{{"foo", []float32{1}, []int{1}}}), []string{"neither D4RL", "foo"}},
		{"text", "npz", []byte("observations,actions\n1,2\n"), []string{"content is not"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+"."+c.ext)
			os.WriteFile(p, c.data, 0o644)
			expectLoadError(t, p, c.want)
		})
	}
}

// TestBadMinari checks Minari-layout errors name the episode key.
func TestBadMinari(t *testing.T) {
	ep := func(obsRows int, act any, actShape []int) []col {
		obs := make([]float64, obsRows*2)
		return []col{
			{"episode_0/observations", obs, []int{obsRows, 2}},
			{"episode_0/actions", act, actShape},
			{"episode_0/rewards", []float64{1, 1, 1}, []int{3}},
			{"episode_0/terminations", []bool{false, false, true}, []int{3}},
			{"episode_0/truncations", []bool{false, false, false}, []int{3}},
		}
	}
	okAct := []float32{1, 2, 3}
	nanAct := []float32{1, float32(math.NaN()), 3}
	cases := []struct {
		name string
		cols []col
		want []string
	}{
		{"obs rows", ep(3, okAct, []int{3, 1}), []string{"episode_0/observations has 3 rows, want 4"}},
		{"NaN action", ep(4, nanAct, []int{3, 1}), []string{"episode_0/actions[1][0]", "NaN"}},
		{"action rows", ep(4, []float32{1, 2}, []int{2, 1}), []string{"episode_0/actions has 2 rows"}},
		{"missing truncations", replaceCol(ep(4, okAct, []int{3, 1}), "episode_0/truncations", nil, nil), []string{`"episode_0/truncations"`}},
		{"int actions", ep(4, []int64{1, 2, 3}, []int{3, 1}), []string{"episode_0/actions has dtype int64"}},
		{"dict observations", append(replaceCol(ep(4, okAct, []int{3, 1}), "episode_0/observations", nil, nil),
			col{"episode_0/observations/pos", make([]float64, 8), []int{4, 2}}), []string{"episode_0/observations is a group"}},
		{"second episode width", append(ep(4, okAct, []int{3, 1}),
			col{"episode_1/observations", make([]float64, 6), []int{2, 3}},
			col{"episode_1/actions", []float32{1}, []int{1, 1}},
			col{"episode_1/rewards", []float32{1}, []int{1}},
			col{"episode_1/terminations", []bool{true}, []int{1}},
			col{"episode_1/truncations", []bool{false}, []int{1}}), []string{"episode_1/observations has 3 columns"}},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".hdf5")
			os.WriteFile(p, hdf5Bytes(t, c.cols), 0o644)
			expectLoadError(t, p, c.want)
		})
	}
}
