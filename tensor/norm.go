package tensor

import (
	"fmt"
	"math"
)

// NormalizeAffine normalises every segment of seg consecutive values of each
// row of x to zero mean and unit (biased) variance, xhat = (x-μ)/√(σ²+eps),
// stores 1/√(σ²+eps) of segment s of row i in rstd[i·(Cols/seg)+s], and sets
// z = gamma ⊙ xhat + beta with gamma and beta given per column. With seg =
// Cols this is a layer norm; with seg = (C/G)·L on channel-major signals, a
// group norm. xhat and z are resized; z may be xhat. It panics if seg does not
// divide x.Cols or the vector lengths are wrong.
func NormalizeAffine(z, xhat, x *Mat, gamma, beta, rstd []float32, seg int, eps float32) {
	if seg <= 0 || x.Cols%seg != 0 || len(gamma) != x.Cols || len(beta) != x.Cols || len(rstd) != x.Rows*(x.Cols/max(seg, 1)) {
		panic(fmt.Sprintf("tensor.NormalizeAffine: %s with segments of %d, gamma %d, beta %d, rstd %d", x.Shape(), seg, len(gamma), len(beta), len(rstd)))
	}
	xhat.Resize(x.Rows, x.Cols)
	if z != xhat {
		z.Resize(x.Rows, x.Cols)
	}
	normForward(z.Data, xhat.Data, x.Data, gamma, beta, rstd, x.Rows, x.Cols, seg, eps)
}

// NormalizeAffineBackward is the backward pass of NormalizeAffine: given the
// gradient dz of z, it adds Σ_rows dz⊙xhat to dgamma and Σ_rows dz to dbeta
// (per column) and, if dx is non-nil, sets dx (resized) to the gradient with
// respect to x: rstd·(d - mean(d) - xhat·mean(d⊙xhat)) per segment, with
// d = gamma⊙dz. It panics if the shapes differ.
func NormalizeAffineBackward(dx, dz, xhat *Mat, gamma, rstd, dgamma, dbeta []float32, seg int) {
	if !SameShape(dz, xhat) || seg <= 0 || dz.Cols%seg != 0 || len(gamma) != dz.Cols || len(dgamma) != dz.Cols || len(dbeta) != dz.Cols || len(rstd) != dz.Rows*(dz.Cols/max(seg, 1)) {
		panic(fmt.Sprintf("tensor.NormalizeAffineBackward: dz %s, xhat %s, segments of %d, gamma %d, rstd %d, dgamma %d, dbeta %d",
			dz.Shape(), xhat.Shape(), seg, len(gamma), len(rstd), len(dgamma), len(dbeta)))
	}
	var dxd []float32
	if dx != nil {
		dx.Resize(dz.Rows, dz.Cols)
		dxd = dx.Data
	}
	normBackward(dxd, dz.Data, xhat.Data, gamma, rstd, dgamma, dbeta, dz.Rows, dz.Cols, seg)
}

func normForwardGo(z, xhat, x, gamma, beta, rstd []float32, rows, cols, seg int, eps float32) {
	nseg := cols / seg
	for i := 0; i < rows; i++ {
		for s := 0; s < nseg; s++ {
			o := i*cols + s*seg
			xs := x[o : o+seg]
			var sum float64
			for _, v := range xs {
				sum += float64(v)
			}
			mean := float32(sum / float64(seg))
			var q float64
			for _, v := range xs {
				d := v - mean
				q += float64(d * d)
			}
			r := float32(1 / math.Sqrt(q/float64(seg)+float64(eps)))
			rstd[i*nseg+s] = r
			xh := xhat[o : o+seg]
			for j, v := range xs {
				xh[j] = (v - mean) * r
			}
		}
		zr, xr := z[i*cols:(i+1)*cols], xhat[i*cols:(i+1)*cols]
		g, b := gamma[:len(xr)], beta[:len(xr)]
		zr = zr[:len(xr)]
		for j, v := range xr {
			zr[j] = g[j]*v + b[j]
		}
	}
}

func normBackwardGo(dx, dz, xhat, gamma, rstd, dgamma, dbeta []float32, rows, cols, seg int) {
	nseg := cols / seg
	inv := 1 / float32(seg)
	for i := 0; i < rows; i++ {
		dzr, xr := dz[i*cols:(i+1)*cols], xhat[i*cols:(i+1)*cols]
		for j, v := range dzr {
			dgamma[j] += v * xr[j]
			dbeta[j] += v
		}
		if dx == nil {
			continue
		}
		for s := 0; s < nseg; s++ {
			o := s * seg
			var s1, s2 float32
			for j := o; j < o+seg; j++ {
				d := dzr[j] * gamma[j]
				s1 += d
				s2 += d * xr[j]
			}
			s1 *= inv
			s2 *= inv
			r := rstd[i*nseg+s]
			dxr := dx[i*cols : (i+1)*cols]
			for j := o; j < o+seg; j++ {
				dxr[j] = r * (dzr[j]*gamma[j] - s1 - xr[j]*s2)
			}
		}
	}
}
