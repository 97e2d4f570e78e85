// Elementwise kernels of package tensor (see kern_c.go).
#ifndef DWM_TENSOR_KERNELS_H
#define DWM_TENSOR_KERNELS_H
void dwm_bias_act(int act, float *y, float *z, const float *bias, long rows, long cols, long ld);
void dwm_act_backward(int act, float *dz, const float *dy, const float *z, const float *y, float *dbias, long rows, long cols, long ld);
void dwm_exp(float *dst, const float *src, long n);

void dwm_im2col(float *col, const float *x, long B, long C, long L, long K, long S, long P, long Lo);
void dwm_col2im(float *x, const float *col, long B, long C, long L, long K, long S, long P, long Lo);
void dwm_norm_forward(float *z, float *xhat, const float *x, const float *gamma, const float *beta, float *rstd,
                      long rows, long cols, long seg, float eps);
void dwm_norm_backward(float *dx, const float *dz, const float *xhat, const float *gamma, const float *rstd,
                       float *dgamma, float *dbeta, long rows, long cols, long seg);
#endif
