package experiment

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dwm-rl/dwm/agent/awac"
	"github.com/dwm-rl/dwm/agent/calql"
	"github.com/dwm-rl/dwm/agent/cql"
	"github.com/dwm-rl/dwm/agent/diffql"
	"github.com/dwm-rl/dwm/agent/dual"
	"github.com/dwm-rl/dwm/agent/iql"
	"github.com/dwm-rl/dwm/agent/sac"
	"github.com/dwm-rl/dwm/agent/td3bc"
	"github.com/dwm-rl/dwm/bdwm"
	"github.com/dwm-rl/dwm/config"
	"github.com/dwm-rl/dwm/train"
)

// Algos lists the algorithm names Run accepts.
func Algos() []string {
	return []string{"sac", "td3bc", "iql", "awac", "cql", "calql", "bdwm", "mopo", "diamond", "dawm", "dual", "diffql"}
}

// Config is everything that defines a run.
type Config struct {
	// Algo names the algorithm (see Algos).
	Algo string `yaml:"algo"`
	// Env is the env id (see `dwm envs`).
	Env string `yaml:"env"`
	// Dataset is the path of an offline dataset (.npz, .hdf5); empty for
	// pure online training.
	Dataset string `yaml:"dataset"`
	// Seed is the run seed; every random stream derives from it.
	Seed uint64 `yaml:"seed"`
	// Name overrides the run's name (default <env>__<algo>__<seed>__<time>).
	Name string `yaml:"name"`
	// RunsDir holds run directories and, by default, the store. Default "runs".
	RunsDir string `yaml:"runs_dir"`
	// Store is the SQLite run store. Default <runs_dir>/dwm.db.
	Store string `yaml:"store"`
	// ForkOf is "<run>@<step>" for a run branched from another run's
	// checkpoint (Fork, `dwm train --fork`): its history up to that step is
	// the parent's. Empty for a run trained from its start.
	ForkOf string `yaml:"fork_of,omitempty"`
	// Train holds the loop's budgets and periods. A SAC run that sets
	// neither budget gets DefaultSACOnlineSteps online env steps; other
	// algorithms need one (dawm has its own default).
	Train train.Config `yaml:"train"`
	// Buffer configures the replay buffers.
	Buffer BufferConfig `yaml:"buffer"`
	// SAC holds SAC's hyperparameters (used when Algo is "sac").
	SAC sac.Config `yaml:"sac"`
	// TD3BC holds TD3+BC's hyperparameters (used when Algo is "td3bc").
	TD3BC td3bc.Config `yaml:"td3bc"`
	// IQL holds IQL's hyperparameters (used when Algo is "iql").
	IQL iql.Config `yaml:"iql"`
	// AWAC holds AWAC's hyperparameters (used when Algo is "awac").
	AWAC awac.Config `yaml:"awac"`
	// CQL holds CQL's hyperparameters (used when Algo is "cql").
	CQL cql.Config `yaml:"cql"`
	// CalQL holds Cal-QL's hyperparameters (used when Algo is "calql").
	CalQL calql.Config `yaml:"calql"`
	// DiffQL holds Diffusion-QL's hyperparameters (used when Algo is "diffql").
	DiffQL diffql.Config `yaml:"diffql"`
	// BDWM configures BDWM and its model-based baselines (used when Algo
	// is "bdwm", "mopo" or "diamond", which also take SAC's
	// hyperparameters for the base learner).
	BDWM bdwm.Config `yaml:"bdwm"`
	// DAWM configures DAWM (used when Algo is "dawm"; see DAWMConfig).
	DAWM DAWMConfig `yaml:"dawm"`
	// DUAL configures DUAL (used when Algo is "dual"; see package dual).
	DUAL dual.Config `yaml:"dual"`
}

// BufferConfig configures the replay buffers.
type BufferConfig struct {
	// Size is the online buffer's capacity. Default: the online steps
	// (nothing is ever overwritten), at most 1,000,000 (CORL).
	Size int `yaml:"size"`
	// Mix chooses how offline data is used online: "symmetric" samples
	// Ratio of each batch from the online buffer and the rest from the
	// dataset (Cal-QL's 50/50 with Ratio 0.5); "append" puts online
	// transitions into the dataset's buffer (CORL's IQL/AWAC). Default
	// "append".
	Mix string `yaml:"mix"`
	// Ratio is the online fraction of each batch with Mix "symmetric".
	// Default 0.5 (Cal-QL).
	Ratio float64 `yaml:"ratio"`
}

// DefaultSACOnlineSteps is the online budget (env steps) of a SAC run that
// sets neither train.online_steps nor train.offline_steps: 10⁶, the SAC
// paper's budget for the MuJoCo tasks (Haarnoja et al. 2018, Fig. 1) and
// CleanRL's sac_continuous_action.py total_timesteps.
const DefaultSACOnlineSteps = 1_000_000

// Default returns the default config for algo on env.
func Default(algo, env string) Config {
	c := Config{Algo: algo, Env: env}
	return c.WithDefaults()
}

// WithDefaults fills zero fields with their defaults.
func (c Config) WithDefaults() Config {
	if c.RunsDir == "" {
		c.RunsDir = "runs"
	}
	if c.Algo == "sac" && c.Train.OnlineSteps == 0 && c.Train.OfflineSteps == 0 {
		c.Train.OnlineSteps = DefaultSACOnlineSteps
	}
	c.Train = c.Train.WithDefaults()
	c = dawmWithDefaults(c)
	if isBDWM(c.Algo) {
		c.BDWM.Variant = bdwm.Variant(c.Algo) // the algorithm names the variant
	}
	if c.Buffer.Mix == "" {
		c.Buffer.Mix = "append"
	}
	if c.Buffer.Ratio == 0 {
		c.Buffer.Ratio = 0.5 // Cal-QL's symmetric sampling
	}
	if c.Buffer.Size == 0 {
		c.Buffer.Size = int(min(max(c.Train.OnlineSteps, 1), 1_000_000))
	}
	return c
}

// Validate names the first field with an impossible value.
func (c Config) Validate() error {
	if !slices.Contains(Algos(), c.Algo) {
		return fmt.Errorf("unknown algorithm %q; known: %s", c.Algo, strings.Join(Algos(), ", "))
	}
	if c.Env == "" {
		return fmt.Errorf("env: empty; see `dwm envs` for the ids")
	}
	if n := c.Name; n != "" && (n == "." || n == ".." || strings.ContainsAny(n, "/\\\x00")) {
		return fmt.Errorf("name %q: want a plain run name, without path separators (the run's directory is <runs_dir>/<name>)", n)
	}
	if c.Train.OfflineSteps == 0 && c.Train.OnlineSteps == 0 {
		return fmt.Errorf("train.online_steps and train.offline_steps are both 0: nothing to do; give a budget (dwm train --steps N for online env steps, --offline-steps N for updates on the dataset)")
	}
	if err := c.Train.Validate(); err != nil {
		return err
	}
	if c.Train.OfflineSteps > 0 && c.Dataset == "" {
		return fmt.Errorf("train.offline_steps = %d but no dataset given", c.Train.OfflineSteps)
	}
	switch {
	case c.Buffer.Size < 0:
		return fmt.Errorf("buffer.size = %d: must be ≥ 0", c.Buffer.Size)
	case c.Buffer.Mix != "append" && c.Buffer.Mix != "symmetric":
		return fmt.Errorf("buffer.mix = %q: want append or symmetric", c.Buffer.Mix)
	case math.IsNaN(c.Buffer.Ratio) || c.Buffer.Ratio < 0 || c.Buffer.Ratio > 1:
		return fmt.Errorf("buffer.ratio = %v: must lie in [0, 1]", c.Buffer.Ratio)
	}
	switch c.Algo {
	case "sac":
		if err := c.SAC.Validate(); err != nil {
			return err
		}
	case "td3bc":
		if err := c.TD3BC.Validate(); err != nil {
			return err
		}
	case "iql":
		if err := c.IQL.Validate(); err != nil {
			return err
		}
	case "awac":
		if err := c.AWAC.Validate(); err != nil {
			return err
		}
	case "cql":
		if err := c.CQL.Validate(); err != nil {
			return err
		}
	case "calql":
		if err := c.CalQL.Validate(); err != nil {
			return err
		}
	case "diffql":
		if err := c.DiffQL.Validate(); err != nil {
			return err
		}
	case "bdwm", "mopo", "diamond":
		if err := validateBDWM(c); err != nil {
			return err
		}
	case "dawm":
		return validateDAWM(c)
	case "dual":
		return validateDual(c)
	}
	return nil
}

// Load reads a config file (YAML or TOML) over base and applies
// key.path=value overrides. It does not fill defaults: Run does, after the
// caller has applied its own flags, so derived defaults (the buffer size
// follows the online steps) see the final values.
func Load(path string, overrides []string, base Config) (Config, error) {
	c := base
	if path != "" {
		if err := config.LoadFile(path, &c); err != nil {
			return c, err
		}
	}
	for _, o := range overrides {
		if err := config.Set(&c, o); err != nil {
			return c, err
		}
	}
	return c, nil
}

// YAML returns the config as YAML.
func (c Config) YAML() ([]byte, error) { return config.Dump(c) }

// JSON returns the config as JSON with the YAML key names.
func (c Config) JSON() (json.RawMessage, error) {
	y, err := c.YAML()
	if err != nil {
		return nil, err
	}
	var tree any
	if err := yaml.Unmarshal(y, &tree); err != nil {
		return nil, err
	}
	return json.Marshal(tree)
}
