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
