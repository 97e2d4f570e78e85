package report_test

import (
	"fmt"

	"github.com/dwm-rl/dwm/report"
)

func ExampleParseFilter() {
	f, err := report.ParseFilter("small__*,method=iql,status=done")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Name, f.Algo, f.Status)
	fmt.Println(report.FormatFilter(f))
	_, err = report.ParseFilter("algo=iql,colour=red")
	fmt.Println(err)
	// Output:
	// small__* iql done
	// name=small__*,algo=iql,status=done
	// run filter "algo=iql,colour=red": unknown key "colour" (want name, algo, env, seed, status or id)
}
