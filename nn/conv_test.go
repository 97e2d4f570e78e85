package nn

import (
	"fmt"
	"math"
	"testing"

	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

func TestConv1dMatchesDirect(t *testing.T) {
	for _, tc := range []struct{ in, out, k, s, p, L int }{
		{3, 4, 3, 1, 1, 8}, {2, 5, 5, 1, 2, 7}, {3, 2, 3, 2, 1, 8}, {4, 3, 4, 2, 1, 9}, {1, 1, 1, 1, 0, 3},
	} {
		s := rng.New(11)
		l := NewConv1d("c", tc.in, tc.out, tc.k, tc.s, tc.p, tensor.Identity, s)
		B := 3
		x := randMat(s, B, tc.in*tc.L, 1)
		y := l.Forward(x)
		Lo := (tc.L+2*tc.p-tc.k)/tc.s + 1
		if y.Rows != B || y.Cols != tc.out*Lo {
			t.Fatalf("%+v: output %s, want %d×%d", tc, y.Shape(), B, tc.out*Lo)
		}
		for b := 0; b < B; b++ {
			for o := 0; o < tc.out; o++ {
				for ti := 0; ti < Lo; ti++ {
					want := float64(l.B.W[o])
					for c := 0; c < tc.in; c++ {
						for j := 0; j < tc.k; j++ {
							if pos := ti*tc.s + j - tc.p; pos >= 0 && pos < tc.L {
								want += float64(l.W.W[(o*tc.in+c)*tc.k+j]) * float64(x.At(b, c*tc.L+pos))
							}
						}
					}
					if got := y.At(b, o*Lo+ti); math.Abs(float64(got)-want) > 1e-5 {
						t.Fatalf("%+v: y[%d,%d,%d] = %v, want %v", tc, b, o, ti, got, want)
					}
				}
			}
		}
	}
}

func TestConvTranspose1dMatchesDirect(t *testing.T) {
	for _, tc := range []struct{ in, out, k, s, p, L int }{
		{3, 4, 4, 2, 1, 5}, {2, 3, 3, 1, 1, 6}, {2, 2, 3, 2, 0, 4},
	} {
		s := rng.New(12)
		l := NewConvTranspose1d("ct", tc.in, tc.out, tc.k, tc.s, tc.p, tensor.Identity, s)
		B := 2
		x := randMat(s, B, tc.in*tc.L, 1)
		y := l.Forward(x)
		Lo := (tc.L-1)*tc.s - 2*tc.p + tc.k
		if y.Cols != tc.out*Lo {
			t.Fatalf("%+v: output %s, want %d columns", tc, y.Shape(), tc.out*Lo)
		}
		want := make([]float64, B*tc.out*Lo)
		for b := 0; b < B; b++ {
			for o := 0; o < tc.out; o++ {
				for ti := 0; ti < Lo; ti++ {
					want[(b*tc.out+o)*Lo+ti] = float64(l.B.W[o])
				}
			}
			for c := 0; c < tc.in; c++ {
				for ti := 0; ti < tc.L; ti++ {
					for o := 0; o < tc.out; o++ {
						for j := 0; j < tc.k; j++ {
							if pos := ti*tc.s + j - tc.p; pos >= 0 && pos < Lo {
								want[(b*tc.out+o)*Lo+pos] += float64(l.W.W[(c*tc.out+o)*tc.k+j]) * float64(x.At(b, c*tc.L+ti))
							}
						}
					}
				}
			}
		}
		for i, w := range want {
			if math.Abs(float64(y.Data[i])-w) > 1e-5 {
				t.Fatalf("%+v: y[%d] = %v, want %v", tc, i, y.Data[i], w)
			}
		}
	}
}

func TestGradConv(t *testing.T) {
	for _, tc := range []struct {
		in, out, k, s, p, L int
		act                 tensor.Activation
	}{
		{3, 4, 3, 1, 1, 6, tensor.Mish}, {2, 3, 3, 2, 1, 7, tensor.SiLU}, {2, 2, 5, 1, 2, 5, tensor.Identity},
	} {
		t.Run(fmt.Sprintf("conv%+v", tc), func(t *testing.T) {
			s := rng.New(13)
			checkLayer(t, NewConv1d("c", tc.in, tc.out, tc.k, tc.s, tc.p, tc.act, s), randMat(s, 2, tc.in*tc.L, 1), s)
		})
		t.Run(fmt.Sprintf("convT%+v", tc), func(t *testing.T) {
			s := rng.New(14)
			checkLayer(t, NewConvTranspose1d("ct", tc.in, tc.out, tc.k, tc.s, tc.p, tc.act, s), randMat(s, 2, tc.in*tc.L, 1), s)
		})
	}
}

func TestGradGroupNorm(t *testing.T) {
	for _, tc := range []struct {
		groups, ch, L int
		act           tensor.Activation
	}{{2, 4, 3, tensor.Identity}, {1, 3, 4, tensor.Mish}, {3, 3, 5, tensor.SiLU}} {
		t.Run(fmt.Sprintf("%+v", tc), func(t *testing.T) {
			s := rng.New(15)
			l := NewGroupNorm("gn", tc.groups, tc.ch, tc.act)
			s.FillNormal(l.G.W)
			s.FillNormal(l.B.W)
			checkLayer(t, l, randMat(s, 3, tc.ch*tc.L, 2), s)
		})
	}
}

func TestGroupNormNormalises(t *testing.T) {
	s := rng.New(16)
	l := NewGroupNorm("gn", 2, 4, tensor.Identity)
	x := randMat(s, 2, 4*5, 3)
	y := l.Forward(x)
	for b := 0; b < 2; b++ {
		for g := 0; g < 2; g++ {
			seg := y.Data[b*20+g*10 : b*20+g*10+10]
			var m, v float64
			for _, e := range seg {
				m += float64(e)
			}
			m /= 10
			for _, e := range seg {
				v += (float64(e) - m) * (float64(e) - m)
			}
			if math.Abs(m) > 1e-5 || math.Abs(v/10-1) > 1e-3 {
				t.Fatalf("group %d of sample %d: mean %v, var %v", g, b, m, v/10)
			}
		}
	}
}

func TestConvPanicsOnBadInput(t *testing.T) {
	s := rng.New(17)
	expectPanic(t, func() { NewConv1d("c", 3, 2, 3, 1, 1, tensor.Identity, s).Forward(tensor.New(2, 10)) })
	expectPanic(t, func() { NewGroupNorm("g", 3, 4, tensor.Identity) })
}
