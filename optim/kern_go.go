//go:build !cgo || purego

package optim

// Native reports whether the fused update is the C (vectorised) kernel.
const Native = false

func adamUpdate(w, g, m, v []float32, k *kernelArgs) { adamUpdateGo(w, g, m, v, k) }
