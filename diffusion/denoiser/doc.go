// Package denoiser holds the networks that diffusion models train: a
// residual MLP for vectors (ResMLP, with K ensemble members evaluated in one
// call, BDWM's decoders) and a 1-D temporal U-Net over a horizon of rows
// (TemporalUNet, Diffuser's planner network), with their building blocks:
// the sinusoidal time embedding and its MLP (TimeEmbedding), FiLM
// conditioning (FiLM) and the U-Net's residual temporal blocks.
//
// Every network implements diffusion.Denoiser: Forward/Backward for training
// with per-row times and conditions, and SetCond/Step for sampling, where
// the work that depends only on the condition (its share of the first layer,
// FiLM's γ and β) is done once per sampling call and the time embedding
// once per step. Every layer has a hand-written backward pass checked
// against finite differences in the tests.
//
// Constructors return errors for invalid configurations; Forward, Backward
// and Step panic on mismatched shapes (programmer errors — diffusion.Model
// checks user input before calling them).
package denoiser
