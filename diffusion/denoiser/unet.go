package denoiser

import (
	"fmt"

	"github.com/dwm-rl/dwm/internal/blas"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// UNetConfig describes a temporal U-Net. Zero fields take the defaults
// listed on each field (Diffuser's locomotion configuration, Janner et al.
// 2022, config/locomotion.py and models/temporal.py).
type UNetConfig struct {
	// Horizon is the number of rows H of a trajectory (required). It must be
	// divisible by 2^(len(Mults)−1), the total downsampling.
	Horizon int
	// Dim is the base channel count and time-embedding width (default 32).
	Dim int
	// Mults are the channel multipliers of the resolutions (default
	// 1, 2, 4, 8).
	Mults []int
	// Kernel is the convolution kernel size of the residual blocks (default
	// 5); it must be odd.
	Kernel int
	// Groups is the number of group-norm groups (default 8); it must divide
	// every channel count Dim·Mults[i].
	Groups int
}

// WithDefaults returns c with every zero field set to its default.
func (c UNetConfig) WithDefaults() UNetConfig {
	if c.Dim == 0 {
		c.Dim = 32 // Diffuser
	}
	if c.Mults == nil {
		c.Mults = []int{1, 2, 4, 8} // Diffuser, locomotion
	}
	if c.Kernel == 0 {
		c.Kernel = 5 // Diffuser
	}
	if c.Groups == 0 {
		c.Groups = 8 // Diffuser
	}
	return c
}

// Validate reports the first invalid field (after defaults).
func (c UNetConfig) Validate() error {
	c = c.WithDefaults()
	switch {
	case c.Horizon < 2:
		return fmt.Errorf("UNetConfig.Horizon = %d: must be ≥ 2", c.Horizon)
	case c.Dim < 4 || c.Dim%2 != 0:
		return fmt.Errorf("UNetConfig.Dim = %d: must be even and ≥ 4", c.Dim)
	case len(c.Mults) == 0:
		return fmt.Errorf("UNetConfig.Mults is empty")
	case c.Kernel < 1 || c.Kernel%2 == 0:
		return fmt.Errorf("UNetConfig.Kernel = %d: must be odd and ≥ 1", c.Kernel)
	case c.Groups < 1:
		return fmt.Errorf("UNetConfig.Groups = %d: must be ≥ 1", c.Groups)
	}
	for i, m := range c.Mults {
		if m < 1 {
			return fmt.Errorf("UNetConfig.Mults[%d] = %d: must be ≥ 1", i, m)
		}
		if (c.Dim*m)%c.Groups != 0 {
			return fmt.Errorf("UNetConfig.Groups = %d does not divide the %d channels of resolution %d", c.Groups, c.Dim*m, i)
		}
	}
	if down := 1 << (len(c.Mults) - 1); c.Horizon%down != 0 {
		return fmt.Errorf("UNetConfig.Horizon = %d: must be divisible by %d (%d resolutions halve it %d times)",
			c.Horizon, down, len(c.Mults), len(c.Mults)-1)
	}
	return nil
}

// resBlock is Diffuser's ResidualTemporalBlock:
//
//	out = Block2(Block1(x) + Linear(Mish(emb))) + Res(x)
//
// with Block = Conv1d(k, pad k/2) → GroupNorm → Mish and Res a 1×1
// convolution when the channel count changes (the identity otherwise).
// Mish(emb) is computed once by the U-Net and shared by all blocks.
type resBlock struct {
	in, out    int
	conv1      *nn.Conv1d
	gn1        *nn.GroupNorm
	conv2      *nn.Conv1d
	gn2        *nn.GroupNorm
	temb       *nn.Linear
	res        *nn.Conv1d
	x          *tensor.Mat
	a2, y, dx  tensor.Mat
	dtb        tensor.Mat
	pa, pb, pt tensor.Mat // Predict scratch
	pr         tensor.Mat
	ptb        tensor.Mat  // Step's time bias (B' × out)
	tb         *tensor.Mat // the training path's time bias (rows × out)
	dmembPart  *tensor.Mat // the training path: the time bias's gradient with respect to Mish(emb)
}

func newResBlock(name string, in, out, embed int, cfg UNetConfig, s *rng.Stream) *resBlock {
	k := cfg.Kernel
	b := &resBlock{in: in, out: out,
		conv1: nn.NewConv1d(name+"/conv1", in, out, k, 1, k/2, tensor.Identity, s),
		gn1:   nn.NewGroupNorm(name+"/gn1", cfg.Groups, out, tensor.Mish),
		conv2: nn.NewConv1d(name+"/conv2", out, out, k, 1, k/2, tensor.Identity, s),
		gn2:   nn.NewGroupNorm(name+"/gn2", cfg.Groups, out, tensor.Mish),
		temb:  nn.NewLinear(name+"/time", embed, out, tensor.Identity, s),
	}
	if in != out {
		b.res = nn.NewConv1d(name+"/res", in, out, 1, 1, 0, tensor.Identity, s)
	}
	return b
}

func (b *resBlock) params() []*nn.Param {
	ps := append(b.conv1.Params(), b.gn1.Params()...)
	ps = append(ps, b.temb.Params()...)
	ps = append(ps, b.conv2.Params()...)
	ps = append(ps, b.gn2.Params()...)
	if b.res != nil {
		ps = append(ps, b.res.Params()...)
	}
	return ps
}

// addRowBias sets dst = a + tb broadcast over positions: row r of a
// (channel-major, C channels of length L) gets tb row (off+r) mod tb.Rows
// added to every position of channel c.
func addRowBias(dst, a, tb *tensor.Mat, L, off int) {
	dst.Resize(a.Rows, a.Cols)
	for r := 0; r < a.Rows; r++ {
		src, d := a.Row(r), dst.Row(r)
		bias := tb.Row((off + r) % tb.Rows)
		for c, v := range bias {
			s, o := src[c*L:(c+1)*L], d[c*L:(c+1)*L]
			for j := range s {
				o[j] = s[j] + v
			}
		}
	}
}

// forward runs the block on x (rows × in·L) with the shared Mish(emb)
// (rows × embed) and caches for backward.
func (b *resBlock) forward(x, memb *tensor.Mat) *tensor.Mat {
	b.x = x
	L := x.Cols / b.in
	a := b.gn1.Forward(b.conv1.Forward(x))
	tb := b.temb.Forward(memb)
	addRowBias(&b.a2, a, tb, L, 0)
	y1 := b.gn2.Forward(b.conv2.Forward(&b.a2))
	r := x
	if b.res != nil {
		r = b.res.Forward(x)
	}
	tensor.Add(&b.y, y1, r)
	return &b.y
}

// backward returns the gradient with respect to x and adds the gradient
// with respect to Mish(emb) to dmemb.
func (b *resBlock) backward(dy, dmemb *tensor.Mat) *tensor.Mat {
	L := dy.Cols / b.out
	da2 := b.conv2.Backward(b.gn2.Backward(dy))
	b.dtb.Resize(dy.Rows, b.out)
	for r := 0; r < dy.Rows; r++ {
		src, d := da2.Row(r), b.dtb.Row(r)
		for c := range d {
			var s float32
			for _, v := range src[c*L : (c+1)*L] {
				s += v
			}
			d[c] = s
		}
	}
	tensor.Add(dmemb, dmemb, b.temb.Backward(&b.dtb))
	dx := b.conv1.Backward(b.gn1.Backward(da2))
	if b.res != nil {
		tensor.Add(&b.dx, dx, b.res.Backward(dy))
	} else {
		tensor.Add(&b.dx, dx, dy)
	}
	return &b.dx
}

// convPredict and normPredict run a layer's Predict, or, if serial is not
// nil, PredictSerial with that scratch.
func convPredict(l *nn.Conv1d, dst, x *tensor.Mat, serial *nn.Scratch) {
	if serial != nil {
		l.PredictSerial(dst, x, serial)
	} else {
		l.Predict(dst, x)
	}
}

func normPredict(l *nn.GroupNorm, dst, x *tensor.Mat, serial *nn.Scratch) {
	if serial != nil {
		l.PredictSerial(dst, x)
	} else {
		l.Predict(dst, x)
	}
}

// predict sets dst to the block's output for x with time biases tb
// (row r of x uses row (off+r) mod tb.Rows) without touching the training
// cache; a non-nil serial selects single-threaded kernels with that
// scratch.
func (b *resBlock) predict(dst, x, tb *tensor.Mat, off int, serial *stepScratch) {
	L := x.Cols / b.in
	pa, pb, pr := &b.pa, &b.pb, &b.pr
	var sc *nn.Scratch
	if serial != nil {
		pa, pb, pr, sc = &serial.pa, &serial.pb, &serial.pr, &serial.Scratch
	}
	convPredict(b.conv1, pa, x, sc)
	normPredict(b.gn1, pb, pa, sc)
	addRowBias(pa, pb, tb, L, off)
	convPredict(b.conv2, pb, pa, sc)
	normPredict(b.gn2, dst, pb, sc)
	if b.res != nil {
		convPredict(b.res, pr, x, sc)
		tensor.Add(dst, dst, pr)
	} else {
		tensor.Add(dst, dst, x)
	}
}

// stepScratch holds the temporary matrices that every layer and block of a
// serial stepRows shares, so that they stay in cache (one column matrix
// instead of one per convolution: 6% of the sampling time at 64 plans).
type stepScratch struct {
	nn.Scratch
	pa, pb, pr tensor.Mat
}

// TemporalUNet is Diffuser's temporal U-Net (Janner et al. 2022) over
// trajectories of Horizon rows of C values (C = the transition width, e.g.
// state and action): each data row of the denoiser holds one trajectory,
// time-major (element (h, c) at h·C + c), convolved along the horizon with
// the C values as channels:
//
//	down level i:  x = RB(RB(x)); skip_i = x; x = Downsample(x) (not at the last level)
//	middle:        x = RB(RB(x))
//	up level j:    x = Upsample(RB(RB([x, skip]))) for the levels below the last, deepest first
//	output:        Conv1d(Dim→C, 1)(Mish(GroupNorm(Conv1d(Dim→Dim, 5)(x))))
//
// with RB the residual temporal block (resBlock), Downsample a Conv1d(3,
// stride 2, pad 1) and Upsample a ConvTranspose1d(4, stride 2, pad 1). The
// embedding fed to every block is the time MLP's output, concatenated with
// (for a conditional U-Net) an MLP embedding of [c⊙k, k] (Decision
// Diffuser's conditioning, Ajay et al. 2023; k the guidance keep flag).
// Diffuser itself conditions only by inpainting, which the sampler does
// (diffusion.Inpaint, diffusion.Config.Known).
//
// A TemporalUNet has one member. Parameters are named name+"/time/…",
// "/cond/l1/…", "/down<i>/rb<1|2>/{conv1,gn1,time,conv2,gn2,res}/…",
// "/down<i>/down/…", "/mid/rb<1|2>/…", "/up<j>/rb<1|2>/…", "/up<j>/up/…" and
// "/final/{conv,gn,out}/…", with PyTorch's shapes.
type TemporalUNet struct {
	H, C, CondW int
	Cfg         UNetConfig

	temb       *TimeEmbedding
	cond1      *nn.Linear // [c⊙k, k] → 4·Dim (Mish)
	cond2      *nn.Linear // 4·Dim → Dim
	downs      [][2]*resBlock
	down       []*nn.Conv1d // nil at the last level
	mid        [2]*resBlock
	ups        [][2]*resBlock
	up         []*nn.ConvTranspose1d
	finalConv  *nn.Conv1d
	finalNorm  *nn.GroupNorm
	finalOut   *nn.Conv1d
	embed      int
	xcm        tensor.Mat // input, channel-major
	cAug       tensor.Mat
	emb        tensor.Mat
	membAct    actMat
	skips      []*tensor.Mat
	cats       []tensor.Mat
	out        tensor.Mat
	keep       []float32
	dout, dcat tensor.Mat
	dcats      []tensor.Mat
	dmemb      tensor.Mat
	dskip      []tensor.Mat
	dcnd       tensor.Mat
	demb       tensor.Mat

	// Sampling path.
	prepCond   tensor.Mat // B' × Dim condition embeddings
	nCond      int
	pEmb, pOne tensor.Mat
	pMemb      tensor.Mat
	pX         []tensor.Mat
	all        []*resBlock
	reps       []*TemporalUNet // Step's replicas (parallel parts)
	repSynced  bool
	plist      []*nn.Param // Params(), cached for syncReplicas
	task       unetStep
	pSkips     []tensor.Mat
	pCat       tensor.Mat
	pIn, pOut  tensor.Mat
	pCAug      tensor.Mat
	pMid       tensor.Mat
	scratch    stepScratch // serial stepRows' shared temporary matrices

	tr unetTrain // the data-parallel training path (unet_train.go)
}

// NewTemporalUNet returns a U-Net for trajectories of cfg.Horizon rows of c
// values, conditioned on vectors of width condDim (0: unconditional), with
// parameters named under name and initialised like PyTorch from s. It
// returns the configuration error, if any.
func NewTemporalUNet(name string, c, condDim int, cfg UNetConfig, s *rng.Stream) (*TemporalUNet, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("denoiser.NewTemporalUNet %s: %w", name, err)
	}
	if c < 1 || condDim < 0 {
		return nil, fmt.Errorf("denoiser.NewTemporalUNet %s: transition width %d must be ≥ 1, condition width %d ≥ 0", name, c, condDim)
	}
	cfg = cfg.WithDefaults()
	u := &TemporalUNet{H: cfg.Horizon, C: c, CondW: condDim, Cfg: cfg, embed: cfg.Dim}
	dim := cfg.Dim
	u.temb = NewTimeEmbedding(name+"/time", 1, dim, tensor.Mish, s)
	if condDim > 0 {
		u.cond1 = nn.NewLinear(name+"/cond/l1", condDim+1, 4*dim, tensor.Mish, s)
		u.cond2 = nn.NewLinear(name+"/cond/l2", 4*dim, dim, tensor.Identity, s)
		u.embed = 2 * dim
	}
	dims := []int{c}
	for _, m := range cfg.Mults {
		dims = append(dims, dim*m)
	}
	n := len(cfg.Mults)
	for i := 0; i < n; i++ {
		in, out := dims[i], dims[i+1]
		u.downs = append(u.downs, [2]*resBlock{
			newResBlock(fmt.Sprintf("%s/down%d/rb1", name, i), in, out, u.embed, cfg, s),
			newResBlock(fmt.Sprintf("%s/down%d/rb2", name, i), out, out, u.embed, cfg, s)})
		var d *nn.Conv1d
		if i < n-1 {
			d = nn.NewConv1d(fmt.Sprintf("%s/down%d/down", name, i), out, out, 3, 2, 1, tensor.Identity, s)
		}
		u.down = append(u.down, d)
	}
	mid := dims[n]
	u.mid = [2]*resBlock{newResBlock(name+"/mid/rb1", mid, mid, u.embed, cfg, s), newResBlock(name+"/mid/rb2", mid, mid, u.embed, cfg, s)}
	for j := 0; j < n-1; j++ {
		// Level i = n−1−j, channels (in, out) = (dims[i], dims[i+1]).
		i := n - 1 - j
		in, out := dims[i], dims[i+1]
		u.ups = append(u.ups, [2]*resBlock{
			newResBlock(fmt.Sprintf("%s/up%d/rb1", name, j), 2*out, in, u.embed, cfg, s),
			newResBlock(fmt.Sprintf("%s/up%d/rb2", name, j), in, in, u.embed, cfg, s)})
		u.up = append(u.up, nn.NewConvTranspose1d(fmt.Sprintf("%s/up%d/up", name, j), in, in, 4, 2, 1, tensor.Identity, s))
	}
	u.finalConv = nn.NewConv1d(name+"/final/conv", dim, dim, cfg.Kernel, 1, cfg.Kernel/2, tensor.Identity, s)
	u.finalNorm = nn.NewGroupNorm(name+"/final/gn", cfg.Groups, dim, tensor.Mish)
	u.finalOut = nn.NewConv1d(name+"/final/out", dim, c, 1, 1, 0, tensor.Identity, s)
	u.membAct.act = tensor.Mish
	u.skips = make([]*tensor.Mat, n)
	u.dskip = make([]tensor.Mat, n)
	u.cats = make([]tensor.Mat, n-1)
	u.dcats = make([]tensor.Mat, n-1)
	u.pX = make([]tensor.Mat, 4)
	u.pSkips = make([]tensor.Mat, n)
	u.all = u.blocks()
	return u, nil
}

func (u *TemporalUNet) blocks() []*resBlock {
	var bs []*resBlock
	for _, d := range u.downs {
		bs = append(bs, d[0], d[1])
	}
	bs = append(bs, u.mid[0], u.mid[1])
	for _, d := range u.ups {
		bs = append(bs, d[0], d[1])
	}
	return bs
}

// Members returns 1.
func (u *TemporalUNet) Members() int { return 1 }

// Dim returns the data width Horizon·C.
func (u *TemporalUNet) Dim() int { return u.H * u.C }

// CondDim returns the condition width.
func (u *TemporalUNet) CondDim() int { return u.CondW }

// Params returns every parameter.
func (u *TemporalUNet) Params() []*nn.Param {
	ps := u.temb.Params()
	if u.cond1 != nil {
		ps = append(ps, u.cond1.Params()...)
		ps = append(ps, u.cond2.Params()...)
	}
	for i, d := range u.downs {
		ps = append(ps, d[0].params()...)
		ps = append(ps, d[1].params()...)
		if u.down[i] != nil {
			ps = append(ps, u.down[i].Params()...)
		}
	}
	ps = append(ps, u.mid[0].params()...)
	ps = append(ps, u.mid[1].params()...)
	for j, d := range u.ups {
		ps = append(ps, d[0].params()...)
		ps = append(ps, d[1].params()...)
		ps = append(ps, u.up[j].Params()...)
	}
	ps = append(ps, u.finalConv.Params()...)
	ps = append(ps, u.finalNorm.Params()...)
	return append(ps, u.finalOut.Params()...)
}

// timeToChannel sets dst (rows × C·H) to the channel-major form of the
// time-major src (rows × H·C); channelToTime is its inverse.
func timeToChannel(dst, src *tensor.Mat, H, C int) {
	dst.Resize(src.Rows, src.Cols)
	for r := 0; r < src.Rows; r++ {
		s, d := src.Row(r), dst.Row(r)
		for h := 0; h < H; h++ {
			for c := 0; c < C; c++ {
				d[c*H+h] = s[h*C+c]
			}
		}
	}
}

func channelToTime(dst, src *tensor.Mat, H, C int) {
	dst.Resize(src.Rows, src.Cols)
	for r := 0; r < src.Rows; r++ {
		s, d := src.Row(r), dst.Row(r)
		for h := 0; h < H; h++ {
			for c := 0; c < C; c++ {
				d[h*C+c] = s[c*H+h]
			}
		}
	}
}

// catChannels sets dst (rows × (a.Cols+b.Cols)) to [a, b] per row: the
// channel concatenation of two channel-major signals of one length.
func catChannels(dst, a, b *tensor.Mat) {
	dst.Resize(a.Rows, a.Cols+b.Cols)
	for r := 0; r < a.Rows; r++ {
		d := dst.Row(r)
		copy(d, a.Row(r))
		copy(d[a.Cols:], b.Row(r))
	}
}

func (u *TemporalUNet) check(op string, x *tensor.Mat, nt int, cond *tensor.Mat, keep []float32) {
	if x.Cols != u.H*u.C || (nt >= 0 && nt != x.Rows) {
		panic(fmt.Sprintf("denoiser.TemporalUNet.%s: data %s with %d times, want %d columns", op, x.Shape(), nt, u.H*u.C))
	}
	if u.CondW == 0 || nt < 0 {
		return
	}
	if cond == nil || cond.Cols != u.CondW || cond.Rows != x.Rows || (keep != nil && len(keep) != x.Rows) {
		shape := "nil"
		if cond != nil {
			shape = cond.Shape()
		}
		panic(fmt.Sprintf("denoiser.TemporalUNet.%s: condition %s (keep %d) for data %s, want %d×%d", op, shape, len(keep), x.Shape(), x.Rows, u.CondW))
	}
}

// embedTimes checks Forward's inputs and returns Mish(emb) for the rows'
// times and conditions.
func (u *TemporalUNet) embedTimes(x *tensor.Mat, t []float32, cond *tensor.Mat, keep []float32) *tensor.Mat {
	u.check("Forward", x, len(t), cond, keep)
	u.keep = keep
	rows, dim := x.Rows, u.Cfg.Dim
	e := u.temb.Forward(t)
	u.emb.Resize(rows, u.embed)
	if u.CondW > 0 {
		u.cAug.Resize(rows, u.CondW+1)
		for i := 0; i < rows; i++ {
			augCond(u.cAug.Row(i), cond.Row(i), keepAt(keep, i))
		}
		ce := u.cond2.Forward(u.cond1.Forward(&u.cAug))
		for i := 0; i < rows; i++ {
			r := u.emb.Row(i)
			copy(r[:dim], e.Row(i))
			copy(r[dim:], ce.Row(i))
		}
	} else {
		u.emb.CopyFrom(e)
	}
	return u.membAct.forward(&u.emb)
}

// forwardLayers is the layer-by-layer forward pass (each product split
// across threads by blas.Sgemm), the reference for the part path of
// Forward (unet_train.go).
func (u *TemporalUNet) forwardLayers(x *tensor.Mat, t []float32, cond *tensor.Mat, keep []float32) *tensor.Mat {
	memb := u.embedTimes(x, t, cond, keep)
	timeToChannel(&u.xcm, x, u.H, u.C)
	h := &u.xcm
	for i, d := range u.downs {
		h = d[1].forward(d[0].forward(h, memb), memb)
		u.skips[i] = h
		if u.down[i] != nil {
			h = u.down[i].Forward(h)
		}
	}
	h = u.mid[1].forward(u.mid[0].forward(h, memb), memb)
	n := len(u.downs)
	for j, d := range u.ups {
		catChannels(&u.cats[j], h, u.skips[n-1-j])
		h = d[1].forward(d[0].forward(&u.cats[j], memb), memb)
		h = u.up[j].Forward(h)
	}
	o := u.finalOut.Forward(u.finalNorm.Forward(u.finalConv.Forward(h)))
	channelToTime(&u.out, o, u.H, u.C)
	return &u.out
}

// backwardLayers is the backward pass after forwardLayers.
func (u *TemporalUNet) backwardLayers(dy *tensor.Mat) *tensor.Mat {
	rows := dy.Rows
	u.dmemb.Resize(rows, u.embed)
	u.dmemb.Zero()
	timeToChannel(&u.dout, dy, u.H, u.C)
	g := u.finalConv.Backward(u.finalNorm.Backward(u.finalOut.Backward(&u.dout)))
	n := len(u.downs)
	for j := len(u.ups) - 1; j >= 0; j-- {
		d := u.ups[j]
		g = u.up[j].Backward(g)
		g = d[0].backward(d[1].backward(g, &u.dmemb), &u.dmemb)
		// Split the gradient of [h, skip].
		hc := g.Cols - u.skips[n-1-j].Cols
		ds := &u.dskip[n-1-j]
		ds.Resize(rows, u.skips[n-1-j].Cols)
		dh := &u.dcats[j]
		dh.Resize(rows, hc)
		for r := 0; r < rows; r++ {
			gr := g.Row(r)
			copy(dh.Row(r), gr[:hc])
			copy(ds.Row(r), gr[hc:])
		}
		g = dh
	}
	g = u.mid[0].backward(u.mid[1].backward(g, &u.dmemb), &u.dmemb)
	for i := n - 1; i >= 0; i-- {
		d := u.downs[i]
		if u.down[i] != nil {
			g = u.down[i].Backward(g)
		}
		if i >= 1 {
			// Level i's output is also the skip of up level n−1−i (level 0's
			// skip is unused, as in Diffuser): add its gradient.
			tensor.Add(&u.dskip[i], &u.dskip[i], g)
			g = &u.dskip[i]
		}
		g = d[0].backward(d[1].backward(g, &u.dmemb), &u.dmemb)
	}
	return u.backwardEmbed(rows)
}

// backwardEmbed back-propagates u.dmemb (the gradient with respect to
// Mish(emb)) through the time and condition MLPs and returns the condition's
// gradient (nil when unconditional).
func (u *TemporalUNet) backwardEmbed(rows int) *tensor.Mat {
	dim := u.Cfg.Dim
	demb := u.membAct.backward(&u.dmemb)
	u.demb.Resize(rows, dim)
	for i := 0; i < rows; i++ {
		copy(u.demb.Row(i), demb.Row(i)[:dim])
	}
	u.temb.Backward(&u.demb)
	if u.CondW == 0 {
		return nil
	}
	u.dcat.Resize(rows, dim)
	for i := 0; i < rows; i++ {
		copy(u.dcat.Row(i), demb.Row(i)[dim:])
	}
	dc := u.cond1.Backward(u.cond2.Backward(&u.dcat))
	u.dcnd.Resize(rows, u.CondW)
	for i := 0; i < rows; i++ {
		k := keepAt(u.keep, i)
		src, d := dc.Row(i), u.dcnd.Row(i)
		for j := range d {
			d[j] = src[j] * k
		}
	}
	return &u.dcnd
}

// SetCond implements diffusion.Denoiser: it embeds the B' conditions once.
func (u *TemporalUNet) SetCond(cond *tensor.Mat, keep []float32) {
	u.repSynced = false
	u.nCond = 1
	if u.CondW == 0 {
		return
	}
	if cond == nil || cond.Cols != u.CondW || cond.Rows < 1 || (keep != nil && len(keep) != cond.Rows) {
		shape := "nil"
		if cond != nil {
			shape = cond.Shape()
		}
		panic(fmt.Sprintf("denoiser.TemporalUNet.SetCond: condition %s (keep %d), want ·×%d", shape, len(keep), u.CondW))
	}
	u.nCond = cond.Rows
	u.pCAug.Resize(cond.Rows, u.CondW+1)
	for i := 0; i < cond.Rows; i++ {
		augCond(u.pCAug.Row(i), cond.Row(i), keepAt(keep, i))
	}
	u.cond1.Predict(&u.pMid, &u.pCAug)
	u.cond2.Predict(&u.prepCond, &u.pMid)
}

// minRowsPerPart is the smallest number of rows Step gives one goroutine.
const minRowsPerPart = 8

// Step implements diffusion.Denoiser: the embedding and every block's time
// bias are computed once per step for the B' conditions. With
// blas.Threads() = P ≥ 2 and at least 2·minRowsPerPart rows, the rows are
// split into up to P parts run concurrently, each through a whole network:
// the U-Net itself and P−1 replicas (created on first use, with their own
// buffers; their parameters' values are the U-Net's own slices, re-pointed
// at every SetCond, so that every core reads the same weights from the
// shared cache).
func (u *TemporalUNet) Step(dst, x *tensor.Mat, t float32) {
	u.check("Step", x, -1, nil, nil)
	if u.nCond == 0 {
		panic("denoiser.TemporalUNet.Step: SetCond was not called")
	}
	u.prepStep(t)
	dst.Resize(x.Rows, x.Cols)
	p := blas.Threads()
	parts := min(p, x.Rows/minRowsPerPart)
	if parts < 2 {
		// One thread: the products would not be split anyway.
		u.stepRows(dst, x, 0, p == 1)
		return
	}
	u.syncReplicas(parts - 1)
	for _, r := range u.reps[:parts-1] {
		for i, b := range u.all {
			r.all[i].ptb.CopyFrom(&b.ptb)
		}
	}
	u.task = unetStep{u: u, x: x, dst: dst, parts: parts}
	blas.ParallelFor(parts, p, &u.task)
	u.task = unetStep{}
}

// unetStep is one parallel Step as a blas.Task: item i runs rows
// [i·R/parts, (i+1)·R/parts) on the U-Net (i = 0) or replica i−1.
type unetStep struct {
	u      *TemporalUNet
	x, dst *tensor.Mat
	parts  int
}

// Run evaluates part i.
func (s *unetStep) Run(i int) {
	R := s.x.Rows
	lo, hi := i*R/s.parts, (i+1)*R/s.parts
	net := s.u
	if i > 0 {
		net = s.u.reps[i-1]
	}
	var xv, dv tensor.Mat
	s.x.RowViewInto(&xv, lo, hi)
	s.dst.RowViewInto(&dv, lo, hi)
	net.stepRows(&dv, &xv, lo, true)
}

// syncReplicas makes sure n replicas exist and that their parameters' values
// are the U-Net's (shared slices: replicas only run the serial Predict
// paths, which read Param.W).
func (u *TemporalUNet) syncReplicas(n int) {
	for len(u.reps) < n {
		r, err := NewTemporalUNet("replica", u.C, u.CondW, u.Cfg, rng.New(0))
		if err != nil {
			panic("denoiser.TemporalUNet: replica: " + err.Error())
		}
		u.reps = append(u.reps, r)
		u.repSynced = false
	}
	if u.repSynced {
		return
	}
	if u.plist == nil {
		u.plist = u.Params()
	}
	for _, r := range u.reps {
		if r.plist == nil {
			r.plist = r.Params()
		}
		for j, p := range r.plist {
			p.W = u.plist[j].W
		}
	}
	u.repSynced = true
}

// prepStep computes the embedding of time t for the prepared conditions and
// every block's time bias.
func (u *TemporalUNet) prepStep(t float32) {
	dim := u.Cfg.Dim
	u.temb.Embed(&u.pOne, t)
	u.pEmb.Resize(u.nCond, u.embed)
	for i := 0; i < u.nCond; i++ {
		r := u.pEmb.Row(i)
		copy(r[:dim], u.pOne.Row(0))
		if u.CondW > 0 {
			copy(r[dim:], u.prepCond.Row(i))
		}
	}
	tensor.ActForward(tensor.Mish, &u.pMemb, &u.pEmb)
	for _, b := range u.all {
		b.temb.Predict(&b.ptb, &u.pMemb)
	}
}

// stepRows runs the network on rows of x whose first row is row off of the
// Step's batch (for the condition index), with the time biases in place;
// serial selects single-threaded kernels whose temporary matrices are shared
// by all layers (u.scratch, kept in cache), for one thread or a part of a
// parallel Step.
func (u *TemporalUNet) stepRows(dst, x *tensor.Mat, off int, serial bool) {
	var ss *stepScratch
	var sc *nn.Scratch
	if serial {
		ss, sc = &u.scratch, &u.scratch.Scratch
	}
	timeToChannel(&u.pIn, x, u.H, u.C)
	h := &u.pIn
	k := 0
	// Each operation reads only the previous one's output (skips live in
	// pSkips), so a ring of four buffers suffices.
	next := func() *tensor.Mat { m := &u.pX[k%len(u.pX)]; k++; return m }
	for i, d := range u.downs {
		a := next()
		d[0].predict(a, h, &d[0].ptb, off, ss)
		d[1].predict(&u.pSkips[i], a, &d[1].ptb, off, ss)
		h = &u.pSkips[i]
		if u.down[i] != nil {
			o := next()
			convPredict(u.down[i], o, h, sc)
			h = o
		}
	}
	a, o := next(), next()
	u.mid[0].predict(a, h, &u.mid[0].ptb, off, ss)
	u.mid[1].predict(o, a, &u.mid[1].ptb, off, ss)
	h = o
	n := len(u.downs)
	for j, d := range u.ups {
		catChannels(&u.pCat, h, &u.pSkips[n-1-j])
		a, b := next(), next()
		d[0].predict(a, &u.pCat, &d[0].ptb, off, ss)
		d[1].predict(b, a, &d[1].ptb, off, ss)
		c := next()
		if serial {
			u.up[j].PredictSerial(c, b, sc)
		} else {
			u.up[j].Predict(c, b)
		}
		h = c
	}
	a, b := next(), next()
	convPredict(u.finalConv, a, h, sc)
	normPredict(u.finalNorm, b, a, sc)
	convPredict(u.finalOut, &u.pOut, b, sc)
	channelToTime(dst, &u.pOut, u.H, u.C)
}
