package experiment

// discount returns the resolved config's discount γ, which bounds the
// critic values the training loop warns about (train.Config.QBoundFactor);
// 0 for an algorithm without one here, which turns that check off.
func (c Config) discount() float64 {
	switch c.Algo {
	case "sac", "bdwm", "mopo", "diamond":
		return float64(c.SAC.Gamma)
	case "td3bc":
		return float64(c.TD3BC.Gamma)
	case "iql":
		return float64(c.IQL.Gamma)
	case "awac":
		return float64(c.AWAC.Gamma)
	case "cql":
		return float64(c.CQL.Gamma)
	case "calql":
		return float64(c.CalQL.CQL.Gamma)
	case "diffql":
		return float64(c.DiffQL.Gamma)
	case "dual":
		return c.DUAL.Gamma()
	case "dawm": // the learner's γ (DAWM trains TD3+BC or IQL on its data)
		if c.DAWM.WithDefaults().Learner == "iql" {
			return float64(c.IQL.Gamma)
		}
		return float64(c.TD3BC.Gamma)
	}
	return 0
}
