package crashtest

import (
	"math/rand/v2"
	"testing"
)

// dualSmall sizes DUAL (IQL critic) on the embedded pendulum-medium data so
// that a run of 200 offline and 400 online steps takes a few seconds: the
// planner trains for the first 100 offline updates, is distilled to 2
// sampling steps at update 100, the actor trains for the remaining 100;
// online the Laplace posterior is refitted and new sub-policies drawn every
// 100 updates. Checkpoints every 50 offline steps (online at episode
// ends), metrics every 25.
var dualSmall = []string{
	"--set", "train.eval_episodes=1", "--set", "train.eval_every=1000",
	"--set", "train.checkpoint_every=50", "--set", "train.log_every=25", "--set", "train.batch_size=32",
	"--set", "dual.planner.horizon=4", "--set", "dual.planner.diffusion_steps=8",
	"--set", "dual.distill.target_steps=2", "--set", "dual.distill.iters=10", "--set", "dual.distill.batch=16",
	"--set", "dual.iql.hidden=[32,32]", "--set", "dual.actor_batch=16", "--set", "dual.laplace_rows=128",
	"--set", "dual.refit_every=100",
}

func dualCase() runCase {
	return runCase{name: "dual", total: 600, args: func(*testing.T) []string {
		return append([]string{"dual", "--env", "pendulum", "--dataset", "pendulum-medium",
			"--offline-steps", "200", "--online-steps", "400", "--seed", "7"}, dualSmall...)
	}}
}

// dawmSmall sizes DAWM's state–reward diffusion model and inverse-dynamics
// model (fitted for 30 steps each before the learner's first update) and
// its 200 generated transitions so that the fit takes about a second;
// TD3+BC then trains for 400 offline updates, checkpointing every 50.
var dawmSmall = []string{
	"--set", "dawm.horizon=4", "--set", "dawm.unet_dim=16", "--set", "dawm.unet_mults=[1,2]",
	"--set", "dawm.model_steps=30", "--set", "dawm.model_batch=16", "--set", "dawm.idm_steps=30",
	"--set", "dawm.idm_hidden=[32]", "--set", "dawm.sample_steps=5", "--set", "dawm.samples=2",
	"--set", "dawm.transitions=200", "--set", "dawm.cache=off", "--set", "td3bc.hidden=[16,16]",
	"--set", "train.eval_episodes=1", "--set", "train.eval_every=1000",
	"--set", "train.checkpoint_every=50", "--set", "train.log_every=25", "--set", "train.batch_size=32",
}

func dawmCase() runCase {
	return runCase{name: "dawm", total: 400, args: func(*testing.T) []string {
		return append([]string{"dawm", "--dataset", "pendulum-medium", "--learner", "td3bc",
			"--offline-steps", "400", "--seed", "7"}, dawmSmall...)
	}}
}

// between returns a step in [lo, hi) drawn from r.
func between(r *rand.Rand, lo, hi int64) int64 { return lo + r.Int64N(hi-lo) }

// SIGKILL and --resume give the uninterrupted run exactly for DUAL: the
// first kill lands in the offline phase after the planner's fit and its
// distillation at update 101 (while the actor trains; the store shows step
// 175, so the run resumes from the offline checkpoint at 150), the second in the online phase after the
// checkpoint at the end of the first online episode (step 400), so that the
// run resumes with online episodes, the fine-tuned student, a refitted
// Laplace posterior and its sub-policies in the checkpoint.
func TestKillResumeDual(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(6, 2))
	targets := []int64{between(r, 151, 176), between(r, 420, 580)}
	if testing.Short() {
		targets = targets[1:]
	}
	killResumeAt(t, dualCase(), 6, targets)
}

// The same for DAWM with TD3+BC: kills after the world model and inverse
// dynamics are fitted and the generated data written, one before the
// learner's first checkpoint (the resumed run starts over, the generated
// data already on disk) and one later (it resumes from a checkpoint and
// must find the same generated data).
func TestKillResumeDAWM(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(8, 2))
	targets := []int64{25, between(r, 100, 350)}
	if testing.Short() {
		targets = targets[1:]
	}
	killResumeAt(t, dawmCase(), 8, targets)
}
