package checkpoint_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/dwm-rl/dwm/checkpoint"
)

func ExampleDir() {
	root, _ := os.MkdirTemp("", "ckpt")
	defer os.RemoveAll(root)
	d := checkpoint.Dir{Path: filepath.Join(root, "checkpoints"), Keep: 2}
	w := []float32{1, 2, 3, 4}
	for step := int64(1000); step <= 3000; step += 1000 {
		w[0] = float32(step)
		_, err := d.Save(&checkpoint.Checkpoint{
			Step:     step,
			Counters: map[string]int64{"online_step": step},
			Model:    []checkpoint.Tensor{{Name: "actor/w", Shape: []int{2, 2}, Data: w}},
		})
		if err != nil {
			panic(err)
		}
	}
	c, err := checkpoint.LoadLatest(d.Path)
	if err != nil {
		panic(err)
	}
	model := []checkpoint.Tensor{{Name: "actor/w", Shape: []int{2, 2}, Data: make([]float32, 4)}}
	if err := c.LoadModel(model); err != nil {
		panic(err)
	}
	entries, _ := d.List()
	fmt.Println(c.Step, c.Counters["online_step"], model[0].Data, len(entries))
	// Output: 3000 3000 [3000 2 3 4] 2
}
