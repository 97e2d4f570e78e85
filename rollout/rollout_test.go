package rollout

import (
	"math"
	"slices"
	"testing"

	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/worldmodel"
)

// fakeModel is a 1-D model with known outputs: s' = s + a, r = 10·s,
// σ_ep = s (NaN when s is 7), penalty = 2s, terminal when s' ≥ 5, and a
// NaN next state when s is 8.
type fakeModel struct{ calls int }

func (fakeModel) Dims() (int, int) { return 1, 1 }

func (f *fakeModel) Predict(p *worldmodel.Prediction, obs, act []float32, _ worldmodel.PredictOptions, _ *rng.Stream) error {
	f.calls++
	b := len(obs)
	p.B = b
	p.Next, p.Reward, p.SigmaEp, p.Penalty = make([]float32, b), make([]float32, b), make([]float32, b), make([]float32, b)
	p.Terminal = make([]bool, b)
	for i, s := range obs {
		p.Next[i] = s + act[i]
		p.Reward[i] = 10 * s
		p.SigmaEp[i] = s
		p.Penalty[i] = 2 * s
		p.Terminal[i] = p.Next[i] >= 5
		if s == 7 {
			p.SigmaEp[i] = float32(math.NaN())
		}
		if s == 8 {
			p.Next[i] = float32(math.NaN())
		}
	}
	return nil
}

// stepPolicy always acts 1.
type stepPolicy struct{}

func (stepPolicy) ActBatch(obs, act []float32, _ bool) error {
	for i := range act {
		act[i] = 1
	}
	return nil
}

type tr struct {
	s, a, r, next float32
	done          bool
}

func contents(t *testing.T, b *replay.Buffer) []tr {
	t.Helper()
	out := make([]tr, b.Len())
	// State exposes the stored rows in order.
	for _, x := range b.State("x") {
		for i := range out {
			switch x.Name {
			case "x/obs":
				out[i].s = x.Data[i]
			case "x/act":
				out[i].a = x.Data[i]
			case "x/rew":
				out[i].r = x.Data[i]
			case "x/next_obs":
				out[i].next = x.Data[i]
			case "x/done":
				out[i].done = x.Data[i] == 1
			}
		}
	}
	return out
}

// TestRejectsExactlyAboveEta: every attempted transition with σ_ep > η is
// rejected and every one with σ_ep ≤ η is written, rollout by rollout,
// under both rejection behaviours; NaN σ_ep and non-finite states are
// rejected; terminals end rollouts; the penalty is applied.
func TestRejectsExactlyAboveEta(t *testing.T) {
	starts := []float32{0, 1.5, 2, 2.5, 3.5, 7, 8, -3}
	const eta, H, lam = 3, 4, 0.5
	for _, mode := range []OnReject{Stop, Absorb} {
		buf, _ := replay.New(100, 1, 1, false)
		var r Runner
		m := &fakeModel{}
		st, err := r.Run(buf, starts, m, stepPolicy{}, Config{Horizon: H, Filter: Epistemic, Eta: eta, OnReject: mode, RewardPenalty: lam}, rng.New(1))
		if err != nil {
			t.Fatal(err)
		}
		// Expected, rollout by rollout, from the definitions.
		var want []tr
		var attempted, rejected, nonFinite int
		for _, s0 := range starts {
			s := s0
			for h := 0; h < H; h++ {
				attempted++
				next := s + 1
				if s == 8 {
					nonFinite++
					break
				}
				if s > eta || s == 7 {
					rejected++
					if mode == Absorb {
						want = append(want, tr{s, 1, 0, s, true})
					}
					break
				}
				want = append(want, tr{s, 1, 10*s - lam*2*s, next, next >= 5})
				if next >= 5 {
					break
				}
				s = next
			}
		}
		got := contents(t, buf)
		sortTr := func(x []tr) {
			slices.SortFunc(x, func(a, b tr) int {
				switch {
				case a.s < b.s:
					return -1
				case a.s > b.s:
					return 1
				}
				return 0
			})
		}
		sortTr(got)
		sortTr(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: written\n%v\nwant\n%v", mode, got, want)
		}
		for _, x := range got {
			if !x.done && x.s > eta {
				t.Errorf("%s: transition from σ_ep %v > η written", mode, x.s)
			}
		}
		if st.Steps != attempted || st.Rejected != rejected || st.NonFinite != nonFinite {
			t.Errorf("%s: stats %+v, want %d attempted, %d rejected, %d non-finite", mode, st, attempted, rejected, nonFinite)
		}
		if want := float64(rejected+nonFinite) / float64(attempted); st.RejectRate() != want {
			t.Errorf("%s: reject rate %v, want %v", mode, st.RejectRate(), want)
		}
		if m.calls > H {
			t.Errorf("%d model calls for horizon %d: rollouts are not batched", m.calls, H)
		}
	}
	// Without the filter everything finite is accepted.
	buf, _ := replay.New(100, 1, 1, false)
	var r Runner
	st, err := r.Run(buf, starts, &fakeModel{}, stepPolicy{}, Config{Horizon: 1, Filter: None, Eta: eta}, rng.New(1))
	if err != nil {
		t.Fatal(err)
	}
	if st.Rejected != 0 || st.NonFinite != 1 || st.Accepted != len(starts)-1 {
		t.Errorf("no filter: %+v", st)
	}
}

func TestConfigErrors(t *testing.T) {
	buf, _ := replay.New(10, 1, 1, false)
	var r Runner
	for _, c := range []Config{{Horizon: 0}, {Horizon: 1, Eta: -1}, {Horizon: 1, Filter: "maybe"}, {Horizon: 1, OnReject: "x"},
		{Horizon: 1, RewardPenalty: float32(math.Inf(1))}, {Horizon: 1, RejectOutOfBounds: true},
		{Horizon: 1, Bounds: NewBounds([]float32{0, 1}, 1), BoundsMargin: -1}} {
		if _, err := r.Run(buf, []float32{0}, &fakeModel{}, stepPolicy{}, c, rng.New(1)); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
	other, _ := replay.New(10, 2, 1, false)
	if _, err := r.Run(other, []float32{0, 0}, &fakeModel{}, stepPolicy{}, Config{Horizon: 1}, rng.New(1)); err == nil {
		t.Error("buffer of the wrong width accepted")
	}
}

// TestBounds: next states outside the real states' range are counted with
// their excess in range widths, and rejected beyond the margin only when
// asked; rewards of accepted transitions are summarized.
func TestBounds(t *testing.T) {
	b := NewBounds([]float32{0, 2, 1}, 1) // range [0, 2], width 2
	if b.Lo[0] != 0 || b.Hi[0] != 2 {
		t.Fatalf("bounds %+v", b)
	}
	if e := b.Excess([]float32{3}); e != 0.5 {
		t.Errorf("excess of 3 in [0, 2] = %v, want 0.5", e)
	}
	if e := b.Excess([]float32{-1}); e != 0.5 {
		t.Errorf("excess of −1 in [0, 2] = %v, want 0.5", e)
	}
	// From s = 0 the fake model steps 1, 2, 3, 4: the third next state (3)
	// is 0.5 widths out, the fourth (4) 1 width.
	for _, tc := range []struct {
		name     string
		reject   bool
		margin   float32
		accepted int
		oob      int
		bRej     int
	}{
		{"count only", false, 0, 4, 2, 0},
		{"reject", true, 0, 2, 1, 1},
		{"margin 0.6", true, 0.6, 3, 2, 1},
		{"margin 1", true, 1, 4, 2, 0},
	} {
		buf, _ := replay.New(10, 1, 1, false)
		var r Runner
		st, err := r.Run(buf, []float32{0}, &fakeModel{}, stepPolicy{},
			Config{Horizon: 4, Filter: None, Bounds: b, RejectOutOfBounds: tc.reject, BoundsMargin: tc.margin}, rng.New(1))
		if err != nil {
			t.Fatal(err)
		}
		if st.Accepted != tc.accepted || st.OutOfBounds != tc.oob || st.BoundsRejected != tc.bRej || st.Rejected != tc.bRej {
			t.Errorf("%s: %+v, want %d accepted, %d out of bounds, %d rejected for it", tc.name, st, tc.accepted, tc.oob, tc.bRej)
		}
		if st.MaxExcess != 0.5 && tc.oob == 1 || st.MaxExcess != 1 && tc.oob == 2 {
			t.Errorf("%s: max excess %v", tc.name, st.MaxExcess)
		}
		// Rewards 10·s for s = 0, 1, … of the accepted steps.
		wantMax := 10 * float64(tc.accepted-1)
		if st.RewardMin != 0 || st.RewardMax != wantMax || st.MeanReward() != wantMax/2 {
			t.Errorf("%s: rewards min %v max %v mean %v, want 0, %v, %v", tc.name, st.RewardMin, st.RewardMax, st.MeanReward(), wantMax, wantMax/2)
		}
	}
}

// TestAbsorbReward: the absorbing terminal carries Config.AbsorbReward.
func TestAbsorbReward(t *testing.T) {
	buf, _ := replay.New(10, 1, 1, false)
	var r Runner
	// From s = 4 the first step has σ_ep 4 > η = 3: absorbed at once.
	if _, err := r.Run(buf, []float32{4}, &fakeModel{}, stepPolicy{}, Config{Horizon: 2, Eta: 3, OnReject: Absorb, AbsorbReward: -7}, rng.New(1)); err != nil {
		t.Fatal(err)
	}
	if got := contents(t, buf); len(got) != 1 || got[0] != (tr{4, 1, -7, 4, true}) {
		t.Errorf("absorbed %v, want [{4 1 -7 4 true}]", got)
	}
	if _, err := r.Run(buf, []float32{4}, &fakeModel{}, stepPolicy{}, Config{Horizon: 1, AbsorbReward: float32(math.NaN())}, rng.New(1)); err == nil {
		t.Error("NaN absorb reward accepted")
	}
}
