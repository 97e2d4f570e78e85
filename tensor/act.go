package tensor

import "fmt"

// Activation names an elementwise nonlinearity with a fused forward
// (BiasAct) and backward (ActBackward) kernel. The zero value is Identity.
type Activation int

// The activations. Mish is x·tanh(softplus(x)) (Misra 2019); SiLU is
// x·sigmoid(x) (also called swish).
const (
	Identity Activation = iota
	ReLU
	SiLU
	Mish
	Tanh
	Sigmoid
	numActivations
)

var actNames = [...]string{"identity", "relu", "silu", "mish", "tanh", "sigmoid"}

// String returns the activation's lower-case name ("relu").
func (a Activation) String() string {
	if a < 0 || a >= numActivations {
		return fmt.Sprintf("Activation(%d)", int(a))
	}
	return actNames[a]
}

// ParseActivation returns the activation named s ("identity" or "", "relu",
// "silu" or "swish", "mish", "tanh", "sigmoid").
func ParseActivation(s string) (Activation, error) {
	switch s {
	case "", "identity", "linear", "none":
		return Identity, nil
	case "swish":
		return SiLU, nil
	}
	for i, n := range actNames {
		if n == s {
			return Activation(i), nil
		}
	}
	return 0, fmt.Errorf("unknown activation %q (want identity, relu, silu, mish, tanh or sigmoid)", s)
}

// Valid reports whether a is one of the defined activations.
func (a Activation) Valid() bool { return a >= 0 && a < numActivations }

// NeedsInput reports whether the backward pass of a needs the
// pre-activation z; if false it needs only the output y, and BiasAct may be
// called with y == z.
func (a Activation) NeedsInput() bool { return a == SiLU || a == Mish }

func (a Activation) check(op string) {
	if a < 0 || a >= numActivations {
		panic(fmt.Sprintf("tensor.%s: invalid activation %d", op, int(a)))
	}
}

// BiasAct adds bias to every row of z in place (if bias is non-nil) and sets
// y = f(z), in one pass. y is resized to z's shape; y may be z itself when
// !act.NeedsInput() (the pre-activation is then overwritten, which backward
// does not need). It panics if len(bias) != z.Cols.
func BiasAct(act Activation, y, z *Mat, bias []float32) {
	act.check("BiasAct")
	if bias != nil && len(bias) != z.Cols {
		panic(fmt.Sprintf("tensor.BiasAct: bias of %d values for %s", len(bias), z.Shape()))
	}
	if y != z {
		y.Resize(z.Rows, z.Cols)
	}
	runElementwise(&elemTask{act: act, y: y.Data[:z.Len()], z: z.Data[:z.Len()], bias: bias, rows: z.Rows, cols: z.Cols})
}

// ActForward sets y = f(z). y is resized to z's shape and may be z.
func ActForward(act Activation, y, z *Mat) { BiasAct(act, y, z, nil) }

// ActBackward sets dz = dy ⊙ f'(z) given the forward pass's pre-activation z
// and output y (z is ignored and may be nil when !act.NeedsInput()). If dbias
// is non-nil the column sums of dz are added to it in the same pass (the
// bias gradient). dz is resized to dy's shape and may be dy. It panics if the
// shapes differ or len(dbias) != dy.Cols.
func ActBackward(act Activation, dz, dy, z, y *Mat, dbias []float32) {
	act.check("ActBackward")
	mustSame("ActBackward", dy, y)
	var zd []float32
	if act.NeedsInput() {
		mustSame("ActBackward", dy, z)
		zd = z.Data[:z.Len()]
	}
	if dbias != nil && len(dbias) != dy.Cols {
		panic(fmt.Sprintf("tensor.ActBackward: dbias of %d values for %s", len(dbias), dy.Shape()))
	}
	if dz != dy {
		dz.Resize(dy.Rows, dy.Cols)
	}
	n := dy.Len()
	runElementwise(&elemTask{backward: true, act: act, dz: dz.Data[:n], dy: dy.Data[:n], z: zd, y: y.Data[:n], bias: dbias, rows: dy.Rows, cols: dy.Cols})
}

// actValue returns f(z) for one value (reference scalar form).
func actValue(act Activation, z float32) float32 {
	switch act {
	case ReLU:
		return max(z, 0)
	case SiLU:
		return z * sigmoid(z)
	case Mish:
		return z * mishT(z)
	case Tanh:
		return tanh(z)
	case Sigmoid:
		return sigmoid(z)
	}
	return z
}

// mishT returns tanh(softplus(z)) = n/(n+2) with n = e^z(e^z+2).
func mishT(z float32) float32 {
	if z > 20 {
		return 1
	}
	e := Exp(z)
	n := e * (e + 2)
	return n / (n + 2)
}

// actGrad returns f'(z) given z and y = f(z).
func actGrad(act Activation, z, y float32) float32 {
	switch act {
	case ReLU:
		if y > 0 {
			return 1
		}
		return 0
	case SiLU:
		s := sigmoid(z)
		return s * (1 + z*(1-s))
	case Mish:
		t := mishT(z)
		return t + z*(1-t*t)*sigmoid(z)
	case Tanh:
		return 1 - y*y
	case Sigmoid:
		return y * (1 - y)
	}
	return 1
}

func biasActGo(act Activation, y, z, bias []float32, rows, cols, ld int) {
	for i := 0; i < rows; i++ {
		zr := z[i*ld : i*ld+cols]
		yr := y[i*ld : i*ld+cols]
		yr = yr[:len(zr)]
		if bias != nil {
			b := bias[:len(zr)]
			for j := range zr {
				zr[j] += b[j]
			}
		}
		switch act {
		case Identity:
			copy(yr, zr)
		case ReLU:
			for j, v := range zr {
				yr[j] = max(v, 0)
			}
		default:
			for j, v := range zr {
				yr[j] = actValue(act, v)
			}
		}
	}
}

func actBackwardGo(act Activation, dz, dy, z, y, dbias []float32, rows, cols, ld int) {
	for i := 0; i < rows; i++ {
		o := i * ld
		dyr := dy[o : o+cols]
		dzr := dz[o : o+cols]
		yr := y[o : o+cols]
		var zr []float32
		if z != nil {
			zr = z[o : o+cols]
		}
		switch act {
		case Identity:
			copy(dzr, dyr)
		case ReLU:
			for j, g := range dyr {
				if yr[j] > 0 {
					dzr[j] = g
				} else {
					dzr[j] = 0
				}
			}
		default:
			for j, g := range dyr {
				var zv float32
				if zr != nil {
					zv = zr[j]
				}
				dzr[j] = g * actGrad(act, zv, yr[j])
			}
		}
		if dbias != nil {
			db := dbias[:len(dzr)]
			for j, v := range dzr {
				db[j] += v
			}
		}
	}
}

// BiasActSerial is BiasAct on the calling goroutine only (it never splits
// the work across threads), for callers that already run one work item per
// thread. It panics like BiasAct.
func BiasActSerial(act Activation, y, z *Mat, bias []float32) {
	act.check("BiasActSerial")
	if bias != nil && len(bias) != z.Cols {
		panic(fmt.Sprintf("tensor.BiasActSerial: bias of %d values for %s", len(bias), z.Shape()))
	}
	if y != z {
		y.Resize(z.Rows, z.Cols)
	}
	t := elemTask{act: act, y: y.Data[:z.Len()], z: z.Data[:z.Len()], bias: bias, rows: z.Rows, cols: z.Cols}
	t.block(0, t.cols)
}

// ActBackwardSerial is ActBackward on the calling goroutine only. It panics
// like ActBackward.
func ActBackwardSerial(act Activation, dz, dy, z, y *Mat, dbias []float32) {
	act.check("ActBackwardSerial")
	mustSame("ActBackwardSerial", dy, y)
	var zd []float32
	if act.NeedsInput() {
		mustSame("ActBackwardSerial", dy, z)
		zd = z.Data[:z.Len()]
	}
	if dbias != nil && len(dbias) != dy.Cols {
		panic(fmt.Sprintf("tensor.ActBackwardSerial: dbias of %d values for %s", len(dbias), dy.Shape()))
	}
	if dz != dy {
		dz.Resize(dy.Rows, dy.Cols)
	}
	n := dy.Len()
	t := elemTask{backward: true, act: act, dz: dz.Data[:n], dy: dy.Data[:n], z: zd, y: y.Data[:n], bias: dbias, rows: dy.Rows, cols: dy.Cols}
	t.block(0, t.cols)
}
