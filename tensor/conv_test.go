package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestIm2ColDefinitionAndAdjoint(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 1))
	for _, g := range []ConvGeom{NewConvGeom(3, 8, 3, 1, 1), NewConvGeom(2, 7, 5, 1, 2), NewConvGeom(3, 9, 4, 2, 1), NewConvGeom(2, 5, 1, 1, 0), NewConvGeom(1, 40, 3, 2, 0),
		// Stride 1 at the lengths with fixed-size copies (4…64), valid
		// convolutions, and padding wider than the signal.
		NewConvGeom(3, 4, 5, 1, 2), NewConvGeom(2, 16, 5, 1, 2), NewConvGeom(2, 32, 5, 1, 2), NewConvGeom(2, 64, 3, 1, 1),
		NewConvGeom(2, 10, 3, 1, 0), NewConvGeom(2, 3, 3, 1, 3), NewConvGeom(2, 8, 1, 1, 0)} {
		t.Run(fmt.Sprintf("%+v", g), func(t *testing.T) {
			const B = 3
			x := randMat(r, B, g.C*g.L)
			col := New(0, 0)
			Im2Col(col, x, g)
			if col.Rows != g.C*g.K || col.Cols != B*g.Lo {
				t.Fatalf("col %s", col.Shape())
			}
			for c := 0; c < g.C; c++ {
				for j := 0; j < g.K; j++ {
					for b := 0; b < B; b++ {
						for o := 0; o < g.Lo; o++ {
							var want float32
							if s := o*g.S + j - g.P; s >= 0 && s < g.L {
								want = x.At(b, c*g.L+s)
							}
							if got := col.At(c*g.K+j, b*g.Lo+o); got != want {
								t.Fatalf("col[%d,%d] = %v, want %v", c*g.K+j, b*g.Lo+o, got, want)
							}
						}
					}
				}
			}
			// ⟨Im2Col(x), y⟩ = ⟨x, Col2Im(y)⟩.
			y := randMat(r, col.Rows, col.Cols)
			xt := New(0, 0)
			Col2Im(xt, y, g)
			lhs := Dot(col.Values(), y.Values())
			rhs := Dot(x.Values(), xt.Values())
			if math.Abs(lhs-rhs) > 1e-4*(1+math.Abs(lhs)) {
				t.Fatalf("adjoint: %v vs %v", lhs, rhs)
			}
		})
	}
	ch, back := New(0, 0), New(0, 0)
	x := randMat(r, 4, 3*5)
	ToChannels(ch, x, 3, 5)
	if ch.Rows != 3 || ch.At(1, 2*5+4) != x.At(2, 1*5+4) {
		t.Fatal("ToChannels")
	}
	FromChannels(back, ch, 3, 5)
	for i := range x.Values() {
		if back.Data[i] != x.Data[i] {
			t.Fatal("FromChannels does not invert ToChannels")
		}
	}
	expectPanic(t, "NewConvGeom", func() { NewConvGeom(1, 2, 5, 1, 0) })
	expectPanic(t, "Im2Col", func() { Im2Col(New(0, 0), New(2, 7), NewConvGeom(2, 4, 3, 1, 1)) })
}

func TestNormalizeAffine(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 1))
	for _, seg := range []int{40, 8, 37} {
		rows, cols := 5, seg*3
		if seg == 40 {
			cols = 40
		}
		x := randMat(r, rows, cols)
		for i := range x.Data {
			x.Data[i] = 3*x.Data[i] + 2
		}
		gamma, beta := randMat(r, 1, cols).Data, randMat(r, 1, cols).Data
		nseg := cols / seg
		rstd := make([]float32, rows*nseg)
		z, xhat := New(0, 0), New(0, 0)
		NormalizeAffine(z, xhat, x, gamma, beta, rstd, seg, 1e-5)
		for i := 0; i < rows; i++ {
			for s := 0; s < nseg; s++ {
				var m, v float64
				for j := s * seg; j < (s+1)*seg; j++ {
					m += float64(x.At(i, j))
				}
				m /= float64(seg)
				for j := s * seg; j < (s+1)*seg; j++ {
					v += (float64(x.At(i, j)) - m) * (float64(x.At(i, j)) - m)
				}
				rs := 1 / math.Sqrt(v/float64(seg)+1e-5)
				if math.Abs(float64(rstd[i*nseg+s])-rs) > 1e-5*rs {
					t.Fatalf("seg %d: rstd %v want %v", seg, rstd[i*nseg+s], rs)
				}
				for j := s * seg; j < (s+1)*seg; j++ {
					want := float64(gamma[j])*(float64(x.At(i, j))-m)*rs + float64(beta[j])
					if math.Abs(float64(z.At(i, j))-want) > 1e-4*(1+math.Abs(want)) {
						t.Fatalf("seg %d: z[%d,%d] = %v want %v", seg, i, j, z.At(i, j), want)
					}
				}
			}
		}
		// Backward against the portable Go loops.
		dz := randMat(r, rows, cols)
		dx, dg, db := New(0, 0), make([]float32, cols), make([]float32, cols)
		NormalizeAffineBackward(dx, dz, xhat, gamma, rstd, dg, db, seg)
		wdx, wdg, wdb := make([]float32, rows*cols), make([]float32, cols), make([]float32, cols)
		normBackwardGo(wdx, dz.Data, xhat.Data, gamma, rstd, wdg, wdb, rows, cols, seg)
		for i := range wdx {
			if math.Abs(float64(dx.Data[i]-wdx[i])) > 1e-4*(1+math.Abs(float64(wdx[i]))) {
				t.Fatalf("seg %d: dx[%d] = %v want %v", seg, i, dx.Data[i], wdx[i])
			}
		}
		for j := range wdg {
			if math.Abs(float64(dg[j]-wdg[j])) > 1e-4 || math.Abs(float64(db[j]-wdb[j])) > 1e-4 {
				t.Fatalf("seg %d: parameter gradients differ at %d", seg, j)
			}
		}
	}
	expectPanic(t, "NormalizeAffine", func() {
		NormalizeAffine(New(0, 0), New(0, 0), New(2, 6), make([]float32, 6), make([]float32, 6), make([]float32, 2), 4, 1e-5)
	})
}
