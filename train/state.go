package train

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/dwm-rl/dwm/checkpoint"
)

// Checkpoint layout written by the loop:
//
//	model.safetensors      the agent's networks, then hook tensors under "hooks/"
//	optimizer.safetensors  the agent's optimizer state, then the online replay
//	                       buffer under "replay/online/"
//	manifest.json          counters, the loop's and agent's random streams
//	                       ("train/…", "agent/…"), config, and Extra:
//	                       {"loop": state, "hooks": hook JSON}
const (
	hookPrefix   = "hooks/"
	replayPrefix = "replay/online"
)

type extra struct {
	Loop  state           `json:"loop"`
	Hooks json.RawMessage `json:"hooks,omitempty"`
}

func (l *Loop) save() error {
	model, opt, rngs, err := l.Agent.State()
	if err != nil {
		return fmt.Errorf("train: checkpoint: agent state: %w", err)
	}
	ck := &checkpoint.Checkpoint{
		Step:   l.GlobalStep(),
		Config: l.ConfigJSON,
		Model:  model,
		RNG:    map[string][]byte{},
		Counters: map[string]int64{
			"offline_step": l.st.OfflineStep, "online_step": l.st.OnlineStep, "episodes": l.st.Episodes,
		},
	}
	for k, v := range rngs {
		ck.RNG["agent/"+k] = v
	}
	if err := ck.SetRNG("train/sample", l.sample); err != nil {
		return err
	}
	if err := ck.SetRNG("train/explore", l.expl); err != nil {
		return err
	}
	ck.Optimizer = opt
	if l.OnlineBuffer != nil {
		ck.Optimizer = append(append([]checkpoint.Tensor(nil), opt...), l.OnlineBuffer.State(replayPrefix)...)
	}
	ex := extra{}
	if l.Hooks.State != nil {
		ts, js, err := l.Hooks.State()
		if err != nil {
			return fmt.Errorf("train: checkpoint: hook state: %w", err)
		}
		for _, t := range ts {
			t.Name = hookPrefix + t.Name
			ck.Model = append(ck.Model, t)
		}
		ex.Hooks = js
	}
	prev := l.st.LastCkpt
	l.st.LastCkpt = l.GlobalStep()
	ex.Loop = l.st
	if ck.Extra, err = json.Marshal(ex); err != nil {
		l.st.LastCkpt = prev
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	if _, err := l.Checkpoints.Save(ck); err != nil {
		l.st.LastCkpt = prev
		return fmt.Errorf("train: %w", err)
	}
	l.lastSave = l.now()
	return nil
}

// CheckpointParts is a loop checkpoint split by owner.
type CheckpointParts struct {
	// Model, Optimizer and RNG are the agent's state, as its SetState takes it.
	Model, Optimizer []checkpoint.Tensor
	RNG              map[string][]byte
	// Hooks are the hooks' tensors (prefix removed); Replay the online
	// buffer's tensors (as replay.Buffer.SetState takes them).
	Hooks, Replay []checkpoint.Tensor
}

// SplitCheckpoint splits a checkpoint written by the loop into the agent's,
// the hooks' and the online buffer's parts (see the layout above), e.g. to
// load only the agent for evaluation.
func SplitCheckpoint(ck *checkpoint.Checkpoint) CheckpointParts {
	p := CheckpointParts{RNG: map[string][]byte{}}
	for _, t := range ck.Model {
		if name, ok := strings.CutPrefix(t.Name, hookPrefix); ok {
			t.Name = name
			p.Hooks = append(p.Hooks, t)
		} else {
			p.Model = append(p.Model, t)
		}
	}
	for _, t := range ck.Optimizer {
		if strings.HasPrefix(t.Name, replayPrefix+"/") {
			p.Replay = append(p.Replay, t)
		} else {
			p.Optimizer = append(p.Optimizer, t)
		}
	}
	for k, v := range ck.RNG {
		if a, ok := strings.CutPrefix(k, "agent/"); ok {
			p.RNG[a] = v
		}
	}
	return p
}

// Restore loads a checkpoint written by this loop: agent, online buffer,
// counters, random streams and hook state. Call it after setting the
// loop's fields and before Run.
func (l *Loop) Restore(ck *checkpoint.Checkpoint) error {
	if err := l.init(); err != nil {
		return err
	}
	var ex extra
	if err := json.Unmarshal(ck.Extra, &ex); err != nil {
		return fmt.Errorf("checkpoint %s: loop state: %w", ck.Path, err)
	}
	parts := SplitCheckpoint(ck)
	model, opt, rngs, hooks, buf := parts.Model, parts.Optimizer, parts.RNG, parts.Hooks, parts.Replay
	if err := l.Agent.SetState(model, opt, rngs); err != nil {
		return fmt.Errorf("checkpoint %s: agent: %w", ck.Path, err)
	}
	if l.OnlineBuffer != nil && len(buf) > 0 {
		if err := l.OnlineBuffer.SetState(replayPrefix, buf); err != nil {
			return fmt.Errorf("checkpoint %s: %w", ck.Path, err)
		}
	}
	if err := ck.RestoreRNG("train/sample", l.sample); err != nil {
		return err
	}
	if err := ck.RestoreRNG("train/explore", l.expl); err != nil {
		return err
	}
	if l.Hooks.SetState != nil {
		if err := l.Hooks.SetState(hooks, ex.Hooks); err != nil {
			return fmt.Errorf("checkpoint %s: hook state: %w", ck.Path, err)
		}
	}
	l.st = ex.Loop
	return nil
}

// Done reports whether the loop finished both phases.
func (l *Loop) Done() bool { return l.st.Done }
