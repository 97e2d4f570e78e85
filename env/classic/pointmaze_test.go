package classic

import (
	"math"
	"testing"

	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/env/envtest"
	"github.com/dwm-rl/dwm/rng"
	"pgregory.net/rapid"
)

var mazes = []struct {
	name  string
	maze  func() *Maze
	limit int
}{{"umaze", UMaze, 300}, {"medium", MediumMaze, 600}, {"large", LargeMaze, 800}}

func TestPointMazeConformance(t *testing.T) {
	for _, m := range mazes {
		t.Run(m.name, func(t *testing.T) {
			envtest.Run(t, func() (env.Env, error) { return NewPointMaze(PointMazeConfig{Maze: m.maze()}) })
		})
	}
}

func TestPointMazeSpec(t *testing.T) {
	for _, m := range mazes {
		p, err := NewPointMaze(PointMazeConfig{Maze: m.maze()})
		if err != nil {
			t.Fatal(err)
		}
		s := p.Spec()
		if s.ID != "pointmaze-"+m.name || s.Obs.Dim != 6 || s.Act.Dim != 2 || s.MaxSteps != m.limit || s.DT != 0.01 {
			t.Errorf("%s: spec %+v", m.name, s)
		}
	}
	if _, err := NewPointMaze(PointMazeConfig{Maze: mustParse("tiny", []string{"###", "#G#", "###"})}); err == nil {
		t.Error("custom maze without MaxSteps accepted")
	}
}

func TestParseMaze(t *testing.T) {
	m := UMaze()
	if m.Rows != 5 || m.Cols != 5 || m.Goal != (Cell{1, 1}) || len(m.Free()) != 7 {
		t.Errorf("umaze: %d×%d goal %v free %d", m.Rows, m.Cols, m.Goal, len(m.Free()))
	}
	if m.String() != "#####\n#GOO#\n###O#\n#OOO#\n#####" {
		t.Errorf("umaze drawn as\n%s", m)
	}
	if l := LargeMaze(); l.Goal != (Cell{7, 9}) || l.Rows != 9 || l.Cols != 12 {
		t.Errorf("large: goal %v size %d×%d", l.Goal, l.Rows, l.Cols)
	}
	if md := MediumMaze(); md.Goal != (Cell{6, 6}) || md.Rows != 8 || md.Cols != 8 {
		t.Errorf("medium: goal %v size %d×%d", md.Goal, md.Rows, md.Cols)
	}
	for _, bad := range [][]string{
		{"###", "#O#", "###"},       // no goal
		{"###", "#GG", "###"},       // open border, two goals
		{"####", "#G#", "####"},     // ragged
		{"#####", "#GX##", "#####"}, // unknown tile
		{"#####", "#G#O#", "#####"}, // unreachable cell
		{"##", "##"},                // too small
	} {
		if _, err := ParseMaze("bad", bad); err == nil {
			t.Errorf("layout %q accepted", bad)
		}
	}
}

func TestMazePath(t *testing.T) {
	m := UMaze()
	p := m.Path(Cell{3, 1}, m.Goal)
	want := []Cell{{3, 1}, {3, 2}, {3, 3}, {2, 3}, {1, 3}, {1, 2}, {1, 1}}
	if len(p) != len(want) {
		t.Fatalf("path %v, want %v", p, want)
	}
	for i := range p {
		if p[i] != want[i] {
			t.Fatalf("path %v, want %v", p, want)
		}
	}
	if m.Path(Cell{0, 0}, m.Goal) != nil {
		t.Error("path from a wall")
	}
	// Every path in the large maze is made of adjacent open cells and has
	// the BFS length.
	l := LargeMaze()
	dist := l.Distances(l.Goal)
	for _, c := range l.Free() {
		p := l.Path(c, l.Goal)
		if len(p)-1 != dist[l.index(c)] {
			t.Fatalf("path from %v has %d moves, distance %d", c, len(p)-1, dist[l.index(c)])
		}
		for i := 1; i < len(p); i++ {
			dr, dc := p[i].Row-p[i-1].Row, p[i].Col-p[i-1].Col
			if l.Wall(p[i]) || dr*dr+dc*dc != 1 {
				t.Fatalf("path from %v: bad move %v→%v", c, p[i-1], p[i])
			}
		}
	}
}

// overlapsWall reports whether the body square at (x, y) strictly overlaps
// a wall cell, checked against every wall of the maze independently of the
// env's own collision code.
func overlapsWall(m *Maze, x, y float64) bool {
	const r = PointMazeRadius
	for row := range m.Rows {
		for col := range m.Cols {
			if !m.Wall(Cell{row, col}) {
				continue
			}
			fr, fc := float64(row), float64(col)
			if x-r < fr+0.5 && x+r > fr-0.5 && y-r < fc+0.5 && y+r > fc-0.5 {
				return true
			}
		}
	}
	return false
}

// pathClear checks the L-shaped path a step takes (x first, then y) by
// sampling points along it.
func pathClear(m *Maze, x0, y0, x1, y1 float64) bool {
	for k := 0; k <= 20; k++ {
		f := float64(k) / 20
		if overlapsWall(m, x0+f*(x1-x0), y0) || overlapsWall(m, x1, y0+f*(y1-y0)) {
			return false
		}
	}
	return true
}

// TestPointMazeWallsRandomSteps drives the point with random and
// full-throttle actions for many steps and checks it never enters a wall.
func TestPointMazeWallsRandomSteps(t *testing.T) {
	for _, m := range mazes {
		p, _ := NewPointMaze(PointMazeConfig{Maze: m.maze()})
		r := rng.Derive(11, "walls", m.name)
		obs := make([]float32, 6)
		act := make([]float32, 2)
		contacts := 0
		for ep := range 20 {
			p.Reset(uint64(ep), obs)
			for k := range 2000 {
				// Hold a random full-throttle direction for a while so the
				// point hits walls at top speed, sometimes out of bounds.
				if k%50 == 0 {
					act[0], act[1] = float32(3*r.Float64()-1.5), float32(3*r.Float64()-1.5)
				}
				x0, y0, _, _ := p.State()
				if _, err := p.Step(act, obs); err != nil {
					t.Fatal(err)
				}
				x, y, vx, vy := p.State()
				if !pathClear(p.Maze(), x0, y0, x, y) {
					t.Fatalf("%s ep %d step %d: (%g, %g) → (%g, %g) crosses a wall", m.name, ep, k, x0, y0, x, y)
				}
				if vx == 0 || vy == 0 {
					contacts++
				}
			}
		}
		if contacts < 1000 {
			t.Errorf("%s: only %d wall contacts; the test does not exercise walls", m.name, contacts)
		}
	}
}

// TestPointMazeWallsProperty checks with rapid that from any clear state and
// any action sequence no step enters a wall.
func TestPointMazeWallsProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := mazes[rapid.IntRange(0, 2).Draw(t, "maze")].maze()
		p, _ := NewPointMaze(PointMazeConfig{Maze: m})
		free := m.Free()
		c := free[rapid.IntRange(0, len(free)-1).Draw(t, "cell")]
		x := float64(c.Row) + rapid.Float64Range(-0.5, 0.5).Draw(t, "dx")
		y := float64(c.Col) + rapid.Float64Range(-0.5, 0.5).Draw(t, "dy")
		vx := rapid.Float64Range(-5, 5).Draw(t, "vx")
		vy := rapid.Float64Range(-5, 5).Draw(t, "vy")
		if err := p.SetState(x, y, vx, vy); err != nil {
			if !overlapsWall(m, x, y) && p.Clear(x, y) {
				t.Fatalf("SetState refused a clear state: %v", err)
			}
			t.Skip("start overlaps a wall")
		}
		obs := make([]float32, 6)
		n := rapid.IntRange(1, 200).Draw(t, "steps")
		ax := rapid.SliceOfN(rapid.Float32Range(-2, 2), n, n).Draw(t, "ax")
		ay := rapid.SliceOfN(rapid.Float32Range(-2, 2), n, n).Draw(t, "ay")
		for k := range n {
			x0, y0, _, _ := p.State()
			if _, err := p.Step([]float32{ax[k], ay[k]}, obs); err != nil {
				t.Fatal(err)
			}
			x1, y1, vx1, vy1 := p.State()
			if !pathClear(m, x0, y0, x1, y1) {
				t.Fatalf("step %d: (%g, %g) → (%g, %g) crosses a wall", k, x0, y0, x1, y1)
			}
			if math.Abs(vx1) > 5 || math.Abs(vy1) > 5 {
				t.Fatalf("step %d: speed (%g, %g)", k, vx1, vy1)
			}
		}
	})
}

// TestPointMazeWallStop checks a hand-worked contact: the umaze cell (1, 2)
// has walls above (row 0) and below (row 2); pushing down at full speed
// stops the body's face 1e-9 short of row 2's face at x = 1.5.
func TestPointMazeWallStop(t *testing.T) {
	p, _ := NewPointMaze(PointMazeConfig{})
	obs := make([]float32, 6)
	if err := p.SetState(1.35, 2, 5, 0); err != nil {
		t.Fatal(err)
	}
	r, err := p.Step([]float32{1, 0}, obs)
	if err != nil {
		t.Fatal(err)
	}
	x, y, vx, vy := p.State()
	if want := 1.5 - PointMazeRadius - contactGap; math.Abs(x-want) > 1e-15 || y != 2 || vx != 0 || vy != 0 {
		t.Errorf("after contact: (%.12g, %g) v (%g, %g), want x %.12g, v 0", x, y, vx, vy, want)
	}
	if r.Reward != 0 {
		t.Errorf("reward %g far from the goal", r.Reward)
	}
	// Free flight follows the implicit-damping Euler step exactly.
	p.SetState(3, 1.2, 0.5, 0)
	p.Step([]float32{0.5, 0}, obs)
	v := (PointMazeMass*0.5 + 0.01*100*0.5) / (PointMazeMass + 0.01)
	if x, _, vx, _ := p.State(); math.Abs(vx-v) > 1e-15 || math.Abs(x-(3+0.01*v)) > 1e-15 {
		t.Errorf("free flight: x %g vx %g, want %g %g", x, vx, 3+0.01*v, v)
	}
}

func TestPointMazeReward(t *testing.T) {
	p, _ := NewPointMaze(PointMazeConfig{})
	obs := make([]float32, 6)
	p.SetState(1.3, 1.3, 0, 0) // 0.42 from the goal (1, 1)
	if r, _ := p.Step([]float32{0, 0}, obs); r.Reward != 1 || !r.Success || r.Terminated {
		t.Errorf("near goal: %+v", r)
	}
	p.SetState(1, 1.55, 0, 0)
	if r, _ := p.Step([]float32{0, 0}, obs); r.Reward != 0 || r.Success {
		t.Errorf("0.55 from goal: %+v", r)
	}
	if obs[4] != 1 || obs[5] != 1 {
		t.Errorf("goal in obs %v", obs[4:])
	}
}

// TestWaypointReachesGoal checks the waypoint controller reaches the goal
// from every start in every maze and stays there.
func TestWaypointReachesGoal(t *testing.T) {
	for _, m := range mazes {
		p, _ := NewPointMaze(PointMazeConfig{Maze: m.maze()})
		w := NewWaypoint(p.Maze())
		eps, err := env.Rollout(p, w, 3, 100)
		if err != nil {
			t.Fatal(err)
		}
		s := env.Summarize(eps)
		t.Logf("%s: success %.2f mean return %.1f (min %.0f)", m.name, s.SuccessRate, s.MeanReturn, s.MinReturn)
		if s.SuccessRate != 1 {
			t.Errorf("%s: waypoint success rate %.2f, want 1", m.name, s.SuccessRate)
		}
		// Reaching the far end of the maze takes well under half the limit.
		if s.MinReturn < float64(m.limit)/2 {
			t.Errorf("%s: worst return %.0f of %d steps", m.name, s.MinReturn, m.limit)
		}
	}
}

func TestWaypointsAndSetGoal(t *testing.T) {
	m := UMaze()
	w := m.Waypoints(3.1, 0.9, 1.05, 0.95)
	want := [][2]float64{{3, 2}, {3, 3}, {2, 3}, {1, 3}, {1, 2}, {1.05, 0.95}}
	if len(w) != len(want) {
		t.Fatalf("waypoints %v, want %v", w, want)
	}
	for i := range w {
		if w[i] != want[i] {
			t.Fatalf("waypoints %v, want %v", w, want)
		}
	}
	if w := m.Waypoints(1.2, 1.1, 1, 1); len(w) != 1 || w[0] != [2]float64{1, 1} {
		t.Errorf("same-cell waypoints %v", w)
	}
	if m.Waypoints(0, 0, 1, 1) != nil {
		t.Error("waypoints from a wall")
	}
	// With a moved goal the waypoint controller follows it.
	p, _ := NewPointMaze(PointMazeConfig{})
	obs := make([]float32, 6)
	p.Reset(1, obs)
	if err := p.SetGoal(2, 2); err == nil {
		t.Error("goal in a wall accepted")
	}
	if err := p.SetGoal(3, 1); err != nil {
		t.Fatal(err)
	}
	p.SetState(1, 1, 0, 0)
	p.Step([]float32{0, 0}, obs)
	ctl := NewWaypoint(p.Maze())
	act := make([]float32, 2)
	reached := false
	for range 300 {
		ctl.Act(obs, act)
		r, _ := p.Step(act, obs)
		reached = reached || r.Success
	}
	if x, y, _, _ := p.State(); !reached || math.Hypot(x-3, y-1) > 0.1 {
		t.Errorf("moved goal not reached: at (%g, %g)", x, y)
	}
}
