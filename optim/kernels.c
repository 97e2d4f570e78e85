//go:build cgo && !purego

// The fused Adam/AdamW update in C for GCC's auto-vectoriser; see kern_c.go.
// math-errno is switched off so sqrtf vectorises (its argument is never
// negative here).
#pragma GCC optimize("no-math-errno")
#include <math.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define MV __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MV
#endif

MV void dwm_adam(float *restrict w, const float *restrict g, float *restrict m, float *restrict v, long n,
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
