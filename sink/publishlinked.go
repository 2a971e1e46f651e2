//go:build !edgetag_nolinkname

package sink

import (
	_ "unsafe" // for go:linkname

	"github.com/nats-io/nats.go"
)

// linkedPublish is nats.go's own publish path (see publishRaw). The build
// tag edgetag_nolinkname leaves it out (publishunlinked.go), and choosePublish
// takes it only for the nats.go release it was checked against.
var linkedPublish publishFunc = func(nc *nats.Conn, subj, reply string, hdr, data []byte) error {
	return publishRaw(nc, subj, reply, false, hdr, data)
}

// publishRaw is nats.go's own publish path, (*nats.Conn).publish, which every
// exported publish method ends in: it validates the subject (and the reply
// when validateReply), checks the connection's state, the reconnect buffer
// and the server's maximum payload, and appends HPUB (or PUB when hdr is nil)
// with hdr and data copied into the connection's buffer, returning the same
// errors PublishMsg does. hdr is a complete NATS header block
// ("NATS/1.0\r\n" ... "\r\n").
//
// PublishMsg takes headers only as a nats.Header map, which it walks twice
// and encodes anew for every message. The sink encodes each message's
// headers itself, straight from the engine's header blocks into a reused
// buffer (appendHeaders), producing the bytes PublishMsg would, and hands
// them here. nats.go exports no method that takes encoded headers.
//
//go:linkname publishRaw github.com/nats-io/nats%2ego.(*Conn).publish
func publishRaw(nc *nats.Conn, subj, reply string, validateReply bool, hdr, data []byte) error
