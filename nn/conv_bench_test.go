package nn

import (
	"testing"

	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// BenchmarkConvBlock times forward+backward of one Diffuser residual-block
// half, Conv1d(64→64, k=5, pad 2) → GroupNorm(8, 64) → Mish, on a batch of
// 256 signals of length 32.
func BenchmarkConvBlock(b *testing.B) {
	s := rng.New(1)
	m := NewSequential(NewConv1d("c", 64, 64, 5, 1, 2, tensor.Identity, s), NewGroupNorm("g", 8, 64, tensor.Mish))
	x := randMat(s, 256, 64*32, 1)
	dy := randMat(s, 256, 64*32, 1)
	m.Forward(x)
	m.Backward(dy)
	b.ResetTimer()
	for b.Loop() {
		m.Forward(x)
		m.Backward(dy)
	}
	flops := 3 * 2 * float64(256*32*64*64*5)
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
}

// BenchmarkConvTransposeUp times forward+backward of the U-Net upsampler
// ConvTranspose1d(64→64, k=4, stride 2, pad 1) from length 16 to 32.
func BenchmarkConvTransposeUp(b *testing.B) {
	s := rng.New(1)
	l := NewConvTranspose1d("u", 64, 64, 4, 2, 1, tensor.Identity, s)
	x := randMat(s, 256, 64*16, 1)
	y := l.Forward(x)
	dy := randMat(s, y.Rows, y.Cols, 1)
	b.ResetTimer()
	for b.Loop() {
		l.Forward(x)
		l.Backward(dy)
	}
}
