package sink

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
)

// MQTT is the embedded server's MQTT listener: MQTT 3.1.1 clients connect
// to the same server the agent publishes to and see the Unified Namespace
// as topics. nats-server maps a subject to a topic by turning each '.'
// into '/', so umh.v1.acme.berlin._historian.temp is the topic
// umh/v1/acme/berlin/_historian/temp and an MQTT subscription to
// umh/v1/# receives every message of umh.v1.>. The payload is the
// message's payload; NATS headers have no MQTT 3.1.1 counterpart and are
// not delivered. MQTT clients sign in as the embedded server's users
// (user name and password; NKey users cannot sign in over MQTT) with the
// same permissions; without users they connect without credentials, as
// NATS clients do. nats-server keeps MQTT sessions in JetStream, so the
// listener needs nats.jetstream.enabled.
type MQTT struct {
	// Listen is host:port of the MQTT listener ("" = none).
	Listen string
}

// Exposure and remedy of an MQTT listener without authentication, for
// CheckListen.
const (
	MQTTExposed = "any MQTT client there may read and publish every topic"
	MQTTRemedy  = "configure users with passwords in nats.embedded.users"
)

// applyMQTT adds the MQTT listener of c to o, when one is configured.
func applyMQTT(o *server.Options, c Config) error {
	m := c.Embedded.MQTT
	if m.Listen == "" {
		return nil
	}
	host, port, err := splitListen(m.Listen)
	if err != nil {
		return fmt.Errorf("embedded mqtt listen: %w", err)
	}
	o.MQTT.Host, o.MQTT.Port = host, port
	// The MQTT sessions live in this server's JetStream, in its domain.
	o.MQTT.JsDomain = c.Embedded.Domain
	return nil
}

// mqttWildcardParents returns, for each subject filter ending in ".>",
// the subject before it ("umh.v1" for "umh.v1.>"). An MQTT filter
// umh/v1/# also matches the topic umh/v1 itself, so nats-server subscribes
// to both umh.v1.> and umh.v1, and refuses the whole filter when a user
// may subscribe to the first only.
func mqttWildcardParents(filters []string) []string {
	var out []string
	for _, f := range filters {
		if p, ok := strings.CutSuffix(f, ".>"); ok && p != "" {
			out = append(out, p)
		}
	}
	return out
}

// checkFree fails when the TCP address host:port cannot be listened on
// now. nats-server reports a failed listen only in its log, so the agent
// checks first and fails its start with a clear error. Port -1 (random)
// is not checked.
func checkFree(what, host string, port int) error {
	if port == -1 {
		return nil
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("embedded nats-server: %s listen: %w", what, err)
	}
	if err := l.Close(); err != nil {
		return fmt.Errorf("embedded nats-server: %s listen: %w", what, err)
	}
	return nil
}
