package sink

import (
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/edgetag/edgetag/tag"
)

// outMsg is one outgoing message: the nats.Msg handed to the client and the
// backing arrays of its header map. outMsgs are pooled: once a message is
// encoded (core) or acked (JetStream) the client no longer refers to it.
//
// The engine emits the same header keys in the same order message after
// message, so a recycled outMsg whose previous keys match is refilled by
// overwriting its values in place: its header map already maps each key to
// its one-element slice of vals, and the map is not touched at all.
type outMsg struct {
	msg nats.Msg
	// keys and vals are the header keys and values of the last fill, in
	// order; msg.Header[keys[i]] is vals[i:i+1] (for a key given twice,
	// the later index).
	keys []string
	vals []string
}

var outMsgPool = sync.Pool{New: func() any { return new(outMsg) }}

// newOutMsg converts m into a pooled outMsg. With withID the Nats-Msg-Id
// header is set to MsgID(m) unless the message already carries one. The
// caller gives it back with put when the client is done with it.
func newOutMsg(m *tag.Message, withID bool) *outMsg {
	o := outMsgPool.Get().(*outMsg)
	o.fill(m, withID)
	return o
}

// fill sets o to m (see newOutMsg).
func (o *outMsg) fill(m *tag.Message, withID bool) {
	o.msg.Subject, o.msg.Reply, o.msg.Data = m.Subject, "", m.Payload
	n := m.NumHeaders() + 1 // room for the id
	if n == 1 && !withID {
		o.msg.Header = nil
		o.keys, o.vals = o.keys[:0], o.vals[:0]
		return
	}
	// same stays true while the keys match those of the last fill, whose
	// count old is; the arrays must not move, or the map would point at
	// the old ones.
	old := len(o.keys)
	same := o.msg.Header != nil
	if cap(o.keys) < n {
		o.keys, o.vals = make([]string, 0, n), make([]string, 0, n)
		same, old = false, 0
	}
	prev := o.keys[:old]
	keys, vals := o.keys[:0], o.vals[:0]
	add := func(k, v string) {
		i := len(keys)
		same = same && i < old && prev[i] == k
		keys, vals = append(keys, k), append(vals, v)
	}
	for i := range m.SharedHeaders.Len() {
		h := m.SharedHeaders.At(i)
		add(h.Key, h.Value)
		if h.Key == MsgIDHeader {
			withID = false
		}
	}
	for _, h := range m.Headers {
		add(h.Key, h.Value)
		if h.Key == MsgIDHeader {
			withID = false
		}
	}
	if withID {
		add(MsgIDHeader, MsgID(m))
	}
	o.keys, o.vals = keys, vals
	if same && len(keys) == old {
		return
	}
	hdr := o.msg.Header
	if hdr == nil {
		hdr = make(nats.Header, len(keys))
	} else {
		clear(hdr)
	}
	for i, k := range keys {
		hdr[k] = vals[i : i+1 : i+1]
	}
	o.msg.Header = hdr
}

// put gives o back to the pool. The caller must not use it afterwards, and
// the client must not refer to it any more.
func (o *outMsg) put() {
	o.reset()
	outMsgPool.Put(o)
}

// reset drops o's references to the message it held, keeping what a refill
// reuses.
func (o *outMsg) reset() {
	o.msg.Subject, o.msg.Reply, o.msg.Data = "", "", nil
	clear(o.vals) // let the values be collected; the keys are reused
}
