package sink

import (
	"github.com/nats-io/nats.go"
)

// natsVersion is the nats.go release whose (*Conn).publish linkedPublish
// was checked against. choosePublish compares it with nats.Version when the
// binary runs, and TestRawPublishNatsVersion with go.mod, so that an upgrade
// re-checks the signature instead of calling the private function with the
// wrong arguments.
const natsVersion = "v1.55.0"

// publishFunc publishes data on subj with the reply subject reply ("" for
// none) and hdr, an encoded NATS header block (see appendHeaders) or nil. It
// returns the errors (*nats.Conn).PublishMsg returns.
type publishFunc func(nc *nats.Conn, subj, reply string, hdr, data []byte) error

// choosePublish returns how the sink publishes with the nats.go release
// version (nats.Version): nats.go's own publish path, which takes the
// encoded headers as they are, when the build has it and version is the
// checked one (linked true); else publishMsg.
func choosePublish(version string) (publish publishFunc, linked bool) {
	if linkedPublish != nil && "v"+version == natsVersion {
		return linkedPublish, true
	}
	return publishMsg, false
}

// publishMsg publishes through nats.go's exported PublishMsg: it decodes hdr
// into a nats.Header, which PublishMsg encodes again, so subscribers get the
// same headers as from linkedPublish, for about twice the CPU with many
// headers.
func publishMsg(nc *nats.Conn, subj, reply string, hdr, data []byte) error {
	m := &nats.Msg{Subject: subj, Reply: reply, Data: data}
	if hdr != nil {
		h, err := nats.DecodeHeadersMsg(hdr)
		if err != nil {
			return err
		}
		m.Header = h
	}
	return nc.PublishMsg(m)
}

// logPublishPath tells, once at start, which publish path the sink uses,
// and warns when the build has the fast one but nats.go is not the release
// it was checked against.
func (s *Sink) logPublishPath() {
	switch {
	case s.linked:
		s.log.Debug().Str("nats_go", nats.Version).Msg("publishing with pre-encoded headers")
	case linkedPublish != nil:
		s.log.Warn().Str("nats_go", nats.Version).Str("checked", natsVersion).
			Msg("nats.go is not the release the fast publish path was checked against; publishing with PublishMsg, which costs more CPU per header")
	default:
		s.log.Info().Str("nats_go", nats.Version).Msg("built without the fast publish path (edgetag_nolinkname); publishing with PublishMsg")
	}
}
