package experiment

import "testing"

// The demo's config resolves and validates (the run itself is `make demo`).
func TestDemoConfigResolves(t *testing.T) {
	c, err := DemoConfig(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r, err := Resolve(c)
	if err != nil {
		t.Fatal(err)
	}
	if r.Algo != "bdwm" || r.BDWM.ModelSteps != 2000 || r.Train.OfflineSteps != 5000 || r.Train.OnlineSteps != 5000 {
		t.Fatalf("demo config %+v", r)
	}
	if _, err := LoadDataset(r.Dataset); err != nil {
		t.Fatal(err)
	}
}
