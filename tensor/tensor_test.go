package tensor

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dwm-rl/dwm/internal/blas"
)

func randMat(r *rand.Rand, rows, cols int) *Mat {
	m := New(rows, cols)
	for i := range m.Data {
		m.Data[i] = float32(r.NormFloat64())
	}
	return m
}

func TestExpAccuracy(t *testing.T) {
	worst := 0.0
	for x := float32(-87); x <= 88; x += 0.0137 {
		got := float64(Exp(x))
		want := math.Exp(float64(x))
		if rel := math.Abs(got-want) / want; rel > worst {
			worst = rel
		}
	}
	if worst > 3e-7 {
		t.Fatalf("max relative error of Exp over [-87, 88] = %g, want ≤ 3e-7", worst)
	}
	if v := Exp(1000); math.IsInf(float64(v), 0) || v <= 0 {
		t.Fatalf("Exp(1000) = %v, want large finite", v)
	}
	if v := Exp(-1000); v <= 0 || v > 1e-37 {
		t.Fatalf("Exp(-1000) = %v, want tiny positive", v)
	}
	if v := Exp(float32(math.NaN())); !math.IsNaN(float64(v)) {
		t.Fatalf("Exp(NaN) = %v", v)
	}
	dst := make([]float32, 3)
	ExpTo(dst, []float32{0, 1, -1})
	if dst[0] != 1 || math.Abs(float64(dst[1])-math.E) > 1e-6 {
		t.Fatalf("ExpTo = %v", dst)
	}
}

func refAct(act Activation, z float64) float64 {
	switch act {
	case ReLU:
		return math.Max(z, 0)
	case SiLU:
		return z / (1 + math.Exp(-z))
	case Mish:
		return z * math.Tanh(math.Log1p(math.Exp(z)))
	case Tanh:
		return math.Tanh(z)
	case Sigmoid:
		return 1 / (1 + math.Exp(-z))
	}
	return z
}

func TestActivationValues(t *testing.T) {
	for act := Identity; act < numActivations; act++ {
		for _, z := range []float64{-30, -10, -3, -1, -0.3, -1e-3, -1e-6, 0, 1e-6, 1e-3, 0.2, 0.7, 1, 2.5, 10, 30} {
			z32 := float32(z)
			got := float64(actValue(act, z32))
			want := refAct(act, float64(z32))
			if math.Abs(got-want) > 2e-6*math.Max(1, math.Abs(want)) && math.Abs(got-want) > 1e-6*math.Abs(want)+1e-30 {
				t.Errorf("%v(%g) = %g, want %g", act, z, got, want)
			}
		}
	}
}

func TestTanhSmallArgumentRelative(t *testing.T) {
	for _, z := range []float64{1e-7, 1e-5, 1e-3, 0.1, 0.24, 0.26, 0.5} {
		got := float64(TanhScalar(float32(z)))
		want := math.Tanh(float64(float32(z)))
		if math.Abs(got-want) > 3e-7*want {
			t.Errorf("tanh(%g) = %g, want %g (relative error %g)", z, got, want, math.Abs(got-want)/want)
		}
	}
}

// TestActBackwardFiniteDiff checks f'(z) against central differences of the
// float64 reference away from ReLU's kink.
func TestActBackwardFiniteDiff(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for act := Identity; act < numActivations; act++ {
		z := randMat(r, 5, 37)
		for i, v := range z.Data {
			if math.Abs(float64(v)) < 0.05 {
				z.Data[i] = 0.3
			}
			z.Data[i] *= 3
		}
		bias := make([]float32, 37)
		for i := range bias {
			bias[i] = float32(r.NormFloat64()) * 0.1
		}
		zb := z.Clone()
		y := New(0, 0)
		BiasAct(act, y, zb, bias)
		dy := randMat(r, 5, 37)
		dz := New(0, 0)
		db := make([]float32, 37)
		ActBackward(act, dz, dy, zb, y, db)
		wantDB := make([]float64, 37)
		for i := range z.Data {
			zv := float64(z.Data[i]) + float64(bias[i%37])
			if math.Abs(float64(zb.Data[i])-zv) > 1e-5 {
				t.Fatalf("%v: z+bias = %v want %v", act, zb.Data[i], zv)
			}
			if math.Abs(float64(y.Data[i])-refAct(act, zv)) > 1e-5*math.Max(1, math.Abs(zv)) {
				t.Fatalf("%v: y = %v want %v", act, y.Data[i], refAct(act, zv))
			}
			h := 1e-5
			g := (refAct(act, zv+h) - refAct(act, zv-h)) / (2 * h)
			want := g * float64(dy.Data[i])
			if math.Abs(float64(dz.Data[i])-want) > 1e-5*math.Max(1, math.Abs(want)) {
				t.Fatalf("%v: dz at z=%g = %g want %g", act, zv, dz.Data[i], want)
			}
			wantDB[i%37] += float64(dz.Data[i])
		}
		for j := range db {
			if math.Abs(float64(db[j])-wantDB[j]) > 1e-4 {
				t.Fatalf("%v: dbias[%d] = %g want %g", act, j, db[j], wantDB[j])
			}
		}
	}
}

func TestActInPlace(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 9))
	for _, act := range []Activation{Identity, ReLU, Tanh, Sigmoid} {
		z := randMat(r, 3, 10)
		y := New(0, 0)
		BiasAct(act, y, z.Clone(), nil)
		zz := z.Clone()
		BiasAct(act, zz, zz, nil)
		for i := range y.Data {
			if y.Data[i] != zz.Data[i] {
				t.Fatalf("%v in place differs", act)
			}
		}
		dy := randMat(r, 3, 10)
		dz := New(0, 0)
		ActBackward(act, dz, dy, nil, y, nil)
		ActBackward(act, dy, dy, nil, y, nil)
		for i := range dz.Data {
			if dz.Data[i] != dy.Data[i] {
				t.Fatalf("%v backward in place differs", act)
			}
		}
	}
}

func TestParseActivation(t *testing.T) {
	for act := Identity; act < numActivations; act++ {
		got, err := ParseActivation(act.String())
		if err != nil || got != act {
			t.Fatalf("ParseActivation(%q) = %v, %v", act.String(), got, err)
		}
	}
	if _, err := ParseActivation("gelu"); err == nil {
		t.Fatal("ParseActivation(gelu) succeeded")
	}
}

func TestMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 3))
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			a := randMat(r, 7, 5)
			b := randMat(r, 5, 6)
			if ta {
				Transpose(a, a.Clone())
			}
			if tb {
				Transpose(b, b.Clone())
			}
			want := New(7, 6)
			for i := 0; i < 7; i++ {
				for j := 0; j < 6; j++ {
					var s float32
					for k := 0; k < 5; k++ {
						av := a.Data[i*5+k]
						if ta {
							av = a.Data[k*7+i]
						}
						bv := b.Data[k*6+j]
						if tb {
							bv = b.Data[j*5+k]
						}
						s += av * bv
					}
					want.Data[i*6+j] = s
				}
			}
			dst := New(1, 1)
			MatMul(dst, a, b, ta, tb)
			if dst.Rows != 7 || dst.Cols != 6 {
				t.Fatalf("shape %s", dst.Shape())
			}
			for i := range want.Data {
				if math.Abs(float64(dst.Data[i]-want.Data[i])) > 1e-4 {
					t.Fatalf("ta=%v tb=%v: got %v want %v", ta, tb, dst.Data[i], want.Data[i])
				}
			}
			acc := want.Clone()
			MatMulAcc(acc, a, b, ta, tb, 2, -1)
			for i := range want.Data {
				if math.Abs(float64(acc.Data[i]-want.Data[i])) > 1e-4 {
					t.Fatalf("MatMulAcc: got %v want %v", acc.Data[i], want.Data[i])
				}
			}
		}
	}
}

func expectPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", name)
		}
	}()
	f()
}

func TestShapePanics(t *testing.T) {
	a, b := New(2, 3), New(2, 4)
	expectPanic(t, "MatMul", func() { MatMul(New(0, 0), a, b, false, false) })
	expectPanic(t, "MatMulAcc", func() { MatMulAcc(New(2, 2), a, New(3, 4), false, false, 1, 0) })
	expectPanic(t, "Add", func() { Add(New(0, 0), a, b) })
	expectPanic(t, "AddRowVec", func() { AddRowVec(a, a, make([]float32, 4)) })
	expectPanic(t, "SumRows", func() { SumRows(make([]float32, 2), a) })
	expectPanic(t, "BiasAct", func() { BiasAct(ReLU, a, a, make([]float32, 2)) })
	expectPanic(t, "Reshape", func() { a.Reshape(4, 2) })
	expectPanic(t, "Row", func() { a.Row(2) })
	expectPanic(t, "FromRows", func() { FromRows([][]float32{{1}, {1, 2}}) })
}

func TestResizeReusesCapacity(t *testing.T) {
	m := New(256, 10)
	p := &m.Data[0]
	m.Resize(1, 10)
	if &m.Data[0] != p || m.Len() != 10 {
		t.Fatal("shrinking Resize reallocated")
	}
	m.Resize(256, 10)
	if &m.Data[0] != p {
		t.Fatal("Resize back to capacity reallocated")
	}
	m.Resize(300, 10)
	if len(m.Data) < 3000 {
		t.Fatal("Resize did not grow")
	}
	m.Reshape(30, 100)
	if m.Rows != 30 || m.Cols != 100 {
		t.Fatal("Reshape")
	}
	allocs := testing.AllocsPerRun(10, func() { m.Resize(5, 5); m.Resize(300, 10) })
	if allocs != 0 {
		t.Fatalf("Resize within capacity allocates %v", allocs)
	}
}

func TestElementwise(t *testing.T) {
	a := FromRows([][]float32{{1, 2, 3}, {4, 5, 6}})
	b := FromRows([][]float32{{6, 5, 4}, {3, 2, 1}})
	d := New(0, 0)
	check := func(name string, got *Mat, want []float32) {
		t.Helper()
		for i, w := range want {
			if got.Data[i] != w {
				t.Fatalf("%s = %v, want %v", name, got.Data[:len(want)], want)
			}
		}
	}
	Add(d, a, b)
	check("Add", d, []float32{7, 7, 7, 7, 7, 7})
	Sub(d, a, b)
	check("Sub", d, []float32{-5, -3, -1, 1, 3, 5})
	Mul(d, a, b)
	check("Mul", d, []float32{6, 10, 12, 12, 10, 6})
	Scale(d, a, 2)
	check("Scale", d, []float32{2, 4, 6, 8, 10, 12})
	AddScaled(d, a, -1, b)
	check("AddScaled", d, []float32{-5, -3, -1, 1, 3, 5})
	AddRowVec(d, a, []float32{1, 0, -1})
	check("AddRowVec", d, []float32{2, 2, 2, 5, 5, 5})
	s := make([]float32, 3)
	SumRows(s, a)
	if s[0] != 5 || s[1] != 7 || s[2] != 9 {
		t.Fatalf("SumRows = %v", s)
	}
	AddSumRows(s, a)
	if s[0] != 10 {
		t.Fatalf("AddSumRows = %v", s)
	}
	Transpose(d, a)
	check("Transpose", d, []float32{1, 4, 2, 5, 3, 6})
	c := New(0, 0)
	c.CopyFrom(a)
	check("CopyFrom", c, a.Data)
	c.Zero()
	check("Zero", c, []float32{0, 0, 0, 0, 0, 0})
	if Dot([]float32{1, 2}, []float32{3, 4}) != 11 {
		t.Fatal("Dot")
	}
	y := []float32{1, 1}
	Axpy(y, 2, []float32{1, 2})
	if y[0] != 3 || y[1] != 5 {
		t.Fatal("Axpy")
	}
	v := a.RowView(1, 2)
	if v.Rows != 1 || v.Data[0] != 4 || a.Row(1)[2] != 6 {
		t.Fatal("RowView/Row")
	}
}

func TestActParallelMatchesSerial(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	z0, dy := randMat(r, 300, 203), randMat(r, 300, 203)
	bias := make([]float32, 203)
	for i := range bias {
		bias[i] = float32(r.NormFloat64())
	}
	run := func(act Activation, threads int) (y, dz *Mat, db []float32) {
		old := blas.Threads()
		blas.SetThreads(threads)
		defer blas.SetThreads(old)
		z := z0.Clone()
		y, dz = New(0, 0), New(0, 0)
		BiasAct(act, y, z, bias)
		db = make([]float32, 203)
		ActBackward(act, dz, dy, z, y, db)
		return y, dz, db
	}
	for act := Identity; act < numActivations; act++ {
		y1, dz1, db1 := run(act, 1)
		y2, dz2, db2 := run(act, 2)
		for i := range y1.Data {
			if y1.Data[i] != y2.Data[i] || dz1.Data[i] != dz2.Data[i] {
				t.Fatalf("%v: value %d differs between 1 and 2 threads", act, i)
			}
		}
		for i := range db1 {
			if db1[i] != db2[i] {
				t.Fatalf("%v: bias gradient %d differs", act, i)
			}
		}
	}
}

func TestConcatAndColSlice(t *testing.T) {
	a := FromRows([][]float32{{1, 2}, {3, 4}})
	b := FromRows([][]float32{{5}, {6}})
	d := New(0, 0)
	ConcatCols(d, a, b)
	want := []float32{1, 2, 5, 3, 4, 6}
	for i, w := range want {
		if d.Data[i] != w || d.Cols != 3 {
			t.Fatalf("ConcatCols = %v (%s)", d.Data[:6], d.Shape())
		}
	}
	s := New(0, 0)
	ColSlice(s, d, 2, 3)
	if s.Rows != 2 || s.Cols != 1 || s.Data[0] != 5 || s.Data[1] != 6 {
		t.Fatalf("ColSlice = %v", s.Data[:2])
	}
	expectPanic(t, "ConcatCols", func() { ConcatCols(d, a, New(3, 1)) })
	expectPanic(t, "ColSlice", func() { ColSlice(s, d, 2, 4) })
}

func BenchmarkBiasActSiLU(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	z, y := randMat(r, 256, 512), New(0, 0)
	bias := make([]float32, 512)
	for b.Loop() {
		BiasAct(SiLU, y, z, bias)
	}
	b.ReportMetric(float64(z.Len())*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gvalues/s")
}

func BenchmarkActBackwardSiLU(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	z, dy, dz := randMat(r, 256, 512), randMat(r, 256, 512), New(0, 0)
	y := New(0, 0)
	BiasAct(SiLU, y, z, nil)
	db := make([]float32, 512)
	for b.Loop() {
		ActBackward(SiLU, dz, dy, z, y, db)
	}
	b.ReportMetric(float64(z.Len())*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gvalues/s")
}
