//go:build cgo && !purego

// C versions of package tensor's elementwise kernels, written for GCC's
// auto-vectoriser (compiled with -O3, no -ffast-math so NaN and the rounding
// trick of fexp behave as in Go). On x86-64 each public kernel is compiled
// three times (AVX-512, AVX2+FMA, baseline SSE2) and the best one for the
// running CPU is picked at load time (function multi-versioning).
#include <stdint.h>
#include <string.h>
#include "kernels.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define MV __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MV
#endif

enum { IDENTITY, RELU, SILU, MISH, TANH, SIGMOID };

// fexp is tensor.Exp: clamp to [-87, 88], x = n*ln2 + r, degree-6 polynomial.
static inline float fexp(float x) {
	x = x < -87.0f ? -87.0f : x;
	x = x > 88.0f ? 88.0f : x;
	float t = x * 1.44269504088896341f + 12582912.0f;
	float n = t - 12582912.0f;
	float r = x - n * 0.693359375f - n * -2.12194440e-4f;
	float p = 1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720))))));
	int32_t bits = ((int32_t)n + 127) << 23;
	float s;
	memcpy(&s, &bits, sizeof s);
	return p * s;
}

static inline float fsigmoid(float x) { return 1.0f / (1.0f + fexp(-x)); }

// ftanh is tensor's tanh: expm1 by polynomial for small |x|, by fexp above.
static inline float ftanh(float x) {
	float a = x < 0 ? -x : x;
	float r = 2.0f * (a < 9.0f ? a : 9.0f);
	float small = r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720 + r * (1.0f / 5040)))))));
	float em = r < 0.5f ? small : fexp(r) - 1.0f;
	float t = em / (em + 2.0f);
	return x < 0 ? -t : t;
}

// fmishT is tanh(softplus(z)) = n/(n+2), n = e^z(e^z+2); 1 for z > 20.
static inline float fmishT(float z) {
	float e = fexp(z < 20.0f ? z : 20.0f);
	float n = e * (e + 2.0f);
	float t = n / (n + 2.0f);
	return z > 20.0f ? 1.0f : t;
}

MV void dwm_bias_act(int act, float *y, float *z, const float *bias, long rows, long cols, long ld) {
	for (long i = 0; i < rows; i++) {
		float *zr = z + i * ld;
		float *yr = y + i * ld;
		if (bias) {
			for (long j = 0; j < cols; j++) zr[j] += bias[j];
		}
		switch (act) {
		case IDENTITY:
			if (yr != zr) memcpy(yr, zr, cols * sizeof(float));
			break;
		case RELU:
			for (long j = 0; j < cols; j++) yr[j] = zr[j] > 0.0f ? zr[j] : 0.0f;
			break;
		case SILU:
			for (long j = 0; j < cols; j++) {
				float v = zr[j];
				yr[j] = v * fsigmoid(v);
			}
			break;
		case MISH:
			for (long j = 0; j < cols; j++) {
				float v = zr[j];
				yr[j] = v * fmishT(v);
			}
			break;
		case TANH:
			for (long j = 0; j < cols; j++) yr[j] = ftanh(zr[j]);
			break;
		case SIGMOID:
			for (long j = 0; j < cols; j++) yr[j] = fsigmoid(zr[j]);
			break;
		}
	}
}

MV void dwm_act_backward(int act, float *dz, const float *dy, const float *z, const float *y, float *dbias, long rows, long cols, long ld) {
	for (long i = 0; i < rows; i++) {
		long o = i * ld;
		float *d = dz + o;
		const float *g = dy + o, *yr = y + o, *zr = z ? z + o : 0;
		switch (act) {
		case IDENTITY:
			if (d != g) memcpy(d, g, cols * sizeof(float));
			break;
		case RELU:
			for (long j = 0; j < cols; j++) d[j] = yr[j] > 0.0f ? g[j] : 0.0f;
			break;
		case SILU:
			for (long j = 0; j < cols; j++) {
				float v = zr[j], s = fsigmoid(v);
				d[j] = g[j] * (s * (1.0f + v * (1.0f - s)));
			}
			break;
		case MISH:
			for (long j = 0; j < cols; j++) {
				float v = zr[j], t = fmishT(v);
				d[j] = g[j] * (t + v * (1.0f - t * t) * fsigmoid(v));
			}
			break;
		case TANH:
			for (long j = 0; j < cols; j++) d[j] = g[j] * (1.0f - yr[j] * yr[j]);
			break;
		case SIGMOID:
			for (long j = 0; j < cols; j++) d[j] = g[j] * (yr[j] * (1.0f - yr[j]));
			break;
		}
		if (dbias) {
			for (long j = 0; j < cols; j++) dbias[j] += d[j];
		}
	}
}

MV void dwm_exp(float *dst, const float *src, long n) {
	for (long i = 0; i < n; i++) dst[i] = fexp(src[i]);
}

static inline void conv_span(long j, long P, long S, long L, long Lo, long *t0, long *t1) {
	long off = j - P, a = 0, b = Lo;
	if (off < 0) a = (-off + S - 1) / S;
	long last = L - 1 - off;
	if (last < 0) b = 0;
	else if (last / S + 1 < b) b = last / S + 1;
	if (b < a) b = a;
	*t0 = a;
	*t1 = b;
}

// Stride-1 convolutions (every convolution of the temporal U-Net but its
// downsamplers) take a faster path: for each channel c of sample b, the
// padded window of Lo+K-1 input positions is built once in tmp (zeros
// outside the signal), and row c·K+j of the column matrix is the window
// shifted by j, a copy of Lo values. Lo = 4, 8, 16, 32 and 64 (the U-Net's
// lengths) get copies of a compile-time size (a few vector moves instead of
// loops of unknown trip count: im2col was 17% of the U-Net's sampling time).
// col2im is the adjoint: the K shifted rows are added into the window, whose
// inner part is the input gradient. The window size is capped (WIN_MAX) so
// that tmp stays on the stack; larger signals take the general path.
enum { WIN_MAX = 4096 };

#define SHIFT_COPIES(N)                                                        \
	for (long j = 0; j < K; j++) __builtin_memcpy(dst + j * n, tmp + j, (N) * sizeof(float));
#define SHIFT_ADDS(N)                                                          \
	for (long j = 0; j < K; j++) {                                         \
		const float *sj = src + j * n;                                 \
		float *tj = tmp + j;                                           \
		for (long t = 0; t < (N); t++) tj[t] += sj[t];                 \
	}

static inline __attribute__((always_inline)) void im2col_s1(float *col, const float *x, long B, long C, long L, long K, long P, long Lo) {
	long n = B * Lo, w = Lo + K - 1;
	// Window position i holds input position i-P; [v0, v1) lies inside.
	long v0 = P < w ? P : w, v1 = L + P < w ? L + P : w;
	if (v1 < v0) v1 = v0;
	float tmp[WIN_MAX];
	memset(tmp, 0, (size_t)w * sizeof(float));
	for (long c = 0; c < C; c++) {
		for (long b = 0; b < B; b++) {
			memcpy(tmp + v0, x + b * C * L + c * L + (v0 - P), (size_t)(v1 - v0) * sizeof(float));
			float *dst = col + c * K * n + b * Lo;
			switch (Lo) {
			case 4: SHIFT_COPIES(4) break;
			case 8: SHIFT_COPIES(8) break;
			case 16: SHIFT_COPIES(16) break;
			case 32: SHIFT_COPIES(32) break;
			case 64: SHIFT_COPIES(64) break;
			default:
				for (long j = 0; j < K; j++) memcpy(dst + j * n, tmp + j, (size_t)Lo * sizeof(float));
			}
		}
	}
}

static inline __attribute__((always_inline)) void col2im_s1(float *x, const float *col, long B, long C, long L, long K, long P, long Lo) {
	long n = B * Lo, w = Lo + K - 1;
	long v0 = P < w ? P : w, v1 = L + P < w ? L + P : w;
	if (v1 < v0) v1 = v0;
	float tmp[WIN_MAX];
	for (long c = 0; c < C; c++) {
		for (long b = 0; b < B; b++) {
			memset(tmp, 0, (size_t)w * sizeof(float));
			const float *src = col + c * K * n + b * Lo;
			switch (Lo) {
			case 4: SHIFT_ADDS(4) break;
			case 8: SHIFT_ADDS(8) break;
			case 16: SHIFT_ADDS(16) break;
			case 32: SHIFT_ADDS(32) break;
			case 64: SHIFT_ADDS(64) break;
			default: SHIFT_ADDS(Lo)
			}
			float *xc = x + b * C * L + c * L;
			// Input positions the window does not reach get nothing.
			if (v1 - v0 < L) memset(xc, 0, (size_t)L * sizeof(float));
			memcpy(xc + (v0 - P), tmp + v0, (size_t)(v1 - v0) * sizeof(float));
		}
	}
}

MV void dwm_im2col(float *col, const float *x, long B, long C, long L, long K, long S, long P, long Lo) {
	if (S == 1 && Lo + K - 1 <= WIN_MAX) {
		im2col_s1(col, x, B, C, L, K, P, Lo);
		return;
	}
	long n = B * Lo;
	for (long c = 0; c < C; c++) {
		for (long j = 0; j < K; j++) {
			float *row = col + (c * K + j) * n;
			long t0, t1, off = j - P;
			conv_span(j, P, S, L, Lo, &t0, &t1);
			for (long b = 0; b < B; b++) {
				float *dst = row + b * Lo;
				const float *xc = x + b * C * L + c * L;
				for (long t = 0; t < t0; t++) dst[t] = 0;
				if (S == 1) {
					for (long t = t0; t < t1; t++) dst[t] = xc[t + off];
				} else {
					for (long t = t0; t < t1; t++) dst[t] = xc[t * S + off];
				}
				for (long t = t1; t < Lo; t++) dst[t] = 0;
			}
		}
	}
}

MV void dwm_col2im(float *x, const float *col, long B, long C, long L, long K, long S, long P, long Lo) {
	if (S == 1 && Lo + K - 1 <= WIN_MAX) {
		col2im_s1(x, col, B, C, L, K, P, Lo);
		return;
	}
	long n = B * Lo;
	memset(x, 0, (size_t)(B * C * L) * sizeof(float));
	for (long c = 0; c < C; c++) {
		for (long j = 0; j < K; j++) {
			const float *row = col + (c * K + j) * n;
			long t0, t1, off = j - P;
			conv_span(j, P, S, L, Lo, &t0, &t1);
			for (long b = 0; b < B; b++) {
				const float *src = row + b * Lo;
				float *xc = x + b * C * L + c * L;
				if (S == 1) {
					for (long t = t0; t < t1; t++) xc[t + off] += src[t];
				} else {
					for (long t = t0; t < t1; t++) xc[t * S + off] += src[t];
				}
			}
		}
	}
}

// sum16 returns Σ v[i] with sixteen independent partial sums (vectorisable
// without reassociation flags).
static inline float sum16(const float *v, long n) {
	float acc[16] = {0};
	long i = 0;
	for (; i + 16 <= n; i += 16)
		for (int l = 0; l < 16; l++) acc[l] += v[i + l];
	float s = 0;
	for (int l = 0; l < 16; l++) s += acc[l];
	for (; i < n; i++) s += v[i];
	return s;
}

static inline float sqdev16(const float *v, long n, float mean) {
	float acc[16] = {0};
	long i = 0;
	for (; i + 16 <= n; i += 16)
		for (int l = 0; l < 16; l++) {
			float d = v[i + l] - mean;
			acc[l] += d * d;
		}
	float s = 0;
	for (int l = 0; l < 16; l++) s += acc[l];
	for (; i < n; i++) s += (v[i] - mean) * (v[i] - mean);
	return s;
}

MV void dwm_norm_forward(float *z, float *xhat, const float *x, const float *gamma, const float *beta, float *rstd,
                         long rows, long cols, long seg, float eps) {
	long nseg = cols / seg;
	for (long i = 0; i < rows; i++) {
		for (long s = 0; s < nseg; s++) {
			long o = i * cols + s * seg;
			const float *xs = x + o;
			float mean = sum16(xs, seg) / (float)seg;
			float var = sqdev16(xs, seg, mean) / (float)seg;
			float r = 1.0f / __builtin_sqrtf(var + eps);
			rstd[i * nseg + s] = r;
			float *xh = xhat + o;
			for (long j = 0; j < seg; j++) xh[j] = (xs[j] - mean) * r;
		}
		float *zr = z + i * cols;
		const float *xr = xhat + i * cols;
		for (long j = 0; j < cols; j++) zr[j] = gamma[j] * xr[j] + beta[j];
	}
}

MV void dwm_norm_backward(float *dx, const float *dz, const float *xhat, const float *gamma, const float *rstd,
                          float *dgamma, float *dbeta, long rows, long cols, long seg) {
	long nseg = cols / seg;
	float inv = 1.0f / (float)seg;
	for (long i = 0; i < rows; i++) {
		const float *dzr = dz + i * cols, *xr = xhat + i * cols;
		for (long j = 0; j < cols; j++) {
			dgamma[j] += dzr[j] * xr[j];
			dbeta[j] += dzr[j];
		}
		if (!dx) continue;
		for (long s = 0; s < nseg; s++) {
			long o = s * seg;
			float a1[16] = {0}, a2[16] = {0};
			long j = o;
			for (; j + 16 <= o + seg; j += 16)
				for (int l = 0; l < 16; l++) {
					float d = dzr[j + l] * gamma[j + l];
					a1[l] += d;
					a2[l] += d * xr[j + l];
				}
			float s1 = 0, s2 = 0;
			for (int l = 0; l < 16; l++) {
				s1 += a1[l];
				s2 += a2[l];
			}
			for (; j < o + seg; j++) {
				float d = dzr[j] * gamma[j];
				s1 += d;
				s2 += d * xr[j];
			}
			s1 *= inv;
			s2 *= inv;
			float r = rstd[i * nseg + s];
			float *dxr = dx + i * cols;
			for (long q = o; q < o + seg; q++) dxr[q] = r * (dzr[q] * gamma[q] - s1 - xr[q] * s2);
		}
	}
}
