package sweep_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dwm-rl/dwm/sweep"
)

func ExampleLoad() {
	dir, _ := os.MkdirTemp("", "sweep-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "small.yaml")
	os.WriteFile(path, []byte(`
methods: [iql, calql]
tasks:
  - {env: hopper, dataset: /data/hopper-medium-v2.hdf5}
seeds: [0, 1]
overrides: [train.online_steps=100000]
method_overrides:
  calql: [calql.alpha=5]
`), 0o644)
	sw, err := sweep.Load(path, []string{"iql", "calql", "cql"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range sw.Runs {
		fmt.Println(r.Index, r.Name)
	}
	fmt.Println(strings.Join(sweep.TrainArgs(sw.Runs[3], "/runs/dwm.db", "/runs", false), " "))
	// Output:
	// 0 small__hopper-medium-v2__iql__0
	// 1 small__hopper-medium-v2__iql__1
	// 2 small__hopper-medium-v2__calql__0
	// 3 small__hopper-medium-v2__calql__1
	// train calql --env hopper --dataset /data/hopper-medium-v2.hdf5 --seed 1 --set train.online_steps=100000 --set calql.alpha=5 --store /runs/dwm.db --runs /runs --name small__hopper-medium-v2__calql__1
}
