package siteconfig

import (
	"strings"
	"testing"
)

func TestMQTTListenerRules(t *testing.T) {
	t.Parallel()
	const base = `site: mqtt
simulator: {listen: "127.0.0.1:4840"}
sources: [{name: sim, endpoint: "opc.tcp://127.0.0.1:4840", nodes: [{id: "i=85"}]}]
tag_processor:
  defaults: |
    msg.meta.location_path = "a"; msg.meta.data_contract = "_raw"; msg.meta.tag_name = "t"; return msg;
`
	tests := []struct {
		name    string
		nats    string
		wantErr string // "" = valid
	}{
		{"off by default", "", ""},
		{"loopback", "nats:\n  embedded:\n    mqtt: {listen: \"127.0.0.1:1883\"}\n", ""},
		{"needs jetstream", "nats:\n  jetstream: {enabled: false}\n  embedded:\n    mqtt: {listen: \"127.0.0.1:1883\"}\n",
			"nats.embedded.mqtt.listen: the MQTT listener needs nats.jetstream.enabled: true"},
		{"every interface without users", "nats:\n  embedded:\n    mqtt: {listen: \":1883\"}\n",
			"nats.embedded.mqtt.listen: \":1883\" is reachable from other machines, and any MQTT client there may read and publish every topic"},
		{"every interface with users", "nats:\n  embedded:\n    listen: 127.0.0.1:4222\n    users: [{user: h, password: pw}]\n    mqtt: {listen: \":1883\"}\n", ""},
		{"bad port", "nats:\n  embedded:\n    mqtt: {listen: \"127.0.0.1:x\"}\n", "nats.embedded.mqtt.listen"},
		{"with an external server", "nats:\n  url: nats://hub:4222\n  embedded:\n    mqtt: {listen: \"127.0.0.1:1883\"}\n", "nats.embedded: applies only to the embedded server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Parse([]byte(base+tt.nats), "mqtt.yaml", noEnv)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			case tt.wantErr != "" && strings.Count(err.Error(), "\n") > 0:
				t.Fatalf("one mistake, more than one error line:\n%v", err)
			case err == nil && strings.Contains(tt.nats, "mqtt:") && cfg.NATS.Embedded.MQTT.Listen == "":
				t.Fatal("the listener is lost")
			}
		})
	}
}

// TestMQTTListenerWarnings checks that check and run warn about an MQTT
// listener reachable from other machines.
func TestMQTTListenerWarnings(t *testing.T) {
	t.Parallel()
	const site = `site: mqtt
simulator: {listen: "127.0.0.1:4840"}
sources: [{name: sim, endpoint: "opc.tcp://127.0.0.1:4840", nodes: [{id: "i=85"}]}]
tag_processor:
  defaults: |
    msg.meta.location_path = "a"; msg.meta.data_contract = "_raw"; msg.meta.tag_name = "t"; return msg;
nats:
  embedded:
`
	tests := []struct {
		name, embedded, want string
	}{
		{"loopback", "    mqtt: {listen: 127.0.0.1:1883}\n", ""},
		{"open", "    allow_insecure_listen: true\n    mqtt: {listen: \":1883\"}\n", "nats.embedded.allow_insecure_listen: the MQTT listener on :1883 admits any MQTT client"},
		{"passwords", "    users: [{user: h, password: \"$2a$11$abcdefghijklmnopqrstuu\"}]\n    mqtt: {listen: \":1883\"}\n", "nats.embedded.mqtt.listen: MQTT passwords cross the network in clear text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Parse([]byte(site+tt.embedded), "mqtt.yaml", noEnv)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range cfg.Warnings() {
				if strings.Contains(w.String(), "MQTT") {
					got = append(got, w.String())
				}
			}
			if tt.want == "" && len(got) > 0 || tt.want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], tt.want)) {
				t.Fatalf("MQTT warnings %q, want %q", got, tt.want)
			}
		})
	}
}
