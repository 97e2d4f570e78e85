package optim

func adamUpdate(w, g, m, v []float32, k *kernelArgs) { adamUpdateGo(w, g, m, v, k) }
