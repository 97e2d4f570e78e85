//go:build cgo && !purego

// The fused Adam/AdamW update in C; see kern_c.go. GCC will not vectorise
// sqrtf without -fno-math-errno (which cgo does not allow in #cgo CFLAGS and
// which the optimize pragma does not switch off), so the x86-64 paths are
// written with AVX-512 and AVX2+FMA intrinsics and chosen at run time; other
// CPUs use the scalar loop.
#include <math.h>

static void adam_scalar(float *restrict w, const float *restrict g, float *restrict m, float *restrict v, long n,
                        float b1, float b2, float step, float rbc2, float eps, float shrink, float l2) {
	float c1 = 1.0f - b1, c2 = 1.0f - b2;
	for (long i = 0; i < n; i++) {
		float wi = w[i] * shrink;
		float gi = g[i] + l2 * wi;
		float mi = b1 * m[i] + c1 * gi;
		float vi = b2 * v[i] + c2 * gi * gi;
		m[i] = mi;
		v[i] = vi;
		w[i] = wi - step * mi / (sqrtf(vi) * rbc2 + eps);
	}
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

__attribute__((target("avx512f"))) static long adam_avx512(float *w, const float *g, float *m, float *v, long n,
                                                           float b1, float b2, float step, float rbc2, float eps, float shrink, float l2) {
	__m512 vb1 = _mm512_set1_ps(b1), vb2 = _mm512_set1_ps(b2), vc1 = _mm512_set1_ps(1.0f - b1), vc2 = _mm512_set1_ps(1.0f - b2);
	__m512 vstep = _mm512_set1_ps(step), vr = _mm512_set1_ps(rbc2), veps = _mm512_set1_ps(eps);
	__m512 vshrink = _mm512_set1_ps(shrink), vl2 = _mm512_set1_ps(l2);
	long i = 0;
	for (; i + 16 <= n; i += 16) {
		__m512 wi = _mm512_mul_ps(_mm512_loadu_ps(w + i), vshrink);
		__m512 gi = _mm512_fmadd_ps(vl2, wi, _mm512_loadu_ps(g + i));
		__m512 mi = _mm512_fmadd_ps(vb1, _mm512_loadu_ps(m + i), _mm512_mul_ps(vc1, gi));
		__m512 vi = _mm512_fmadd_ps(vb2, _mm512_loadu_ps(v + i), _mm512_mul_ps(vc2, _mm512_mul_ps(gi, gi)));
		_mm512_storeu_ps(m + i, mi);
		_mm512_storeu_ps(v + i, vi);
		__m512 d = _mm512_fmadd_ps(_mm512_sqrt_ps(vi), vr, veps);
		_mm512_storeu_ps(w + i, _mm512_fnmadd_ps(vstep, _mm512_div_ps(mi, d), wi));
	}
	return i;
}

__attribute__((target("avx2,fma"))) static long adam_avx2(float *w, const float *g, float *m, float *v, long n,
                                                          float b1, float b2, float step, float rbc2, float eps, float shrink, float l2) {
	__m256 vb1 = _mm256_set1_ps(b1), vb2 = _mm256_set1_ps(b2), vc1 = _mm256_set1_ps(1.0f - b1), vc2 = _mm256_set1_ps(1.0f - b2);
	__m256 vstep = _mm256_set1_ps(step), vr = _mm256_set1_ps(rbc2), veps = _mm256_set1_ps(eps);
	__m256 vshrink = _mm256_set1_ps(shrink), vl2 = _mm256_set1_ps(l2);
	long i = 0;
	for (; i + 8 <= n; i += 8) {
		__m256 wi = _mm256_mul_ps(_mm256_loadu_ps(w + i), vshrink);
		__m256 gi = _mm256_fmadd_ps(vl2, wi, _mm256_loadu_ps(g + i));
		__m256 mi = _mm256_fmadd_ps(vb1, _mm256_loadu_ps(m + i), _mm256_mul_ps(vc1, gi));
		__m256 vi = _mm256_fmadd_ps(vb2, _mm256_loadu_ps(v + i), _mm256_mul_ps(vc2, _mm256_mul_ps(gi, gi)));
		_mm256_storeu_ps(m + i, mi);
		_mm256_storeu_ps(v + i, vi);
		__m256 d = _mm256_fmadd_ps(_mm256_sqrt_ps(vi), vr, veps);
		_mm256_storeu_ps(w + i, _mm256_fnmadd_ps(vstep, _mm256_div_ps(mi, d), wi));
	}
	return i;
}
#endif

void dwm_adam(float *w, const float *g, float *m, float *v, long n,
              float b1, float b2, float step, float rbc2, float eps, float shrink, float l2) {
	long done = 0;
#if defined(__x86_64__) && defined(__GNUC__)
	if (__builtin_cpu_supports("avx512f")) {
		done = adam_avx512(w, g, m, v, n, b1, b2, step, rbc2, eps, shrink, l2);
	} else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
		done = adam_avx2(w, g, m, v, n, b1, b2, step, rbc2, eps, shrink, l2);
	}
#endif
	adam_scalar(w + done, g + done, m + done, v + done, n - done, b1, b2, step, rbc2, eps, shrink, l2);
}
