package sink

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/edgetag/edgetag/internal/natstest"
)

// mqttReceived is one message an MQTT client received.
type mqttReceived struct {
	topic   string
	payload string
}

// mqttSubscribe connects an MQTT client (paho, MQTT 3.1.1) to addr as
// user (none when empty), subscribes to filter and returns what arrives.
func mqttSubscribe(t *testing.T, addr, user, password, filter string) (<-chan mqttReceived, error) {
	t.Helper()
	got := make(chan mqttReceived, 100)
	o := mqtt.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(fmt.Sprintf("edgetag-test-%d", time.Now().UnixNano())).
		SetConnectTimeout(10 * time.Second).SetAutoReconnect(false).SetCleanSession(true)
	if user != "" {
		o.SetUsername(user).SetPassword(password)
	}
	c := mqtt.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(15*time.Second) || tok.Error() != nil {
		return nil, fmt.Errorf("mqtt connect %s: %v", addr, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	tok := c.Subscribe(filter, 0, func(_ mqtt.Client, m mqtt.Message) {
		select {
		case got <- mqttReceived{m.Topic(), string(m.Payload())}:
		default:
		}
	})
	if !tok.WaitTimeout(15*time.Second) || tok.Error() != nil {
		return nil, fmt.Errorf("mqtt subscribe %s: %v", filter, tok.Error())
	}
	// A refused filter (permissions) is a SUBACK code of 0x80, not an error.
	if code := tok.(*mqtt.SubscribeToken).Result()[filter]; code >= 0x80 {
		return nil, fmt.Errorf("mqtt subscribe %s: refused (SUBACK 0x%x)", filter, code)
	}
	return got, nil
}

// publishUntilMQTT publishes testMessage until got delivers one, and
// returns it.
func publishUntilMQTT(t *testing.T, s *Sink, got <-chan mqttReceived) mqttReceived {
	t.Helper()
	var r mqttReceived
	natstest.WaitFor(t, 20*time.Second, func() error {
		if err := s.Publish(context.Background(), testMessage(7)); err != nil {
			return err
		}
		select {
		case r = <-got:
			return nil
		case <-time.After(100 * time.Millisecond):
			return fmt.Errorf("nothing on MQTT yet")
		}
	})
	return r
}

// TestMQTTClientsSeeTheNamespace subscribes a real MQTT client to
// umh/v1/# on the embedded server's MQTT listener, with JetStream on, and
// receives what the sink publishes on umh.v1.…: the subject's dots are
// the topic's slashes, the payload is unchanged.
func TestMQTTClientsSeeTheNamespace(t *testing.T) {
	t.Parallel()
	c := embeddedConfig(t, true)
	addr := fmt.Sprintf("127.0.0.1:%d", natstest.FreePort(t))
	c.Embedded.MQTT.Listen = addr
	s := startSink(t, c)
	got, err := mqttSubscribe(t, addr, "", "", "umh/v1/#")
	if err != nil {
		t.Fatal(err)
	}
	r := publishUntilMQTT(t, s, got)
	want := testMessage(7)
	if r.topic != "umh/v1/acme/berlin/assembly/line4/_historian/Line1/Temp" || r.payload != string(want.Payload) {
		t.Fatalf("received topic %q payload %q; want the subject %s as a topic and payload %s", r.topic, r.payload, want.Subject, want.Payload)
	}
}

// TestMQTTClientsSignInAsUsers gives the embedded server a user: an MQTT
// client with its password receives the namespace, one without or with a
// wrong password is refused.
func TestMQTTClientsSignInAsUsers(t *testing.T) {
	t.Parallel()
	c := embeddedConfig(t, true)
	addr := fmt.Sprintf("127.0.0.1:%d", natstest.FreePort(t))
	c.Embedded.MQTT.Listen = addr
	c.Embedded.Users = []User{{Name: "historian", Password: "historian-pw", Role: RoleConsumer}}
	s := startSink(t, c)
	if _, err := mqttSubscribe(t, addr, "", "", "umh/v1/#"); err == nil {
		t.Fatal("an MQTT client without credentials was let in")
	}
	if _, err := mqttSubscribe(t, addr, "historian", "wrong", "umh/v1/#"); err == nil {
		t.Fatal("an MQTT client with a wrong password was let in")
	}
	got, err := mqttSubscribe(t, addr, "historian", "historian-pw", "umh/v1/#")
	if err != nil {
		t.Fatal(err)
	}
	if r := publishUntilMQTT(t, s, got); r.topic != "umh/v1/acme/berlin/assembly/line4/_historian/Line1/Temp" {
		t.Fatalf("received topic %q", r.topic)
	}
}

// TestMQTTListenInUseFailsTheStart names the MQTT port in use.
func TestMQTTListenInUseFailsTheStart(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	c := embeddedConfig(t, true)
	c.Embedded.MQTT.Listen = srv.Addr().String()
	s, err := New(c, zerologNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "mqtt listen") {
		t.Fatalf("start with the MQTT port in use: %v", err)
	}
}
