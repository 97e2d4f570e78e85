package calql_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/agent/calql"
	"github.com/dwm-rl/dwm/agent/cql"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/replay"
)

// storedMC returns the buffer's MC column, oldest first.
func storedMC(t *testing.T, b *replay.Buffer) []float32 {
	t.Helper()
	for _, ts := range b.State("x") {
		if ts.Name == "x/mc" {
			return ts.Data
		}
	}
	t.Fatal("buffer state has no MC column")
	return nil
}

// OnlineMC: a running episode's transitions have no bound; when it ends —
// by a terminal or a truncation — they get the discounted
// returns of their rewards with the config's γ, the same as
// dataset.MCReturns gives for the episode in a dataset.
func TestOnlineMC(t *testing.T) {
	cfg := calql.Config{CQL: cql.Config{Gamma: 0.5}}
	buf, err := replay.New(32, 1, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := cfg.OnlineMC(buf)
	if err != nil {
		t.Fatal(err)
	}
	x := []float32{0}
	ninf := float32(math.Inf(-1))
	// Episode 1 ends by a terminal after 3 steps; episodes 2 and 3 are
	// truncated after 4 and 2; episode 4 is running.
	eps := []struct {
		rew         []float32
		term, trunc bool
	}{{[]float32{1, 2, 4}, true, false}, {[]float32{8, 8, 8, 8}, false, true}, {[]float32{2, 2}, false, true}, {[]float32{3, 3}, false, false}}
	var want []float32
	for e, ep := range eps {
		for s, r := range ep.rew {
			last := s == len(ep.rew)-1
			buf.Add(x, x, r, x, ep.term && last)
			if err := tr.Step(ep.term && last, ep.trunc && last); err != nil {
				t.Fatal(err)
			}
			if e == len(eps)-1 && storedMC(t, buf)[buf.Len()-1] != ninf {
				t.Fatalf("running episode: step %d has MC %v, want -Inf", s, storedMC(t, buf)[buf.Len()-1])
			}
		}
		if e == len(eps)-1 {
			want = append(want, ninf, ninf)
			if tr.Pending() != 2 {
				t.Fatalf("pending %d, want 2", tr.Pending())
			}
			continue
		}
		d := dataset.New(1, 1, len(ep.rew))
		for s, r := range ep.rew {
			last := s == len(ep.rew)-1
			d.Append(x, x, r, x, ep.term && last, !ep.term && last)
		}
		mc, err := d.MCReturns(0.5, dataset.MCOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, mc...)
	}
	got := storedMC(t, buf)
	if !slices.Equal(got, want) {
		t.Fatalf("MC column %v, want %v", got, want)
	}
	if !slices.Equal(got[:3], []float32{1 + 0.5*2 + 0.25*4, 2 + 0.5*4, 4}) {
		t.Fatalf("episode 1 MC %v", got[:3])
	}
	if _, err := cfg.OnlineMC(mustBuffer(t, false)); err == nil {
		t.Fatal("a buffer without MC returns was accepted")
	}
}

func mustBuffer(t *testing.T, mc bool) *replay.Buffer {
	b, err := replay.New(4, 1, 1, mc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  calql.Config
		want string
	}{
		{calql.Config{CQL: cql.Config{CQLAlpha: -1}}, "CQLAlpha"},
		{calql.Config{CQL: cql.Config{Gamma: 1.5}}, "Gamma"},
		{calql.Config{CQL: cql.Config{NumActions: -2}}, "NumActions"},
		{calql.Config{CQL: cql.Config{ClipDiffMin: 5, ClipDiffMax: 1}}, "ClipDiffMin"},
		{calql.Config{FailureReward: float32(math.NaN())}, "FailureReward"},
		{calql.Config{SparseReward: true, CQL: cql.Config{Gamma: 1}}, "SparseReward"},
	} {
		err := c.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one naming %s", c.cfg, err, c.want)
		}
		if _, err := calql.New(3, 1, c.cfg, 1); err == nil {
			t.Errorf("%+v: New accepted it", c.cfg)
		}
	}
	if _, err := calql.New(0, 1, calql.Config{}, 1); err == nil {
		t.Error("observation dim 0 accepted")
	}
}

// A Cal-QL checkpoint does not load into a CQL agent (and back): their state
// tensors and streams are named apart.
func TestStateNotInterchangeable(t *testing.T) {
	small := cql.Config{Hidden: []int{8}, ActorHidden: []int{8}, NumActions: 2}
	c, err := calql.New(3, 1, calql.Config{CQL: small}, 1)
	if err != nil {
		t.Fatal(err)
	}
	q, err := cql.New(3, 1, small, 1)
	if err != nil {
		t.Fatal(err)
	}
	m, o, r, err := c.State()
	if err != nil {
		t.Fatal(err)
	}
	if err := q.SetState(m, o, r); err == nil {
		t.Fatal("CQL agent loaded a Cal-QL state")
	}
	m, o, r, _ = q.State()
	if err := c.SetState(m, o, r); err == nil {
		t.Fatal("Cal-QL agent loaded a CQL state")
	}
}
