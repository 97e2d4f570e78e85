package mujoco

import (
	"strings"
	"testing"
)

func TestParseID(t *testing.T) {
	good := []struct {
		id, base string
		shifts   []shift
	}{
		{"hopper", "hopper", nil},
		{"hopper-friction-2.0", "hopper", []shift{{shiftFriction, "", 2}}},
		{"halfcheetah-gravity-2.0", "halfcheetah", []shift{{shiftGravity, "", 2}}},
		{"walker2d-morphology-2.0", "walker2d", []shift{{shiftMorphology, "", 2}}},
		{"walker2d-morphology-foot_left-1.5", "walker2d", []shift{{shiftMorphology, "foot_left", 1.5}}},
		{"hopper-kinematic-0.5", "hopper", []shift{{shiftKinematic, "", 0.5}}},
		{"ant", "ant", nil},
		{"antmaze-umaze", "antmaze-umaze", nil},
		{"antmaze-medium", "antmaze-medium", nil},
		{"antmaze-large-gravity-0.5", "antmaze-large", []shift{{shiftGravity, "", 0.5}}},
		{"ant-friction-0.5-gravity-2", "ant", []shift{{shiftFriction, "", 0.5}, {shiftGravity, "", 2}}},
	}
	for _, c := range good {
		tk, sh, err := parseID(c.id)
		if err != nil {
			t.Fatalf("%s: %v", c.id, err)
		}
		if tk.name != c.base || len(sh) != len(c.shifts) {
			t.Fatalf("%s: base %s shifts %v, want %s %v", c.id, tk.name, sh, c.base, c.shifts)
		}
		for i := range sh {
			if sh[i] != c.shifts[i] {
				t.Fatalf("%s: shift %d = %v, want %v", c.id, i, sh[i], c.shifts[i])
			}
		}
	}
	bad := []struct{ id, want string }{
		{"hoppr", "unknown env id"},
		{"antmaze", "unknown env id"},
		{"antmaze-tiny", "unknown env id"},
		{"hopper-", "unknown shift"},
		{"hopper-wind-2.0", "unknown shift"},
		{"hopper-friction", "has no factor"},
		{"hopper-friction-abc", "not a positive number"},
		{"hopper-friction-0", "not a positive number"},
		{"hopper-friction--1", "not a positive number"},
		{"hopper-gravity-NaN", "not a positive number"},
		{"hopper-gravity-Inf", "not a positive number"},
		{"hopper-friction-leg-2.0", "not a positive number"},
		{"hopper-kinematic-leg_joint", "has no factor"},
		{"hopper-gravity-2-gravity-3", "given twice"},
	}
	for _, c := range bad {
		_, _, err := parseID(c.id)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.id) {
			t.Fatalf("%s: error %v, want one naming the id and %q", c.id, err, c.want)
		}
	}
}

func TestIDs(t *testing.T) {
	ids := IDs()
	for _, want := range []string{"hopper", "halfcheetah", "walker2d", "ant", "antmaze-umaze", "antmaze-medium", "antmaze-large"} {
		found := false
		for _, id := range ids {
			found = found || id == want
		}
		if !found {
			t.Fatalf("IDs() %v lacks %s", ids, want)
		}
	}
	for _, id := range baseIDs() {
		if _, _, err := parseID(id); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMazeGeometry(t *testing.T) {
	// Goal cell centres relative to the start cell, from D4RL's *_TEST maps.
	want := map[string][2]float64{"umaze": {0, 8}, "medium": {20, 20}, "large": {32, 24}}
	for _, mz := range []*maze{uMaze, mediumMaze, largeMaze} {
		i, j := mz.find('g')
		x, y := mz.cellXY(i, j)
		if w := want[mz.name]; x != w[0] || y != w[1] {
			t.Fatalf("%s goal cell at (%g, %g), want %v", mz.name, x, y, w)
		}
		for _, row := range mz.grid {
			if len(row) != len(mz.grid[0]) || row[0] != '#' || row[len(row)-1] != '#' {
				t.Fatalf("%s: ragged or open row %q", mz.name, row)
			}
		}
		// The lowest draws land on the cell centre, the highest 1.5 m beyond.
		lo := mz.goalXY(func() float64 { return 0 })
		hi := mz.goalXY(func() float64 { return 1 })
		if lo != [2]float64{want[mz.name][0], want[mz.name][1]} || hi != [2]float64{want[mz.name][0] + 1.5, want[mz.name][1] + 1.5} {
			t.Fatalf("%s: goal range %v..%v", mz.name, lo, hi)
		}
		xml, err := mz.xml()
		if err != nil || !strings.Contains(xml, `name="block_0_0"`) {
			t.Fatalf("%s: maze xml: %v", mz.name, err)
		}
	}
}
