package siteconfig

import "github.com/edgetag/edgetag/sink"

// mqtt converts and checks nats.embedded.mqtt against the rest of the
// converted nats block sc: the listener applies to the embedded server
// only, needs JetStream (nats-server keeps MQTT sessions there) and obeys
// the listen policy, where only users sign MQTT clients in (a TLS client
// CA of the NATS port does not apply to MQTT).
func (c *converter) mqtt(m *mqttFile, sc sink.Config) sink.MQTT {
	out := sink.MQTT{Listen: *m.Listen}
	const p = "nats.embedded.mqtt.listen"
	if out.Listen == "" || sc.URL != "" || !c.listen(p, out.Listen, true) {
		return out
	}
	if !sc.JetStream.Enabled {
		c.errorf(p, "the MQTT listener needs nats.jetstream.enabled: true (nats-server keeps MQTT sessions in JetStream)")
	}
	e := sc.Embedded
	if err := sink.CheckListen(out.Listen, sink.MQTTExposed, sink.MQTTRemedy, len(e.Users) > 0, e.AllowInsecureListen); err != nil {
		c.errorf(p, "%v", err)
	}
	return out
}
