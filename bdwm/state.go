package bdwm

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/worldmodel"
)

// Checkpoint names (under the loop's "hooks/" prefix).
const (
	wmPrefix     = "wm/"
	imagPrefix   = "imag"
	recentObsKey = "recent/obs"
	recentActKey = "recent/act"
)

// savedState is the JSON half of a checkpoint: the scalar state, the
// world model's configuration (to rebuild it) and every random stream.
// Floats that may be NaN (the quality report) are kept as strings.
type savedState struct {
	State       state             `json:"state"`
	Quality     map[string]string `json:"quality"`
	ModelConfig worldmodel.Config `json:"model_config"`
	ObsDim      int               `json:"obs_dim"`
	ActDim      int               `json:"act_dim"`
	RNG         map[string][]byte `json:"rng"`
	ModelRNG    map[string][]byte `json:"model_rng"`
}

func (m *Method) streams() map[string]*rng.Stream {
	return map[string]*rng.Stream{"imagine": m.sImagine, "starts": m.sStarts, "sigma": m.sSigma, "eta": m.sEta, "quality": m.sQuality}
}

func qualityStrings(q worldmodel.Quality) map[string]string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return map[string]string{"n": strconv.Itoa(q.N), "mse": f(q.OneStepMSE), "reward_mse": f(q.RewardMSE), "spearman": f(q.Spearman), "auroc": f(q.AUROC),
		"sigma_ep": f(q.SigmaEp), "sigma_ep_ood": f(q.SigmaEpOOD), "sigma_al": f(q.SigmaAl), "defined": strconv.FormatBool(q.EpistemicDefined)}
}

func qualityFrom(s map[string]string) (worldmodel.Quality, error) {
	var q worldmodel.Quality
	var err error
	f := func(k string) float64 {
		if err != nil {
			return 0
		}
		var v float64
		v, err = strconv.ParseFloat(s[k], 64)
		return v
	}
	q.OneStepMSE, q.Spearman, q.AUROC = f("mse"), f("spearman"), f("auroc")
	q.RewardMSE = math.NaN() // not in checkpoints of a dwm from before it: unknown until measured again
	if _, ok := s["reward_mse"]; ok {
		q.RewardMSE = f("reward_mse")
	}
	q.SigmaEp, q.SigmaEpOOD, q.SigmaAl = f("sigma_ep"), f("sigma_ep_ood"), f("sigma_al")
	if err != nil {
		return q, err
	}
	if q.N, err = strconv.Atoi(s["n"]); err != nil {
		return q, err
	}
	q.EpistemicDefined, err = strconv.ParseBool(s["defined"])
	return q, err
}

// saveState returns the method's checkpoint part: world model (parameters,
// optimizer, normalizers), D_imag, the recent-transition window, and as
// JSON the scalar state and random streams. D_on is saved by the loop and
// D_off is rebuilt from the dataset.
func (m *Method) saveState() ([]checkpoint.Tensor, json.RawMessage, error) {
	ss := savedState{State: m.st, ObsDim: m.obsDim, ActDim: m.actDim, RNG: map[string][]byte{}}
	ss.State.Quality = worldmodel.Quality{}
	ss.Quality = qualityStrings(m.st.Quality)
	var ts []checkpoint.Tensor
	if m.model != nil && m.st.Fitted {
		wts, rngs, err := m.model.State(wmPrefix)
		if err != nil {
			return nil, nil, fmt.Errorf("bdwm: checkpoint: %w", err)
		}
		ts = append(ts, wts...)
		ss.ModelRNG = rngs
		ss.ModelConfig = m.model.Config()
	}
	for name, s := range m.streams() {
		b, err := s.State()
		if err != nil {
			return nil, nil, fmt.Errorf("bdwm: checkpoint: stream %s: %w", name, err)
		}
		ss.RNG[name] = b
	}
	for _, t := range m.imag.State(imagPrefix) {
		t.Data = slices.Clone(t.Data)
		ts = append(ts, t)
	}
	ts = append(ts,
		checkpoint.Tensor{Name: recentObsKey, Shape: []int{m.cfg.SigmaBatch, m.obsDim}, Data: slices.Clone(m.recentObs)},
		checkpoint.Tensor{Name: recentActKey, Shape: []int{m.cfg.SigmaBatch, m.actDim}, Data: slices.Clone(m.recentAct)})
	js, err := json.Marshal(ss)
	if err != nil {
		return nil, nil, fmt.Errorf("bdwm: checkpoint: %w", err)
	}
	return ts, js, nil
}

// loadState restores what saveState wrote.
func (m *Method) loadState(ts []checkpoint.Tensor, js json.RawMessage) error {
	var ss savedState
	if err := json.Unmarshal(js, &ss); err != nil {
		return fmt.Errorf("bdwm: restore: %w", err)
	}
	if ss.ObsDim != m.obsDim || ss.ActDim != m.actDim {
		return fmt.Errorf("bdwm: restore: state for widths %d, %d, the data has %d, %d", ss.ObsDim, ss.ActDim, m.obsDim, m.actDim)
	}
	q, err := qualityFrom(ss.Quality)
	if err != nil {
		return fmt.Errorf("bdwm: restore: quality report: %w", err)
	}
	if ss.State.Fitted {
		wm, err := worldmodel.New(m.obsDim, m.actDim, ss.ModelConfig, m.seed)
		if err != nil {
			return fmt.Errorf("bdwm: restore: %w", err)
		}
		if err := wm.SetState(wmPrefix, ts, ss.ModelRNG); err != nil {
			return fmt.Errorf("bdwm: restore: %w", err)
		}
		m.model = wm
		m.holdout = m.holdoutOf()
	}
	if err := m.imag.SetState(imagPrefix, ts); err != nil {
		return fmt.Errorf("bdwm: restore: %w", err)
	}
	for _, t := range ts {
		switch t.Name {
		case recentObsKey:
			if len(t.Data) != len(m.recentObs) {
				return fmt.Errorf("bdwm: restore: %s has %d values, want %d", t.Name, len(t.Data), len(m.recentObs))
			}
			copy(m.recentObs, t.Data)
		case recentActKey:
			if len(t.Data) != len(m.recentAct) {
				return fmt.Errorf("bdwm: restore: %s has %d values, want %d", t.Name, len(t.Data), len(m.recentAct))
			}
			copy(m.recentAct, t.Data)
		}
	}
	for name, s := range m.streams() {
		b, ok := ss.RNG[name]
		if !ok {
			return fmt.Errorf("bdwm: restore: random stream %s missing", name)
		}
		if err := s.SetState(b); err != nil {
			return fmt.Errorf("bdwm: restore: stream %s: %w", name, err)
		}
	}
	m.st = ss.State
	m.st.Quality = q
	if m.st.Bounds == nil || len(m.st.Bounds.Lo) != m.obsDim || len(m.st.Bounds.Hi) != m.obsDim {
		m.st.Bounds = m.dataBounds() // a checkpoint from before bounds were kept
	}
	m.onMix.Ratio = m.st.Lambda
	// The learner's temperature is held while a BC term is (the flag is
	// not in the learner's checkpoint).
	m.holdAlpha()
	if m.bc != nil && m.st.Switched {
		// The agent's checkpoint holds π_offline and w_BC itself.
		m.bc.SetBCWeight(float32(m.st.WBC))
	}
	return nil
}
