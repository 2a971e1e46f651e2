package siteconfig

import "github.com/edgetag/edgetag/internal/redact"

// Secrets returns every secret value of cfg: passwords and tokens of the
// NATS connection, the leafnode uplink, the embedded server's users, the
// OPC UA sources and the simulator. Output that may quote configured values
// (logs, check) is scrubbed of them (redact.Scrubber); URL credentials are
// redacted by their syntax.
func (cfg *Config) Secrets() []string {
	n := cfg.NATS
	out := []string{n.Auth.Password, n.Auth.Token, n.Embedded.Leafnode.Auth.Password, n.Embedded.Leafnode.Auth.Token}
	for _, u := range n.Embedded.Users {
		out = append(out, u.Password)
	}
	for _, s := range cfg.Sources {
		out = append(out, s.Auth.Password)
	}
	if cfg.Simulator != nil {
		out = append(out, cfg.Simulator.Password)
	}
	kept := out[:0]
	for _, s := range out {
		if s != "" {
			kept = append(kept, s)
		}
	}
	return kept
}

// Scrubber returns a scrubber for cfg's secrets and URL credentials.
func (cfg *Config) Scrubber() *redact.Scrubber { return redact.NewScrubber(cfg.Secrets()...) }
