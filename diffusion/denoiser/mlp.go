package denoiser

import (
	"fmt"

	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// MLPConfig describes a residual MLP denoiser. Zero fields take the
// defaults listed on each field.
type MLPConfig struct {
	// Width is the hidden width (default 512: BDWM's decoders as sized in
	// dwm's issue 7).
	Width int
	// Blocks is the number of residual blocks, each two Width×Width layers
	// (default 2: with the input and output layers this is the
	// 4×512-hidden-layer denoiser of the numeric backend's benchmarks).
	Blocks int
	// TimeDim is the width of the time embedding (default 64).
	TimeDim int
	// Act is the hidden activation (default SiLU, as in DDPM's networks;
	// Identity cannot be chosen).
	Act tensor.Activation
	// FiLM conditions every block by FiLM instead of concatenating the
	// condition to the input (default false: concatenation).
	FiLM bool
}

// WithDefaults returns c with every zero field set to its default.
func (c MLPConfig) WithDefaults() MLPConfig {
	if c.Width == 0 {
		c.Width = 512 // issue 7 (BDWM decoders)
	}
	if c.Blocks == 0 {
		c.Blocks = 2 // 4 hidden 512×512 layers, as the backend's denoiser workload
	}
	if c.TimeDim == 0 {
		c.TimeDim = 64
	}
	if c.Act == tensor.Identity {
		c.Act = tensor.SiLU // Ho et al. 2020 (swish)
	}
	return c
}

// Validate reports the first invalid field (after defaults).
func (c MLPConfig) Validate() error {
	c = c.WithDefaults()
	switch {
	case c.Width < 1:
		return fmt.Errorf("MLPConfig.Width = %d: must be ≥ 1", c.Width)
	case c.Blocks < 0:
		return fmt.Errorf("MLPConfig.Blocks = %d: must be ≥ 0", c.Blocks)
	case c.TimeDim < 4 || c.TimeDim%2 != 0:
		return fmt.Errorf("MLPConfig.TimeDim = %d: must be even and ≥ 4", c.TimeDim)
	case !c.Act.Valid():
		return fmt.Errorf("MLPConfig.Act = %d: unknown activation", int(c.Act))
	}
	return nil
}

// ResMLP is a residual MLP denoiser for vectors, with K independent members
// evaluated in one call (BDWM's ensemble of decoders). For data x of width
// D, condition c of width C and time t:
//
//	e   = TimeEmbedding(t)                                  (width TimeDim)
//	h_0 = act(W_in·[x, c⊙k, k, e] + b_in)                    concatenation
//	      act(W_in·[x, e] + b_in)                            FiLM
//	u_b = act(L1_b(h_b))  or  act(FiLM_b(L1_b(h_b), [c⊙k, k]))
//	h_{b+1} = h_b + L2_b(u_b)                               b = 0…Blocks−1
//	out = W_out·act(h_Blocks) + b_out                       (width D)
//
// where k ∈ {0, 1} is the keep flag of classifier-free guidance (the
// condition and the flag are zero when the condition is dropped). An
// unconditional ResMLP (C = 0) has no condition inputs. Parameters are named
// name+"/time/l1/w", "/in/w", "/b<i>/l1/w", "/b<i>/film/w", "/b<i>/l2/w",
// "/out/w" (and "/b"), with shapes [K, in, out] (or [in, out] for K = 1).
//
// Step, the sampling path, runs each member's rows in chunks through the
// whole network on one goroutine each (no synchronisation between layers),
// with the condition's share of the first layer (or of the FiLM layers)
// computed once per SetCond and the time embedding once per step.
type ResMLP struct {
	K, D, C int
	Cfg     MLPConfig

	temb  *TimeEmbedding
	inL   *dense
	l1    []*dense
	l2    []*dense
	films []*FiLM
	outL  *dense

	ci         int // condition columns in the input layer (C+1 or 0)
	keep       []float32
	inBuf      tensor.Mat
	cAug       tensor.Mat
	hs         []tensor.Mat
	filmActs   []actMat
	outAct     actMat
	dh, dcAug  tensor.Mat
	demb, dcnd tensor.Mat

	prepIn     tensor.Mat   // K blocks of nIn rows: condition share of the input layer + b_in
	nIn, nCond int          // rows per member of prepIn and prepFilm
	prepFilm   []tensor.Mat // per block: K blocks of nCond rows of [γ, β]
	cAugS      tensor.Mat
	tiled      tensor.Mat
	tEmb, tB   tensor.Mat // K×TimeDim, K×Width
	scratch    chan *mlpScratch
	task       mlpStep

	tr      trainState // the data-parallel training path (mlp_train.go)
	layered bool       // tests: force the layer-by-layer path
}

type mlpScratch struct{ h, u tensor.Mat }

// NewResMLP returns a K-member residual MLP for data of width dim and
// conditions of width condDim (0: unconditional), with parameters named
// under name and initialised like PyTorch's nn.Linear from s. It returns
// the configuration error, if any.
func NewResMLP(name string, k, dim, condDim int, cfg MLPConfig, s *rng.Stream) (*ResMLP, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("denoiser.NewResMLP %s: %w", name, err)
	}
	if k < 1 || dim < 1 || condDim < 0 {
		return nil, fmt.Errorf("denoiser.NewResMLP %s: members %d and data width %d must be ≥ 1, condition width %d ≥ 0", name, k, dim, condDim)
	}
	cfg = cfg.WithDefaults()
	m := &ResMLP{K: k, D: dim, C: condDim, Cfg: cfg}
	W, E := cfg.Width, cfg.TimeDim
	m.temb = NewTimeEmbedding(name+"/time", k, E, cfg.Act, s)
	if condDim > 0 && !cfg.FiLM {
		m.ci = condDim + 1
	}
	m.inL = newDense(name+"/in", k, dim+m.ci+E, W, cfg.Act, s)
	for b := 0; b < cfg.Blocks; b++ {
		act := cfg.Act
		if cfg.FiLM && condDim > 0 {
			act = tensor.Identity
			m.films = append(m.films, NewFiLM(fmt.Sprintf("%s/b%d/film", name, b), k, W, condDim+1, s))
		}
		m.l1 = append(m.l1, newDense(fmt.Sprintf("%s/b%d/l1", name, b), k, W, W, act, s))
		m.l2 = append(m.l2, newDense(fmt.Sprintf("%s/b%d/l2", name, b), k, W, W, tensor.Identity, s))
	}
	m.outL = newDense(name+"/out", k, W, dim, tensor.Identity, s)
	m.hs = make([]tensor.Mat, cfg.Blocks)
	m.filmActs = make([]actMat, len(m.films))
	for i := range m.filmActs {
		m.filmActs[i].act = cfg.Act
	}
	m.outAct.act = cfg.Act
	m.prepFilm = make([]tensor.Mat, len(m.films))
	return m, nil
}

// Members returns K.
func (m *ResMLP) Members() int { return m.K }

// Dim returns the data width.
func (m *ResMLP) Dim() int { return m.D }

// CondDim returns the condition width.
func (m *ResMLP) CondDim() int { return m.C }

// Params returns every parameter.
func (m *ResMLP) Params() []*nn.Param {
	ps := append(m.temb.Params(), m.inL.Params()...)
	for b := range m.l1 {
		ps = append(ps, m.l1[b].Params()...)
		if m.films != nil {
			ps = append(ps, m.films[b].Params()...)
		}
		ps = append(ps, m.l2[b].Params()...)
	}
	return append(ps, m.outL.Params()...)
}

func (m *ResMLP) check(op string, x *tensor.Mat, nt int, cond *tensor.Mat, keep []float32) {
	if x.Cols != m.D || x.Rows%m.K != 0 || (nt >= 0 && nt != x.Rows) {
		panic(fmt.Sprintf("denoiser.ResMLP.%s: data %s with %d times, want %d columns and rows a multiple of %d members", op, x.Shape(), nt, m.D, m.K))
	}
	if m.C == 0 || nt < 0 {
		return
	}
	if cond == nil || cond.Cols != m.C || cond.Rows != x.Rows || (keep != nil && len(keep) != x.Rows) {
		shape := "nil"
		if cond != nil {
			shape = cond.Shape()
		}
		panic(fmt.Sprintf("denoiser.ResMLP.%s: condition %s (keep %d) for data %s, want %d×%d", op, shape, len(keep), x.Shape(), x.Rows, m.C))
	}
}

// augCond writes [c⊙k, k] for row i of cond into dst.
func augCond(dst, c []float32, k float32) {
	for j, v := range c {
		dst[j] = v * k
	}
	dst[len(c)] = k
}

func keepAt(keep []float32, i int) float32 {
	if keep == nil {
		return 1
	}
	return keep[i]
}

// Forward implements diffusion.Denoiser.
func (m *ResMLP) Forward(x *tensor.Mat, t []float32, cond *tensor.Mat, keep []float32) *tensor.Mat {
	m.check("Forward", x, len(t), cond, keep)
	if m.films == nil && !m.layered {
		return m.forwardDP(x, t, cond, keep)
	}
	m.tr.active = false
	m.keep = keep
	rows, D, E := x.Rows, m.D, m.Cfg.TimeDim
	e := m.temb.Forward(t)
	in := D + m.ci + E
	m.inBuf.Resize(rows, in)
	if m.films != nil {
		m.cAug.Resize(rows, m.C+1)
	}
	for i := 0; i < rows; i++ {
		r := m.inBuf.Row(i)
		copy(r, x.Row(i))
		if m.ci > 0 {
			augCond(r[D:D+m.ci], cond.Row(i), keepAt(keep, i))
		}
		copy(r[D+m.ci:], e.Row(i))
		if m.films != nil {
			augCond(m.cAug.Row(i), cond.Row(i), keepAt(keep, i))
		}
	}
	h := m.inL.Forward(&m.inBuf)
	for b := range m.l1 {
		u := m.l1[b].Forward(h)
		if m.films != nil {
			u = m.filmActs[b].forward(m.films[b].Forward(u, &m.cAug))
		}
		v := m.l2[b].Forward(u)
		tensor.Add(&m.hs[b], h, v)
		h = &m.hs[b]
	}
	return m.outL.Forward(m.outAct.forward(h))
}

// Backward implements diffusion.Denoiser.
func (m *ResMLP) Backward(dy *tensor.Mat) *tensor.Mat {
	if m.tr.active {
		return m.backwardDP(dy)
	}
	dh := m.outAct.backward(m.outL.Backward(dy))
	m.dh.CopyFrom(dh)
	if m.films != nil {
		m.dcAug.Resize(dy.Rows, m.C+1)
		m.dcAug.Zero()
	}
	for b := len(m.l1) - 1; b >= 0; b-- {
		du := m.l2[b].Backward(&m.dh)
		if m.films != nil {
			var dc *tensor.Mat
			du, dc = m.films[b].Backward(m.filmActs[b].backward(du))
			tensor.Add(&m.dcAug, &m.dcAug, dc)
		}
		tensor.Add(&m.dh, &m.dh, m.l1[b].Backward(du))
	}
	din := m.inL.Backward(&m.dh)
	rows, D, E := dy.Rows, m.D, m.Cfg.TimeDim
	m.demb.Resize(rows, E)
	if m.C > 0 {
		m.dcnd.Resize(rows, m.C)
	}
	for i := 0; i < rows; i++ {
		r := din.Row(i)
		copy(m.demb.Row(i), r[D+m.ci:])
		if m.C == 0 {
			continue
		}
		// Gradient of [c⊙k, k] with respect to c: the first C columns times k.
		src := r[D : D+m.C]
		if m.films != nil {
			src = m.dcAug.Row(i)[:m.C]
		}
		dc := m.dcnd.Row(i)
		k := keepAt(m.keep, i)
		for j, v := range src {
			dc[j] = v * k
		}
	}
	m.temb.Backward(&m.demb)
	if m.C == 0 {
		return nil
	}
	return &m.dcnd
}

// InputLayer returns the input layer's weights ([K, In, Width], rows
// ordered [x | time embedding | condition]), its input width and its output
// width, for callers that constrain which inputs a member may read (the
// world model's per-member encoders mask other members' latents).
func (m *ResMLP) InputLayer() (w *nn.Param, in, out int) {
	return m.inL.W, m.inL.In, m.inL.Out
}
