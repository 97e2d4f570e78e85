package worldmodel

import (
	"fmt"

	"github.com/dwm-rl/dwm/diffusion"
	"github.com/dwm-rl/dwm/diffusion/denoiser"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// diffusionEnsemble is BDWM's world-model core: K encoders (or one shared)
// z = f_φ(s, a) and K conditional diffusion decoders ε/v_θk(x_τ, τ, z), the
// decoders one member-axis ResMLP so all K train and sample in one call.
//
// With per-member encoders the decoders' condition is the concatenation
// [z_1, …, z_K] of every member's latent, and member k's input-layer
// weights on the other members' blocks are held at exactly zero (zeroed at
// initialisation, their gradients zeroed after every backward pass, so Adam
// never moves them): member k sees only z_k. This keeps the members
// independent networks while the sampler prepares one list of conditions
// for all members (diffusion.Denoiser.SetCond shares conditions across
// members).
type diffusionEnsemble struct {
	k, in, d, z int
	shared      bool

	enc     *nn.MLP // K members (or 1 when shared): [s, a] → z
	net     *denoiser.ResMLP
	model   *diffusion.Model
	sampler *diffusion.Sampler

	zbuf, cond, tiled, dz tensor.Mat
}

func newDiffusionEnsemble(cfg Config, in, d int, s *rng.Stream) (*diffusionEnsemble, error) {
	e := &diffusionEnsemble{k: cfg.Members, in: in, d: d, z: cfg.LatentDim, shared: cfg.SharedEncoder || cfg.Members == 1}
	ke := e.k
	if e.shared {
		ke = 1
	}
	sizes := append(append([]int{in}, cfg.EncoderHidden...), cfg.LatentDim)
	e.enc = nn.NewEnsembleMLP("encoder", ke, nn.MLPConfig{Sizes: sizes, Hidden: tensor.SiLU}, s.Child("encoder"))
	e.enc.NoInputGrad = true
	condDim := e.z
	if !e.shared {
		condDim = e.k * e.z
	}
	net, err := denoiser.NewResMLP("decoder", e.k, d, condDim,
		denoiser.MLPConfig{Width: cfg.Width, Blocks: cfg.Blocks, TimeDim: cfg.TimeDim}, s.Child("decoder"))
	if err != nil {
		return nil, fmt.Errorf("worldmodel: %w", err)
	}
	e.net = net
	pred := diffusion.V
	switch cfg.Prediction {
	case "eps":
		pred = diffusion.Eps
	case "x0":
		pred = diffusion.X0
	}
	e.model, err = diffusion.New(net, diffusion.Config{
		Schedule:   diffusion.ScheduleConfig{Kind: diffusion.Cosine, Steps: cfg.DiffusionSteps},
		Prediction: pred,
	})
	if err != nil {
		return nil, fmt.Errorf("worldmodel: %w", err)
	}
	e.sampler, err = e.model.NewSampler(diffusion.SamplerConfig{Method: diffusion.DDIM, Steps: cfg.SampleSteps})
	if err != nil {
		return nil, fmt.Errorf("worldmodel: %w", err)
	}
	w, _, _ := e.net.InputLayer()
	e.maskCross(w.W)
	return e, nil
}

// maskCross zeroes, in every member's input-layer rows (weights or
// gradients laid out [K, In, Width]), the rows that read other members'
// latents. It does nothing for a shared encoder.
func (e *diffusionEnsemble) maskCross(w []float32) {
	if e.shared {
		return
	}
	_, rows, width := e.net.InputLayer()
	for k := 0; k < e.k; k++ {
		mw := w[k*rows*width : (k+1)*rows*width]
		for j := 0; j < e.k; j++ {
			if j == k {
				continue
			}
			lo := (e.d + j*e.z) * width
			clear(mw[lo : lo+e.z*width])
		}
	}
}

func (e *diffusionEnsemble) params() []*nn.Param {
	return append(e.enc.Params(), e.net.Params()...)
}

func (e *diffusionEnsemble) trainMembers() int  { return e.k }
func (e *diffusionEnsemble) sampleMembers() int { return e.k }

// lossGrad adds the gradients of every member's Eq. 2 loss on its block of
// rows (in: K·n normalized [s, a]; x: K·n normalized targets) to the
// parameters and returns the members' mean loss.
func (e *diffusionEnsemble) lossGrad(in, x *tensor.Mat, s *rng.Stream) (float32, error) {
	rows := in.Rows
	n := rows / e.k
	z := e.enc.Forward(in)
	if e.shared {
		e.cond.CopyFrom(z)
	} else {
		// Member k's rows carry z_k in block k and zeros elsewhere.
		w := e.k * e.z
		e.cond.Resize(rows, w)
		e.cond.Zero()
		for i := 0; i < rows; i++ {
			k := i / n
			copy(e.cond.Data[i*w+k*e.z:i*w+(k+1)*e.z], z.Row(i))
		}
	}
	loss, dcond, err := e.model.Loss(x, &e.cond, s)
	if err != nil {
		return 0, fmt.Errorf("worldmodel: %w", err)
	}
	if e.shared {
		e.enc.Backward(dcond)
	} else {
		w := e.k * e.z
		e.dz.Resize(rows, e.z)
		for i := 0; i < rows; i++ {
			k := i / n
			copy(e.dz.Row(i), dcond.Data[i*w+k*e.z:i*w+(k+1)*e.z])
		}
		e.enc.Backward(&e.dz)
	}
	w, _, _ := e.net.InputLayer()
	e.maskCross(w.G)
	return loss, nil
}

// sample sets dst to K·M·B normalized samples laid out [K, M, B] for the
// B normalized inputs in, M samples per member, in one sampler call.
func (e *diffusionEnsemble) sample(dst *tensor.Mat, in *tensor.Mat, m int, s *rng.Stream) error {
	b := in.Rows
	if e.shared {
		e.enc.Predict(&e.cond, in)
	} else {
		nn.TileRows(&e.tiled, in, e.k)
		e.enc.Predict(&e.zbuf, &e.tiled)
		w := e.k * e.z
		e.cond.Resize(b, w)
		for k := 0; k < e.k; k++ {
			for i := 0; i < b; i++ {
				copy(e.cond.Data[i*w+k*e.z:i*w+(k+1)*e.z], e.zbuf.Row(k*b+i))
			}
		}
	}
	if err := e.sampler.Sample(dst, diffusion.Request{Cond: &e.cond, M: m}, s); err != nil {
		return fmt.Errorf("worldmodel: %w", err)
	}
	return nil
}

// penalty is the diffusion model's reward-penalty signal: σ_ep itself.
func (e *diffusionEnsemble) penalty(dst []float32, p *Prediction) { copy(dst, p.SigmaEp) }
