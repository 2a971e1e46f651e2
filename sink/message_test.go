package sink

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"

	"github.com/edgetag/edgetag/tag"
)

// TestOutMsgRefill fills one outMsg with a sequence of messages, as the pool
// does, and checks every fill against a fresh conversion: a refill with the
// same keys must not keep a stale value, and one with other keys must not
// keep a stale key.
func TestOutMsgRefill(t *testing.T) {
	// A block as the engine makes them: a constant, a node field and a
	// value of its own.
	layout := tag.NewHeaderLayout([]tag.HeaderSpec{
		{Key: "location_path", From: tag.FromLayout, Value: "a.b"},
		{Key: "tag_name", From: tag.FromName},
		{Key: "virtual_path", From: tag.FromBlock},
	})
	block := tag.NewHeaderBlock(layout, testNode, []string{"axis"})
	shared := &block
	msg := func(i int, change func(m *tag.Message)) *tag.Message {
		m := testMessage(i)
		m.SharedHeaders, m.Headers = shared, m.Headers[:3:3]
		if change != nil {
			change(m)
		}
		return m
	}
	steps := []struct {
		name   string
		m      *tag.Message
		withID bool
	}{
		{name: "first", m: msg(1, nil), withID: true},
		{name: "same keys, other values", m: msg(2, nil), withID: true},
		{name: "one key more", m: msg(3, func(m *tag.Message) {
			m.Headers = append(m.Headers, tag.Header{Key: "virtual_path", Value: "alarm"})
		}), withID: true},
		{name: "one key less", m: msg(4, nil), withID: true},
		{name: "same count, other key", m: msg(5, func(m *tag.Message) {
			m.Headers = []tag.Header{m.Headers[0], m.Headers[1], {Key: "other", Value: "x"}}
		}), withID: true},
		{name: "without id", m: msg(6, nil)},
		{name: "with id again", m: msg(7, nil), withID: true},
		{name: "engine's own id", m: msg(8, func(m *tag.Message) {
			m.Headers = append(m.Headers, tag.Header{Key: MsgIDHeader, Value: "engine-id"})
		}), withID: true},
		{name: "a key twice", m: msg(9, func(m *tag.Message) {
			m.Headers = append(m.Headers, tag.Header{Key: "tag_name", Value: "later"})
		}), withID: true},
		{name: "same key twice again", m: msg(10, func(m *tag.Message) {
			m.Headers = append(m.Headers, tag.Header{Key: "tag_name", Value: "later2"})
		}), withID: true},
		{name: "no headers", m: msg(11, func(m *tag.Message) { m.SharedHeaders, m.Headers = nil, nil })},
		{name: "headers after none", m: msg(12, nil), withID: true},
	}
	o := new(outMsg)
	for _, st := range steps {
		o.fill(st.m, st.withID)
		want := wantHeader(st.m, st.withID)
		if diff := cmp.Diff(want, o.msg.Header); diff != "" {
			t.Errorf("%s: header (-want +got):\n%s", st.name, diff)
		}
		if o.msg.Subject != st.m.Subject || string(o.msg.Data) != string(st.m.Payload) || o.msg.Reply != "" {
			t.Errorf("%s: msg = %q %q reply %q", st.name, o.msg.Subject, o.msg.Data, o.msg.Reply)
		}
		o.reset() // what put does, without handing o to the pool
	}
}

// wantHeader is the header a fresh conversion of m gives: every header, the
// later value for a repeated key, and the id unless m carries one.
func wantHeader(m *tag.Message, withID bool) nats.Header {
	var h nats.Header
	m.EachHeader(func(kv tag.Header) {
		if h == nil {
			h = nats.Header{}
		}
		h[kv.Key] = []string{kv.Value}
	})
	if _, ok := h[MsgIDHeader]; withID && !ok {
		if h == nil {
			h = nats.Header{}
		}
		h[MsgIDHeader] = []string{MsgID(m)}
	}
	return h
}

// BenchmarkOutMsg measures converting a message into its NATS form with a
// recycled outMsg (the steady state of the publish path).
func BenchmarkOutMsg(b *testing.B) {
	m := testMessage(1)
	b.ReportAllocs()
	for b.Loop() {
		newOutMsg(m, true).put()
	}
}

// BenchmarkOutMsgShared is BenchmarkOutMsg with the message's headers in a
// block as the engine makes them (node fields, constants, a value of its
// own), but the last two.
func BenchmarkOutMsgShared(b *testing.B) {
	m := testMessage(1)
	n := len(m.Headers) - 2
	specs := make([]tag.HeaderSpec, n)
	var own []string
	for i, h := range m.Headers[:n] {
		specs[i] = tag.HeaderSpec{Key: h.Key, From: tag.FromLayout, Value: h.Value}
		for _, f := range tag.NodeFields {
			if f.Field(testNode) == h.Value {
				specs[i] = tag.HeaderSpec{Key: h.Key, From: f}
				break
			}
		}
		if h.Key == "virtual_path" {
			specs[i] = tag.HeaderSpec{Key: h.Key, From: tag.FromBlock}
			own = append(own, h.Value)
		}
	}
	block := tag.NewHeaderBlock(tag.NewHeaderLayout(specs), testNode, own)
	if !block.Equal(m.Headers[:n]) {
		b.Fatal("block does not hold the headers")
	}
	m.SharedHeaders, m.Headers = &block, m.Headers[n:]
	b.ReportAllocs()
	for b.Loop() {
		newOutMsg(m, true).put()
	}
}
