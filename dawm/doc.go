// Package dawm implements DAWM, diffusion action world models for offline
// reinforcement learning (Li et al., "DAWM: Diffusion Action World Models for
// Offline Reinforcement Learning via Action-Inferred Transitions", arXiv
// 2509.19538).
//
// DAWM generates state–reward sequences with a diffusion model and fills in
// the actions of generated steps with an inverse-dynamics model
// a = g(s_t, s_{t+1}), so that every generated step is a full transition
// (s, a, r, s') for one-step TD learners such as TD3+BC and IQL.
//
// # Inverse dynamics
//
// InverseDynamics is an MLP on the concatenation of the standardised state
// and next state, [ŝ_t, ŝ_{t+1}] → a, trained by mean-squared error on the
// dataset's transitions. Choices and sources:
//
//   - Architecture: two hidden layers of 256 ReLU units and a linear output,
//     as the inverse-dynamics MLP of Decision Diffuser (Ajay et al. 2023),
//     which DAWM's IDM follows (DAWM names the IDM an MLP; the width is our
//     choice following Decision Diffuser). For a state of dimension n and an
//     action of dimension m it has (2n+1)·256 + 257·256 + 257·m parameters:
//     67,841 for Pendulum (n=3, m=1).
//   - Inputs standardised with the dataset's observation mean and standard
//     deviation (dataset.FitNormalizer), our choice for stable training.
//   - Predicted actions are clipped to the dataset's per-dimension action
//     range, so inferred actions never leave the data's action box.
//   - Adam with PyTorch's default learning rate 1e-3 and batch size 256
//     (Decision Diffuser uses 2e-4 for a far longer schedule; we use the
//     larger rate so a few thousand steps suffice).
//
// # State–reward diffusion
//
// WorldModel (see its doc for the layout) is a temporal U-Net diffusion model
// of sequences (s_{t+h}, r_{t+h}), h = 0…H−1, standardised, with s_t
// inpainted and [a_t, RTG_t] as the condition, dropped in training for
// classifier-free guidance (Ho & Salimans 2022; Decision Diffuser's return
// conditioning). NewWorldModel rejects a dataset without rewards (no reward
// column, or all rewards zero) and a horizon longer than every episode, with
// errors naming the values. Defaults and their sources are on Config.
//
// # Generation
//
// Generate samples M sequences per dataset row and emits the first
// Transitions steps of the first sample as transitions (s, g(s, s'), r, s'),
// each with its uncertainty (mean standard deviation over the M samples of
// the standardised next state and reward) in the Infos column
// "uncertainty"; Filter keeps transitions under an uncertainty threshold
// and/or inside a state range (StateRange). The result is a dataset.Dataset,
// so dataset.WriteNPZ writes it with D4RL's keys plus infos/uncertainty.
//
// Sampling uses DDIM with x_0 clipped to ±5 standardised units. With ε
// prediction and a briefly trained U-Net the samples exploded (uncertainty
// ≈ 400σ without clipping, 1.7σ with); the tests train with x_0 prediction
// (Diffuser's parameterisation), which gave 0.005σ.
//
// # Learners
//
// TrainLearner trains TD3+BC or IQL (their packages' CORL defaults) on
// batches mixing real and generated transitions at RealRatio (default 0.5,
// our choice) with replay.Mixed; the state normaliser is fitted on real
// states only.
//
// Synthesize runs the data stages alone (fit, generate, filter); Pipeline
// adds the learner.
//
// # Command line
//
// `dwm train dawm --dataset D --learner td3bc|iql` is a tracked run
// (package experiment, config section dawm:): before the first offline
// update it runs Synthesize, writes the data to <run>/dawm-generated.npz,
// and the loop's offline batches then mix real and generated transitions.
// `dwm dawm generate --dataset D --out F.npz` writes the generated
// transitions with D4RL's keys plus infos/uncertainty.
//
// Resuming a killed run: the generated transitions are the only product of
// the two models the learner sees, so the run saves them (the npz above,
// written as soon as they exist, and their SHA-256 in every checkpoint)
// rather than the models. A run killed while fitting refits from the seed:
// Synthesize is deterministic for a given dataset, configuration and seed
// (experiment.TestDAWMRunResumes deletes the data of an interrupted run and
// checks that the resumed run ends exactly as an uninterrupted one).
//
// # Return-to-go direction
//
// On pendulum-medium (time-limited episodes of 200 steps) the data tie a
// higher discounted return-to-go to slightly lower rewards over the next 1–3
// steps once state and action are fixed (rows near an episode's end have a
// high return-to-go because few steps remain), and to higher rewards over
// 16 steps. The test of the conditioning's direction on real data therefore
// uses a horizon of 16 (see TestGenerateRTGDirectionPendulum).
package dawm
