package sink

import (
	"bytes"
	"errors"
	"net/textproto"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"

	"github.com/edgetag/edgetag/tag"
)

// TestOutMsgRefill fills one outMsg with a sequence of messages, as the pool
// does, and checks every fill against a fresh conversion: a refill must
// keep no stale key or value of an earlier, longer or shorter, header block.
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
		{name: "many headers", m: msg(13, func(m *tag.Message) {
			for i := range 100 {
				m.Headers = append(m.Headers, tag.Header{Key: "extra" + itoa(i), Value: itoa(i)})
			}
		}), withID: true},
	}
	o := new(outMsg)
	for _, st := range steps {
		if err := o.fill(st.m, st.withID); err != nil {
			t.Fatalf("%s: fill: %v", st.name, err)
		}
		want := wantHeader(st.m, st.withID)
		if diff := cmp.Diff(want, parseHeaderBlock(t, o.hdr)); diff != "" {
			t.Errorf("%s: header (-want +got):\n%s", st.name, diff)
		}
		if o.subject != st.m.Subject || string(o.data) != string(st.m.Payload) || o.reply != "" {
			t.Errorf("%s: msg = %q %q reply %q", st.name, o.subject, o.data, o.reply)
		}
		if id := want.Get(MsgIDHeader); o.msgID() != id {
			t.Errorf("%s: msgID() = %q, want %q", st.name, o.msgID(), id)
		}
		o.reset() // what put does, without handing o to the pool
	}
}

// TestHeaderBlockFormat checks the exact bytes of an encoded block: keys in
// the message's order, a repeated key once at its first place with its last
// value, values trimmed and with CR and LF made spaces, the id last.
func TestHeaderBlockFormat(t *testing.T) {
	m := &tag.Message{Subject: "a.b", Payload: []byte("1"), Headers: []tag.Header{
		{Key: "b", Value: "  x\r\ny\t"},
		{Key: "a", Value: "first"},
		{Key: "c", Value: ""},
		{Key: "a", Value: "last"},
	}}
	hdr, start, end, err := appendHeaders(nil, m, true, new(blockKeys))
	if err != nil {
		t.Fatal(err)
	}
	want := "NATS/1.0\r\nb: x  y\r\na: last\r\nc: \r\nNats-Msg-Id: " + MsgID(m) + "\r\n\r\n"
	if string(hdr) != want {
		t.Errorf("block = %q\nwant    %q", hdr, want)
	}
	if got := string(hdr[start:end]); got != MsgID(m) {
		t.Errorf("id span = %q, want %q", got, MsgID(m))
	}

	if hdr, _, _, err := appendHeaders(nil, &tag.Message{Subject: "a"}, false, new(blockKeys)); hdr != nil || err != nil {
		t.Errorf("no headers, no id: block %q, err %v; want nil, nil", hdr, err)
	}
	// A refused key fails the message, in its own headers or in a block,
	// however often the block's layout is seen.
	valid := new(blockKeys)
	for _, k := range []string{"", "a b", "a:b", "a/b", "ä", "a\r\nb"} {
		m := &tag.Message{Subject: "a", Headers: []tag.Header{{Key: k, Value: "v"}}}
		if _, _, _, err := appendHeaders(nil, m, false, valid); !errors.Is(err, nats.ErrBadHeaderMsg) || !strings.Contains(err.Error(), strconv.Quote(k)) {
			t.Errorf("key %q: err = %v, want %v naming the key", k, err, nats.ErrBadHeaderMsg)
		}
		layout := tag.NewHeaderLayout([]tag.HeaderSpec{{Key: "ok", From: tag.FromLayout}, {Key: k, From: tag.FromLayout}})
		block := tag.NewHeaderBlock(layout, testNode, nil)
		for range 2 {
			m := &tag.Message{Subject: "a", SharedHeaders: &block}
			if _, _, _, err := appendHeaders(nil, m, false, valid); !errors.Is(err, nats.ErrBadHeaderMsg) || !strings.Contains(err.Error(), strconv.Quote(k)) {
				t.Errorf("key %q in a block: err = %v, want %v naming the key", k, err, nats.ErrBadHeaderMsg)
			}
		}
	}
}

// TestHeaderValue compares appendHeaderValue with what nats.go writes for a
// value (trimmed, then CR and LF made spaces) on values with a line break
// or white space at every place, across the eight-byte words it scans.
func TestHeaderValue(t *testing.T) {
	want := strings.NewReplacer("\r", " ", "\n", " ")
	base := "abcdefghijklmnopqrstuvwx"
	for _, c := range []byte{'\r', '\n', ' ', '\t', 0x0b, 0x8d, 0x8a} {
		for i := range len(base) {
			for _, v := range []string{base[:i] + string(c) + base[i+1:], base[:i+1] + string(c), string(c) + base[:i]} {
				got := string(appendHeaderValue([]byte("k: "), v))
				if w := "k: " + want.Replace(textproto.TrimString(v)); got != w {
					t.Errorf("value %q: wrote %q, want %q", v, got, w)
				}
			}
		}
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

// parseHeaderBlock decodes an encoded header block strictly: the version
// line, "key: value" lines, the empty line; nil decodes to nil. A key given
// twice fails the test.
func parseHeaderBlock(t *testing.T, hdr []byte) nats.Header {
	t.Helper()
	if hdr == nil {
		return nil
	}
	rest, ok := bytes.CutPrefix(hdr, []byte(hdrLine))
	if !ok || !bytes.HasSuffix(rest, []byte("\r\n\r\n")) && string(rest) != "\r\n" {
		t.Fatalf("malformed block %q", hdr)
	}
	h := nats.Header{}
	for line := range strings.SplitSeq(strings.TrimSuffix(string(rest), "\r\n\r\n"), "\r\n") {
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("malformed line %q in %q", line, hdr)
		}
		if _, dup := h[k]; dup {
			t.Fatalf("key %q twice in %q", k, hdr)
		}
		h[k] = []string{v}
	}
	return h
}

// BenchmarkOutMsg measures converting a message into its NATS form with a
// recycled outMsg (the steady state of the publish path).
func BenchmarkOutMsg(b *testing.B) {
	m := testMessage(1)
	b.ReportAllocs()
	for b.Loop() {
		o, _ := newOutMsg(m, true)
		o.put()
	}
}

// BenchmarkOutMsgShared is BenchmarkOutMsg with the message's headers in a
// block as the engine makes them (node fields, constants, a value of its
// own), but the last two; with and without the de-duplication id.
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
	for _, withID := range []bool{false, true} {
		b.Run("id="+strconv.FormatBool(withID), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				o, _ := newOutMsg(m, withID)
				o.put()
			}
		})
	}
}
