package agent

import (
	"fmt"

	"github.com/dwm-rl/dwm/tensor"
)

// FillStateAction sets dst to k stacked copies of the rows [s_i, a_i]: the
// input of a k-member critic ensemble (nn.NewEnsembleMLP, members along the
// rows), every member fed the same batch. It does not allocate once dst has
// grown. It panics if s and act have different numbers of rows or k < 1.
func FillStateAction(dst, s, act *tensor.Mat, k int) {
	if s.Rows != act.Rows || k < 1 {
		panic(fmt.Sprintf("agent.FillStateAction: states %s, actions %s, %d members", s.Shape(), act.Shape(), k))
	}
	n, O, A := s.Rows, s.Cols, act.Cols
	W := O + A
	dst.Resize(k*n, W)
	for i := 0; i < n; i++ {
		row := dst.Data[i*W : (i+1)*W]
		copy(row[:O], s.Data[i*O:(i+1)*O])
		copy(row[O:], act.Data[i*A:(i+1)*A])
	}
	for m := 1; m < k; m++ {
		copy(dst.Data[m*n*W:(m+1)*n*W], dst.Data[:n*W])
	}
}
