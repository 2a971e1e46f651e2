package sink

import (
	"sync"

	"github.com/edgetag/edgetag/tag"
)

// outMsg is one outgoing message in the form handed to the client: subject,
// reply, payload and its encoded header block. outMsgs are pooled: once a
// message is encoded into the connection's buffer (core) or acked
// (JetStream) the client no longer refers to it, and a recycled outMsg
// reuses its header buffer.
type outMsg struct {
	subject string
	// reply is the reply subject of the current JetStream attempt; "" for
	// core NATS.
	reply string
	data  []byte
	// hdr is the encoded header block (see appendHeaders), nil for a
	// message without headers. It lives in buf.
	hdr []byte
	buf []byte
	// idStart and idEnd delimit the Nats-Msg-Id value in hdr.
	idStart, idEnd int
	// keys is the last header layout whose keys passed the check.
	keys blockKeys
}

var outMsgPool = sync.Pool{New: func() any { return new(outMsg) }}

// newOutMsg converts m into a pooled outMsg. With withID the Nats-Msg-Id
// header is set to MsgID(m) unless the message already carries one. The
// caller gives it back with put when the client is done with it. The error
// wraps nats.ErrBadHeaderMsg when a header key is one NATS refuses; the outMsg
// is then still valid (without headers) and must be put back as well.
func newOutMsg(m *tag.Message, withID bool) (*outMsg, error) {
	o := outMsgPool.Get().(*outMsg)
	return o, o.fill(m, withID)
}

// fill sets o to m (see newOutMsg).
func (o *outMsg) fill(m *tag.Message, withID bool) error {
	o.subject, o.reply, o.data = m.Subject, "", m.Payload
	hdr, start, end, err := appendHeaders(o.buf, m, withID, &o.keys)
	if cap(hdr) > cap(o.buf) {
		o.buf = hdr[:0]
	}
	o.hdr, o.idStart, o.idEnd = hdr, start, end
	return err
}

// msgID returns the message's Nats-Msg-Id, "" when it has none.
func (o *outMsg) msgID() string {
	return string(o.hdr[o.idStart:o.idEnd])
}

// put gives o back to the pool. The caller must not use it afterwards, and
// the client must not refer to it any more.
func (o *outMsg) put() {
	o.reset()
	outMsgPool.Put(o)
}

// reset drops o's references to the message it held, keeping the header
// buffer a refill reuses.
func (o *outMsg) reset() {
	o.subject, o.reply, o.data, o.hdr = "", "", nil, nil
	o.idStart, o.idEnd = 0, 0
}
