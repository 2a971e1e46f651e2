package siteconfig

import (
	"fmt"
	"strings"

	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/sink"
)

// Warning is a setting that is valid but weakens the gateway's security
// or is almost certainly a mistake: Path is its key path in the site file,
// Msg says what it exposes or does.
type Warning struct {
	Path string
	Msg  string
}

// String renders "path: msg".
func (w Warning) String() string { return w.Path + ": " + w.Msg }

// Warnings returns the valid but insecure or mistaken settings of cfg:
// `edgetag check` prints them and `edgetag run` logs them at start, so
// both say the same.
func (cfg *Config) Warnings() []Warning {
	var out []Warning
	add := func(path, format string, args ...any) {
		out = append(out, Warning{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	if l := cfg.HTTPListen; l != "" && !sink.IsLoopback(l) {
		if !cfg.HTTPTLS.Enabled() {
			add("http.allow_insecure_listen", "%s serves /metrics and /readyz over plain HTTP to other machines", l)
		}
		if cfg.HTTPPprof {
			add("http.pprof", "/debug/pprof on %s lets anyone who reaches it profile and trace the process", l)
		}
	}
	for i, s := range cfg.Sources {
		if s.Trust.AcceptAny {
			add(fmt.Sprintf("sources[%d].trust.accept_any", i),
				"source %s accepts any server certificate: the OPC UA connection can be intercepted", s.Name)
		}
	}
	for i, c := range cfg.Engine.Conditions {
		if engine.AssignmentInIf(c.If.Code) {
			add(fmt.Sprintf("tag_processor.conditions[%d].if", i),
				"assigns with = instead of comparing with ===: it matches every message and overwrites the key")
		}
	}
	n := cfg.NATS
	if n.URL != "" {
		return out
	}
	e := n.Embedded
	hasPassword := false
	for i, u := range e.Users {
		if u.Password == "" {
			continue
		}
		hasPassword = true
		if !strings.HasPrefix(u.Password, "$2") {
			add(fmt.Sprintf("nats.embedded.users[%d].password", i),
				"user %s has a plain-text password; store a bcrypt hash instead (nats server passwd, or htpasswd -nbB)", u.Name)
		}
	}
	if m := e.MQTT.Listen; m != "" && !sink.IsLoopback(m) {
		switch {
		case len(e.Users) == 0:
			add("nats.embedded.allow_insecure_listen",
				"the MQTT listener on %s admits any MQTT client from other machines without authentication: it may read and publish every topic", m)
		case hasPassword:
			add("nats.embedded.mqtt.listen", "MQTT passwords cross the network in clear text to %s (the MQTT listener has no TLS)", m)
		}
	}
	if sink.IsLoopback(e.Listen) {
		return out
	}
	if !e.Secured() {
		add("nats.embedded.allow_insecure_listen",
			"the embedded NATS server on %s admits any client from other machines without authentication: it may read, publish and delete the stream", e.Listen)
	}
	if hasPassword && !e.TLS.Enabled() {
		add("nats.embedded.tls", "passwords cross the network in clear text to %s; set tls (cert and key), or use nkey users", e.Listen)
	}
	return out
}
