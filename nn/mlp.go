package nn

import (
	"fmt"

	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// MLPConfig describes a multilayer perceptron.
type MLPConfig struct {
	// Sizes lists the layer widths from input to output; at least two.
	Sizes []int
	// Hidden is the activation after each hidden layer (zero value: Identity).
	Hidden tensor.Activation
	// Output is the activation of the last layer (usually Identity).
	Output tensor.Activation
	// LayerNorm inserts a layer norm after each hidden linear layer, before
	// its activation (Linear → LayerNorm → Hidden), as in DroQ/RLPD critics.
	LayerNorm bool
}

// Validate reports the first invalid field.
func (c MLPConfig) Validate() error {
	if len(c.Sizes) < 2 {
		return fmt.Errorf("MLPConfig.Sizes = %v: need at least input and output sizes", c.Sizes)
	}
	for i, s := range c.Sizes {
		if s <= 0 {
			return fmt.Errorf("MLPConfig.Sizes[%d] = %d: must be positive", i, s)
		}
	}
	if !c.Hidden.Valid() {
		return fmt.Errorf("MLPConfig.Hidden = %d: unknown activation", int(c.Hidden))
	}
	if !c.Output.Valid() {
		return fmt.Errorf("MLPConfig.Output = %d: unknown activation", int(c.Output))
	}
	return nil
}

// MLP is a stack of layers run in sequence: a plain MLP (NewMLP) or an
// ensemble of K MLPs with a leading member axis (NewEnsembleMLP, whose input
// and output are K blocks of rows, one per member).
//
// Layer i's parameters are named name+"/l<i>/w" and "/b"; layer norms
// name+"/ln<i>/w" and "/b".
type MLP struct {
	Layers  []Layer
	Members int // 1 for a plain MLP
	// NoInputGrad makes Backward skip the gradient with respect to the
	// network's input and return nil (saves the first layer's dx product).
	// Leave it false when the input needs a gradient, e.g. dQ/da in SAC's
	// actor loss.
	NoInputGrad bool
	// NoParamGrad makes Backward compute only the gradient with respect to
	// the input, leaving every parameter gradient alone: an actor's loss
	// back-propagated through a critic (dQ/da) needs no critic gradients,
	// and skipping their products saves about half the pass. It needs
	// Linear, EnsembleLinear or MLP layers (Backward panics on others).
	NoParamGrad bool

	in, out int
	pred    []tensor.Mat // Predict's scratch
	dp      mlpDP        // the data-parallel path (mlp_dp.go)
}

// NewMLP builds an MLP initialised from s like PyTorch's nn.Linear. It
// panics if cfg.Validate fails; validate user-supplied configs first.
func NewMLP(name string, cfg MLPConfig, s *rng.Stream) *MLP {
	return NewEnsembleMLP(name, 1, cfg, s)
}

// NewEnsembleMLP builds k independent MLPs with stacked parameters (shapes
// [k, in, out] and [k, out]; for k == 1 this is NewMLP with shapes [in, out]
// and [out]). Members are initialised independently from s and run in
// parallel when the work is large enough. It panics if k < 1 or
// cfg.Validate fails.
func NewEnsembleMLP(name string, k int, cfg MLPConfig, s *rng.Stream) *MLP {
	if err := cfg.Validate(); err != nil {
		panic("nn.NewMLP " + name + ": " + err.Error())
	}
	if k < 1 {
		panic(fmt.Sprintf("nn.NewEnsembleMLP %s: %d members", name, k))
	}
	m := &MLP{Members: k, in: cfg.Sizes[0], out: cfg.Sizes[len(cfg.Sizes)-1]}
	n := len(cfg.Sizes) - 1
	for i := 0; i < n; i++ {
		act := cfg.Hidden
		last := i == n-1
		if last {
			act = cfg.Output
		}
		ln := cfg.LayerNorm && !last
		linAct := act
		if ln {
			linAct = tensor.Identity
		}
		lname := fmt.Sprintf("%s/l%d", name, i)
		if k == 1 {
			m.Layers = append(m.Layers, NewLinear(lname, cfg.Sizes[i], cfg.Sizes[i+1], linAct, s))
		} else {
			m.Layers = append(m.Layers, NewEnsembleLinear(lname, k, cfg.Sizes[i], cfg.Sizes[i+1], linAct, s))
		}
		if ln {
			m.Layers = append(m.Layers, NewEnsembleLayerNorm(fmt.Sprintf("%s/ln%d", name, i), k, cfg.Sizes[i+1], act))
		}
	}
	m.pred = make([]tensor.Mat, len(m.Layers))
	return m
}

// NewSequential chains arbitrary layers into an MLP-like stack (Forward,
// Backward, Predict and Params run through them in order). In and Out are
// left 0; NoInputGrad applies to the first layer if it is a Linear,
// EnsembleLinear, LayerNorm, Conv1d, ConvTranspose1d, GroupNorm or MLP.
func NewSequential(layers ...Layer) *MLP {
	return &MLP{Layers: layers, Members: 1, pred: make([]tensor.Mat, len(layers))}
}

// In returns the input width; Out the output width.
func (m *MLP) In() int { return m.in }

// Out returns the output width.
func (m *MLP) Out() int { return m.out }

// Params returns every layer's parameters in order.
func (m *MLP) Params() []*Param {
	var ps []*Param
	for _, l := range m.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// Forward runs the layers in order and returns the last layer's buffer.
func (m *MLP) Forward(x *tensor.Mat) *tensor.Mat {
	if y := m.dpForward(x); y != nil {
		return y
	}
	for _, l := range m.Layers {
		x = l.Forward(x)
	}
	return x
}

// Backward back-propagates dy through the layers, adding parameter
// gradients, and returns the gradient with respect to the input (nil if
// NoInputGrad).
func (m *MLP) Backward(dy *tensor.Mat) *tensor.Mat {
	if m.dp.active {
		return m.dpBackward(dy)
	}
	setNoInputGrad(m.Layers[0], m.NoInputGrad)
	for _, l := range m.Layers {
		setNoParamGrad(l, m.NoParamGrad)
	}
	for i := len(m.Layers) - 1; i >= 0; i-- {
		dy = m.Layers[i].Backward(dy)
	}
	return dy
}

// setNoParamGrad passes MLP.NoParamGrad to a layer; a layer type without
// the option is a programmer error when it is set.
func setNoParamGrad(l Layer, v bool) {
	switch l := l.(type) {
	case *Linear:
		l.NoParamGrad = v
	case *EnsembleLinear:
		l.NoParamGrad = v
	case *MLP:
		l.NoParamGrad = v
	default:
		if v {
			panic(fmt.Sprintf("nn.MLP.Backward: NoParamGrad with a %T layer, which always accumulates its gradients", l))
		}
	}
}

func setNoInputGrad(l Layer, v bool) {
	switch l := l.(type) {
	case *Linear:
		l.NoInputGrad = v
	case *EnsembleLinear:
		l.NoInputGrad = v
	case *LayerNorm:
		l.NoInputGrad = v
	case *MLP:
		l.NoInputGrad = v
	case *Conv1d:
		l.NoInputGrad = v
	case *ConvTranspose1d:
		l.NoInputGrad = v
	case *GroupNorm:
		l.NoInputGrad = v
	}
}

// Predict sets dst to the network's output for x using its own scratch
// buffers, leaving the training cache alone. It does not allocate once its
// buffers have grown to the batch size. dst must not be x.
func (m *MLP) Predict(dst, x *tensor.Mat) {
	if len(m.pred) < len(m.Layers) {
		m.pred = make([]tensor.Mat, len(m.Layers))
	}
	last := len(m.Layers) - 1
	for i, l := range m.Layers {
		if i == last {
			l.Predict(dst, x)
			return
		}
		l.Predict(&m.pred[i], x)
		x = &m.pred[i]
	}
}
