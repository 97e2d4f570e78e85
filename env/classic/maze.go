package classic

import (
	"fmt"
	"math"
	"strings"
)

// D4RL's maze2d layouts (d4rl/pointmaze/maze_model.py: U_MAZE, MEDIUM_MAZE,
// LARGE_MAZE), one string per row: '#' wall, 'O' open, 'G' the goal.
var (
	// UMazeLayout is D4RL's U_MAZE (maze2d-umaze).
	UMazeLayout = []string{
		"#####",
		"#GOO#",
		"###O#",
		"#OOO#",
		"#####",
	}
	// MediumMazeLayout is D4RL's MEDIUM_MAZE (maze2d-medium).
	MediumMazeLayout = []string{
		"########",
		"#OO##OO#",
		"#OO#OOO#",
		"##OOO###",
		"#OO#OOO#",
		"#O#OO#O#",
		"#OOO#OG#",
		"########",
	}
	// LargeMazeLayout is D4RL's LARGE_MAZE (maze2d-large).
	LargeMazeLayout = []string{
		"############",
		"#OOOO#OOOOO#",
		"#O##O#O#O#O#",
		"#OOOOOO#OOO#",
		"#O####O###O#",
		"#OO#O#OOOOO#",
		"##O#O#O#O###",
		"#OO#OOO#OGO#",
		"############",
	}
)

// Cell is a maze cell, Row indexing the layout's strings and Col the
// characters within one. In world coordinates cell (r, c) is the unit square
// centred on (x, y) = (r, c), as D4RL places its qpos[0] along the row index.
type Cell struct{ Row, Col int }

// Maze is a grid of wall and open cells with one goal cell, surrounded by
// walls.
type Maze struct {
	// Name is a short name ("umaze", "medium", "large").
	Name string
	// Rows and Cols are the grid size.
	Rows, Cols int
	// Goal is the goal cell.
	Goal Cell
	wall []bool
}

// ParseMaze parses a layout: one string per row of '#' (wall), 'O', '0' or
// ' ' (open) and exactly one 'G' (the goal, open). Every border cell must be
// a wall so that the point can never leave the grid.
func ParseMaze(name string, layout []string) (*Maze, error) {
	if len(layout) < 3 || len(layout[0]) < 3 {
		cols := 0
		if len(layout) > 0 {
			cols = len(layout[0])
		}
		return nil, fmt.Errorf("maze %q: layout %d×%d is smaller than 3×3", name, len(layout), cols)
	}
	m := &Maze{Name: name, Rows: len(layout), Cols: len(layout[0]), wall: make([]bool, len(layout)*len(layout[0]))}
	goals := 0
	for r, row := range layout {
		if len(row) != m.Cols {
			return nil, fmt.Errorf("maze %q: row %d has length %d, row 0 has %d", name, r, len(row), m.Cols)
		}
		for c := range len(row) {
			border := r == 0 || c == 0 || r == m.Rows-1 || c == m.Cols-1
			switch row[c] {
			case '#':
				m.wall[r*m.Cols+c] = true
			case 'O', '0', ' ', 'G':
				if border {
					return nil, fmt.Errorf("maze %q: border cell (%d, %d) is open; the border must be walls", name, r, c)
				}
				if row[c] == 'G' {
					goals++
					m.Goal = Cell{r, c}
				}
			default:
				return nil, fmt.Errorf("maze %q: cell (%d, %d) is %q, want '#', 'O' or 'G'", name, r, c, row[c])
			}
		}
	}
	if goals != 1 {
		return nil, fmt.Errorf("maze %q: %d goal cells, want 1", name, goals)
	}
	dist := m.Distances(m.Goal)
	for _, c := range m.Free() {
		if dist[m.index(c)] < 0 {
			return nil, fmt.Errorf("maze %q: open cell (%d, %d) cannot reach the goal", name, c.Row, c.Col)
		}
	}
	return m, nil
}

func mustParse(name string, layout []string) *Maze {
	m, err := ParseMaze(name, layout)
	if err != nil {
		panic(err) // the built-in layouts are valid
	}
	return m
}

// UMaze returns D4RL's U-maze.
func UMaze() *Maze { return mustParse("umaze", UMazeLayout) }

// MediumMaze returns D4RL's medium maze.
func MediumMaze() *Maze { return mustParse("medium", MediumMazeLayout) }

// LargeMaze returns D4RL's large maze.
func LargeMaze() *Maze { return mustParse("large", LargeMazeLayout) }

func (m *Maze) index(c Cell) int { return c.Row*m.Cols + c.Col }

// Wall reports whether c is a wall; cells outside the grid count as walls.
func (m *Maze) Wall(c Cell) bool {
	if c.Row < 0 || c.Col < 0 || c.Row >= m.Rows || c.Col >= m.Cols {
		return true
	}
	return m.wall[m.index(c)]
}

// Free returns the open cells (the goal included) in row-major order: the
// cells an episode may start in, as D4RL's empty_and_goal_locations.
func (m *Maze) Free() []Cell {
	var out []Cell
	for r := range m.Rows {
		for c := range m.Cols {
			if !m.wall[r*m.Cols+c] {
				out = append(out, Cell{r, c})
			}
		}
	}
	return out
}

// CellAt returns the cell containing world point (x, y).
func (m *Maze) CellAt(x, y float64) Cell {
	return Cell{int(math.Floor(x + 0.5)), int(math.Floor(y + 0.5))}
}

// neighbours lists the four moves in a fixed order (up, down, left, right in
// the layout).
var neighbours = [4]Cell{{-1, 0}, {1, 0}, {0, -1}, {0, 1}}

// Distances returns, for every cell (index Row*Cols+Col), the number of
// moves between open cells needed to reach to by breadth-first search, or
// −1 for walls and unreachable cells.
func (m *Maze) Distances(to Cell) []int {
	dist := make([]int, m.Rows*m.Cols)
	for i := range dist {
		dist[i] = -1
	}
	if m.Wall(to) {
		return dist
	}
	queue := []Cell{to}
	dist[m.index(to)] = 0
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		for _, d := range neighbours {
			n := Cell{c.Row + d.Row, c.Col + d.Col}
			if !m.Wall(n) && dist[m.index(n)] < 0 {
				dist[m.index(n)] = dist[m.index(c)] + 1
				queue = append(queue, n)
			}
		}
	}
	return dist
}

// Path returns a shortest path of open cells from from to to, both
// included, moving between edge-adjacent cells; nil if either is a wall or
// to cannot be reached. Its cell centres are the waypoints a controller
// follows.
func (m *Maze) Path(from, to Cell) []Cell {
	if m.Wall(from) || m.Wall(to) {
		return nil
	}
	dist := m.Distances(to)
	if dist[m.index(from)] < 0 {
		return nil
	}
	path := []Cell{from}
	for c := from; c != to; {
		c = m.nextCell(dist, c)
		path = append(path, c)
	}
	return path
}

// Waypoints returns the points a controller at (x, y) steers through to
// reach the goal point (gx, gy): the centres of the cells after the current
// one on a shortest cell path to the goal's cell, the last replaced by the
// goal point itself. It is nil if either point is in a wall or unreachable,
// and just the goal if both are in the same cell.
func (m *Maze) Waypoints(x, y, gx, gy float64) [][2]float64 {
	path := m.Path(m.CellAt(x, y), m.CellAt(gx, gy))
	if path == nil {
		return nil
	}
	out := make([][2]float64, 0, len(path))
	for _, c := range path[1:] {
		out = append(out, [2]float64{float64(c.Row), float64(c.Col)})
	}
	if len(out) == 0 {
		return [][2]float64{{gx, gy}}
	}
	out[len(out)-1] = [2]float64{gx, gy}
	return out
}

// nextCell returns the first neighbour of c (in neighbours order) one move
// closer to the target of dist. c must be open and reachable.
func (m *Maze) nextCell(dist []int, c Cell) Cell {
	want := dist[m.index(c)] - 1
	for _, d := range neighbours {
		n := Cell{c.Row + d.Row, c.Col + d.Col}
		if !m.Wall(n) && dist[m.index(n)] == want {
			return n
		}
	}
	return c
}

// String draws the maze as its layout.
func (m *Maze) String() string {
	var b strings.Builder
	for r := range m.Rows {
		if r > 0 {
			b.WriteByte('\n')
		}
		for c := range m.Cols {
			switch {
			case m.wall[r*m.Cols+c]:
				b.WriteByte('#')
			case (Cell{r, c}) == m.Goal:
				b.WriteByte('G')
			default:
				b.WriteByte('O')
			}
		}
	}
	return b.String()
}
