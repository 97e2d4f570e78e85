// Elementwise kernels of package tensor (see kern_c.go).
#ifndef DWM_TENSOR_KERNELS_H
#define DWM_TENSOR_KERNELS_H
void dwm_bias_act(int act, float *y, float *z, const float *bias, long rows, long cols, long ld);
void dwm_act_backward(int act, float *dz, const float *dy, const float *z, const float *y, float *dbias, long rows, long cols, long ld);
void dwm_exp(float *dst, const float *src, long n);
#endif
