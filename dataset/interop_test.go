//go:build cgo && !nohdf5

package dataset

import (
	"encoding/json"
	"math"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The scripts below write files with h5py and NumPy, independent writers of
// the formats. Episode layout shared by the D4RL scripts: 10 rows, rewards
// 0..9, a terminal at row 3, a timeout at row 6 (episodes of 4, 3 and 3
// rows, the last cut by the end of the data); observations row i = [i, 10i,
// 100i]; next_observations row i = observations row i+1.
const d4rlScript = `
import sys, h5py, numpy as np
path, with_next = sys.argv[1], sys.argv[2] == "1"
n = 10
obs = np.array([[i, 10*i, 100*i] for i in range(n + 1)], dtype=np.float32)
with h5py.File(path, "w") as f:
    f["observations"] = obs[:n]
    if with_next:
        f["next_observations"] = obs[1:]
    f.create_dataset("actions", data=np.linspace(-1, 1, 2*n).reshape(n, 2).astype(np.float32), compression="gzip", chunks=(4, 2))
    f["rewards"] = np.arange(n, dtype=np.float32)
    term = np.zeros(n, dtype=bool); term[3] = True
    tout = np.zeros(n, dtype=bool); tout[6] = True
    f["terminals"] = term
    f["timeouts"] = tout
    f["infos/qpos"] = np.arange(4*n, dtype=np.float64).reshape(n, 4)
    f["infos/action_log_probs"] = -np.arange(n, dtype=np.float32)
    f["metadata/algorithm"] = "SAC"
    f["metadata/iteration"] = np.int64(42)
    f["metadata/policy/fc0/weight"] = np.ones((4, 3), dtype=np.float32)
    f.attrs["env_id"] = "hopper"
`

func TestH5pyD4RL(t *testing.T) {
	p := filepath.Join(t.TempDir(), "d4rl.hdf5")
	runPython(t, d4rlScript, p, "1")
	d, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 10 || d.ObsDim != 3 || d.ActDim != 2 {
		t.Fatalf("%d rows, dims %d/%d", d.Len(), d.ObsDim, d.ActDim)
	}
	if got, want := d.EpisodeReturns(), []float64{0 + 1 + 2 + 3, 4 + 5 + 6, 7 + 8 + 9}; !slices.Equal(got, want) {
		t.Errorf("returns %v, want %v", got, want)
	}
	eps := d.Episodes()
	if !eps[0].Terminated() || !eps[1].TimedOut() || eps[2].Terminated() || eps[2].TimedOut() {
		t.Errorf("episode ends wrong: %v %v", d.Terminals, d.Timeouts)
	}
	if d.NextObs(9)[2] != 1000 || d.Obs(4)[1] != 40 {
		t.Errorf("observations wrong")
	}
	// actions are gzip-compressed and chunked in the file.
	if d.Act(0)[0] != -1 || d.Act(9)[1] != 1 {
		t.Errorf("actions %v", d.Actions)
	}
	if q := d.Infos["qpos"]; q.Dim != 4 || q.Data[4*9+3] != 39 {
		t.Errorf("infos/qpos %+v", q)
	}
	if lp := d.Infos["action_log_probs"]; lp.Dim != 1 || lp.Data[5] != -5 {
		t.Errorf("infos/action_log_probs %+v", lp)
	}
	if d.Metadata["algorithm"] != "SAC" || d.Metadata["iteration"] != "42" || d.Metadata["env_id"] != "hopper" {
		t.Errorf("metadata %v", d.Metadata)
	}
	if _, ok := d.Metadata["policy/fc0/weight"]; ok {
		t.Errorf("array metadata kept")
	}
	if _, ok := d.Metadata[MetaNextObs]; ok {
		t.Errorf("next_observations reported derived although present")
	}
}

func TestH5pyD4RLDerivedNextObs(t *testing.T) {
	p := filepath.Join(t.TempDir(), "d4rl-nonext.hdf5")
	runPython(t, d4rlScript, p, "0")
	d, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	// qlearning_dataset drops the timeout row 6 and the last row 9.
	if d.Len() != 8 {
		t.Fatalf("%d rows, want 8", d.Len())
	}
	if !strings.Contains(d.Metadata[MetaNextObs], "qlearning_dataset") {
		t.Errorf("derivation not reported: %v", d.Metadata)
	}
	wantRows := []float32{0, 1, 2, 3, 4, 5, 7, 8}
	for k, i := range wantRows {
		if d.Obs(k)[0] != i || d.NextObs(k)[0] != i+1 || d.Rewards[k] != i {
			t.Errorf("row %d: obs %v next %v reward %v, want file row %v", k, d.Obs(k), d.NextObs(k), d.Rewards[k], i)
		}
		if d.Infos["qpos"].Data[4*k] != 4*i {
			t.Errorf("row %d: infos/qpos not dropped alike", k)
		}
	}
	// Episodes: rows 0-3 (terminal), 4-5 (timeout moved onto row 5), 7-8.
	if got, want := d.EpisodeReturns(), []float64{6, 9, 15}; !slices.Equal(got, want) {
		t.Errorf("returns %v, want %v", got, want)
	}
	if !d.Terminals[3] || !d.Timeouts[5] {
		t.Errorf("flags %v %v", d.Terminals, d.Timeouts)
	}
}

const minariScript = `
import sys, h5py, numpy as np
path = sys.argv[1]
# Episodes with ids 0, 1, 2, 10 (so name order differs from id order):
# lengths 3, 2, 4, 1; episode k has rewards k+1 each step; episode 1 ends
# with both terminated and truncated set; episode 10 ends with neither.
spec = {0: (3, "term"), 1: (2, "both"), 2: (4, "trunc"), 10: (1, "none")}
with h5py.File(path, "w") as f:
    f.attrs["total_episodes"] = np.int64(4)
    f.attrs["env_spec"] = '{"id": "Hopper-v5"}'
    for k, (T, end) in spec.items():
        g = f.create_group(f"episode_{k}")
        g.attrs["id"] = k
        g["observations"] = np.array([[100*k + t, -t] for t in range(T + 1)], dtype=np.float64)
        g["actions"] = np.full((T, 3), k, dtype=np.float32)
        g["rewards"] = np.full(T, k + 1, dtype=np.float64)
        term = np.zeros(T, dtype=bool); trunc = np.zeros(T, dtype=bool)
        if end in ("term", "both"): term[-1] = True
        if end in ("trunc", "both"): trunc[-1] = True
        g["terminations"] = term
        g["truncations"] = trunc
`

func TestH5pyMinari(t *testing.T) {
	p := filepath.Join(t.TempDir(), "main_data.hdf5")
	runPython(t, minariScript, p)
	d, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 10 || d.ObsDim != 2 || d.ActDim != 3 {
		t.Fatalf("%d rows, dims %d/%d", d.Len(), d.ObsDim, d.ActDim)
	}
	if got, want := d.EpisodeReturns(), []float64{3, 4, 12, 11}; !slices.Equal(got, want) {
		t.Errorf("returns %v, want %v (episodes in id order)", got, want)
	}
	eps := d.Episodes()
	if !eps[0].Terminated() || !eps[1].Terminated() || !eps[2].TimedOut() || !eps[3].TimedOut() {
		t.Errorf("ends: %v %v", d.Terminals, d.Timeouts)
	}
	// Episode 2 starts at row 5: obs 200, next obs 201.
	if d.Obs(5)[0] != 200 || d.NextObs(5)[0] != 201 || d.NextObs(8)[0] != 204 {
		t.Errorf("obs %v next %v", d.Observations, d.NextObservations)
	}
	if d.Metadata["total_episodes"] != "4" || d.Metadata["env_spec"] != `{"id": "Hopper-v5"}` {
		t.Errorf("metadata %v", d.Metadata)
	}
	if c := d.Metadata["minari_conversion"]; !strings.Contains(c, "1 steps had both") || !strings.Contains(c, "1 episodes ended with neither") {
		t.Errorf("conversion note %q", c)
	}
}

const numpyScript = `
import sys, numpy as np
path, compressed = sys.argv[1], sys.argv[2] == "1"
n = 6
arrays = dict(
    observations=np.arange(n*2, dtype=np.float64).reshape(n, 2),
    actions=np.asfortranarray(np.arange(n*3, dtype=np.float64).reshape(n, 3)),
    rewards=np.ones((n, 1), dtype=np.float64),
    next_observations=np.arange(2, n*2 + 2, dtype=np.float64).reshape(n, 2),
    terminals=np.array([0, 0, 1, 0, 0, 0], dtype=np.uint8),
    timeouts=np.array([0, 0, 0, 0, 0, 1], dtype=np.float32),
)
arrays["metadata/algorithm"] = np.array("CQL")
(np.savez_compressed if compressed else np.savez)(path, **arrays)
`

func TestNumpyNPZ(t *testing.T) {
	for _, compressed := range []string{"0", "1"} {
		p := filepath.Join(t.TempDir(), "numpy.npz")
		runPython(t, numpyScript, p, compressed)
		d, err := Load(p)
		if err != nil {
			t.Fatalf("compressed=%s: %v", compressed, err)
		}
		if d.Len() != 6 || d.ObsDim != 2 || d.ActDim != 3 {
			t.Fatalf("%d rows dims %d/%d", d.Len(), d.ObsDim, d.ActDim)
		}
		// Fortran-ordered actions come back in row-major order.
		if !slices.Equal(d.Act(1), []float32{3, 4, 5}) {
			t.Errorf("actions row 1 = %v", d.Act(1))
		}
		if !d.Terminals[2] || !d.Timeouts[5] || d.Metadata["algorithm"] != "CQL" {
			t.Errorf("flags %v %v metadata %v", d.Terminals, d.Timeouts, d.Metadata)
		}
		if got := d.EpisodeReturns(); !slices.Equal(got, []float64{3, 3}) {
			t.Errorf("returns %v", got)
		}
	}
}

// TestPythonReadsOurFiles checks the files dwm writes with NumPy and h5py.
func TestPythonReadsOurFiles(t *testing.T) {
	py := python(t)
	dir := t.TempDir()
	d := richDataset(t)
	for _, name := range []string{"ours.npz", "ours.hdf5"} {
		p := filepath.Join(dir, name)
		if err := Save(p, d); err != nil {
			t.Fatal(err)
		}
		script := `
import sys, json, numpy as np, h5py
p = sys.argv[1]
if p.endswith(".npz"):
    z = np.load(p)
    get = lambda k: z[k]
    meta = {k[len("metadata/"):]: str(z[k]) for k in z.files if k.startswith("metadata/")}
else:
    f = h5py.File(p, "r")
    get = lambda k: f[k][()]
    meta = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in f.attrs.items()}
out = {}
for k in ["observations", "actions", "rewards", "next_observations", "terminals", "timeouts", "infos/qpos"]:
    a = get(k)
    out[k] = [str(a.dtype), list(a.shape), float(np.asarray(a, dtype=np.float64).sum())]
out["meta"] = meta
print(json.dumps(out))
`
		b, err := exec.Command(py, "-c", script, p).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, b)
		}
		var got map[string]json.RawMessage
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, b)
		}
		check := func(key, dtype string, shape []int, sum float64) {
			var v []any
			json.Unmarshal(got[key], &v)
			if len(v) != 3 || v[0] != dtype || !slices.Equal(toInts(v[1]), shape) || math.Abs(v[2].(float64)-sum) > 1e-3*max(1, math.Abs(sum)) {
				t.Errorf("%s %s: python sees %s, want %s %v sum %v", name, key, got[key], dtype, shape, sum)
			}
		}
		n := d.Len()
		check("observations", "float32", []int{n, 5}, sum64(d.Observations[3:])+sum64(d.Observations[:3]))
		check("actions", "float32", []int{n, 3}, sum64(d.Actions))
		check("rewards", "float32", []int{n}, sum64(d.Rewards))
		check("terminals", "bool", []int{n}, 2)
		check("timeouts", "bool", []int{n}, 1)
		check("infos/qpos", "float32", []int{n, 4}, sum64(d.Infos["qpos"].Data))
		var meta map[string]string
		json.Unmarshal(got["meta"], &meta)
		for k, v := range d.Metadata {
			if meta[k] != v {
				t.Errorf("%s: python reads metadata %q = %q, want %q", name, k, meta[k], v)
			}
		}
	}
}

func sum64(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s
}

func toInts(v any) []int {
	a, _ := v.([]any)
	out := make([]int, len(a))
	for i, x := range a {
		f, _ := x.(float64)
		out[i] = int(f)
	}
	return out
}

// TestTestdataFiles checks the committed h5py-written fuzz seeds (made by
// testdata/gen.py) load as written.
func TestTestdataFiles(t *testing.T) {
	d, err := Load(filepath.Join("testdata", "d4rl_h5py.hdf5"))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.EpisodeReturns(); d.Len() != 6 || !slices.Equal(got, []float64{3, 12}) || d.Obs(5)[2] != 17 || d.NextObs(5)[2] != 20 {
		t.Errorf("d4rl_h5py: %d rows, returns %v", d.Len(), got)
	}
	if d.Metadata["algorithm"] != "SAC" || d.Metadata["env_id"] != "hopper" || d.Infos["qpos"].Dim != 2 {
		t.Errorf("d4rl_h5py: metadata %v infos %v", d.Metadata, d.Infos)
	}
	m, err := Load(filepath.Join("testdata", "minari_h5py.hdf5"))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.EpisodeReturns(); m.Len() != 5 || !slices.Equal(got, []float64{3, 2}) || !m.Terminals[2] || !m.Terminals[4] {
		t.Errorf("minari_h5py: %d rows, returns %v, terminals %v", m.Len(), got, m.Terminals)
	}
}
