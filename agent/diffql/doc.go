// Package diffql is Diffusion-QL (Wang, Hunt & Zhou, ICLR 2023): a
// conditional diffusion policy over actions (a small MLP ε-network, T = 5
// VP steps) trained with the diffusion behaviour-cloning loss plus
// Q-guidance −η·Q(s, â)/mean|Q| through the sampling chain, with twin
// critics and target networks. It is one of DUAL's baselines (issue 9) and
// implements train.Agent. The update rule, the equations and every
// deviation from the reference implementation are in diffql.go's header.
package diffql
