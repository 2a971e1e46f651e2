package agent

import "slices"

// LoadForProcess is Load for `edgetag process`, which runs only the tag
// engine: a file that holds a tag_processor block and no source (what a
// UMH user pastes to try a block) is valid for it. Every other problem is
// reported as Load reports it.
func LoadForProcess(path string, lookupEnv func(string) (string, bool)) (*Config, error) {
	cfg, _, errs := load(path, lookupEnv)
	if cfg != nil && len(cfg.Sources) == 0 && cfg.Simulator == nil {
		errs = slices.DeleteFunc(errs, func(e *ConfigError) bool { return e.Path == "sources" })
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return cfg, nil
}
