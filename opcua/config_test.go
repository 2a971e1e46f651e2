package opcua

import (
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestNewSourceValidates(t *testing.T) {
	good := func() Config {
		return Config{Name: "press", Endpoint: "opc.tcp://10.0.0.5:4840", StateDir: "state",
			Nodes: []NodeConfig{{ID: "ns=2;s=Line1"}}}
	}
	tests := []struct {
		name    string
		mod     func(c *Config)
		wantErr string
	}{
		{name: "defaults", mod: func(c *Config) {}},
		{name: "explicit", mod: func(c *Config) {
			c.Security = Security{"Basic256Sha256", "SignAndEncrypt"}
			c.Mode = ModePoll
			c.Deadband = Deadband{"percent", 1}
			c.Limits.Profile = "siemens-s7-1200"
		}},
		{name: "bad endpoint", mod: func(c *Config) { c.Endpoint = "http://x" }, wantErr: "endpoint"},
		{name: "bad policy", mod: func(c *Config) { c.Security.Policy = "Basic512" }, wantErr: "security.policy"},
		{name: "bad mode", mod: func(c *Config) { c.Security.Mode = "Encrypt" }, wantErr: "security.mode"},
		{name: "none with encrypt", mod: func(c *Config) { c.Security = Security{"None", "SignAndEncrypt"} }, wantErr: "valid pair"},
		{name: "password alone", mod: func(c *Config) { c.Auth.Password = "x" }, wantErr: "password without username"},
		{name: "cert without key", mod: func(c *Config) { c.Auth.Certificate = "c.pem" }, wantErr: "go together"},
		{name: "bad acquisition mode", mod: func(c *Config) { c.Mode = "stream" }, wantErr: "mode"},
		{name: "bad deadband", mod: func(c *Config) { c.Deadband.Type = "relative" }, wantErr: "deadband.type"},
		{name: "bad profile", mod: func(c *Config) { c.Limits.Profile = "s5" }, wantErr: "limits.profile"},
		{name: "no nodes", mod: func(c *Config) { c.Nodes = nil }, wantErr: "nodes"},
		{name: "empty node id", mod: func(c *Config) { c.Nodes[0].ID = "" }, wantErr: "nodes[0].id"},
		{name: "every problem at once", mod: func(c *Config) { c.Name = ""; c.StateDir = "" }, wantErr: "name is empty\nstate_dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good()
			tt.mod(&cfg)
			src, err := NewSource(cfg, zerolog.Nop())
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if st := src.Status(); st.State != StateStopped || st.Name != cfg.Name {
					t.Fatalf("status of a new source: %+v", st)
				}
				if src.cfg.PublishingInterval != DefaultPublishingInterval && cfg.PublishingInterval == 0 {
					t.Fatal("defaults not applied")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}
