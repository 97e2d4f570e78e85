// Package uncertainty computes the uncertainty estimates of BDWM (the
// Bayesian Diffusion World Model; paper text in
// shared/papers/bdwm-uncertainty-guided-diffusion-world-models.txt, Section
// IV-A, Eqs. 3–4) from samples of an ensemble, and the statistics used to
// judge them.
//
// # Layout
//
// Samples are one flat []float32 laid out [K, M, B, D], row-major: K ensemble
// members, M samples per member, B inputs (state-action pairs of a batch) and
// D dimensions per sample. Element (k, m, b, d) is at index
// ((k*M+m)*B+b)*D+d. Shape describes the layout and validates it.
//
// # Definitions
//
// For input b, write x_km ∈ R^D for sample m of member k, the member mean
// x̄_k = (1/M) Σ_m x_km and the ensemble mean x̄ = (1/K) Σ_k x̄_k. Following
// the paper exactly:
//
//	σ_ep = (1/K) Σ_k ‖x̄_k − x̄‖²                 (Eq. 3: spread of the member means)
//	σ_al = (1/K) Σ_k (1/M) Σ_m ‖x_km − x̄_k‖²     (Eq. 4: mean within-member spread)
//	σ    = σ_ep + σ_al                          (total, Section IV-A)
//
// ‖·‖² is the squared Euclidean norm summed over the D dimensions (not
// averaged), and both spreads divide by the count (K or M), not by count − 1.
// Although the paper names them σ, Eqs. 3–4 are variances (squared units); no
// square root is taken, so that σ_ep + σ_al is the law-of-total-variance split
// of the pooled sample variance: σ_ep + σ_al = (1/(KM)) Σ_km ‖x_km − x̄‖².
//
// Edge cases: with K = 1 there is no spread of member means; σ_ep is reported
// as 0 and the functions say so through their epistemicDefined result (false)
// rather than dividing by zero. With M < 2 the within-member spread is
// undefined and the aleatoric functions return ErrAleatoricUndefined. NaN in
// the samples propagates to the result for that input; the hot paths do not
// scan for it.
//
// # Judging uncertainty
//
// Percentile gives the rejection threshold η (the 90th percentile of σ_ep over
// the offline data in BDWM), RejectTo marks values above it, AUROC measures how
// well a score separates two groups (for example in-distribution from
// out-of-distribution actions) and Spearman the rank correlation between an
// uncertainty and an error. A Workspace makes these allocation-free when
// called repeatedly.
//
// Every function here is pure: no state outside its arguments, safe for
// concurrent use on distinct destinations and workspaces.
package uncertainty
