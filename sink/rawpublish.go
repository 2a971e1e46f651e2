package sink

import (
	_ "unsafe" // for go:linkname

	"github.com/nats-io/nats.go"
)

// natsVersion is the nats.go release whose (*Conn).publish publishRaw was
// checked against. TestRawPublishNatsVersion fails when go.mod names another
// one, so that an upgrade re-checks the signature before it builds a binary
// that would call the function with the wrong arguments.
const natsVersion = "v1.55.0"

// publishRaw is nats.go's own publish path, (*nats.Conn).publish, which every
// exported publish method ends in: it validates the subject (and the reply
// when validateReply), checks the connection's state, the reconnect buffer
// and the server's maximum payload, and appends HPUB (or PUB when hdr is nil)
// with hdr and data copied into the connection's buffer, returning the same
// errors PublishMsg does. hdr is a complete NATS header block
// ("NATS/1.0\r\n" ... "\r\n").
//
// PublishMsg takes headers only as a nats.Header map, which it walks twice
// and encodes anew for every message: with every meta key as a header that
// was nearly a third of the agent's CPU. The sink encodes each message's
// headers itself, straight from the engine's header blocks into a reused
// buffer (appendHeaders), producing the bytes PublishMsg would, and
// hands them here. nats.go exports no method that takes encoded headers.
//
//go:linkname publishRaw github.com/nats-io/nats%2ego.(*Conn).publish
func publishRaw(nc *nats.Conn, subj, reply string, validateReply bool, hdr, data []byte) error
