package opcua

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/gopcua/opcua/ua"
)

// A subscription the server keeps can still stop delivering: gopcua
// v0.9.1's publish loop (Client.monitorSubscriptions) sends no Publish
// request while it is paused, and only Subscribe or gopcua's own
// reconnection (off here: a new session makes a new client) resume it. It
// pauses when a Publish is answered with BadNoSubscription, which its
// connection monitor ignores, so the client stays Connected (a server
// answers the Publish requests it holds with it when a session's
// subscriptions go away); and it can pause for good at its start: NewClient
// queues a pause, Subscribe queues a resume once the server created the
// subscription, and a loop that first looks at its channels with both
// queued lets select pick either, so the resume may be taken first
// (ignored, "not paused") and the pause after it. The server keeps the
// subscription (a probe with SetPublishingMode answers Good, and on some
// servers resets its lifetime), gopcua surfaces no keep-alives, and the
// subscription is just silent, indistinguishable from one whose values do
// not change.
//
// The witness tells them apart: each subscription remembers one of its
// monitored items without a deadband filter, with the value it last
// delivered (or none yet). When a probe finds a silent subscription Good,
// the witness's value is read from the server; a value or status other than
// the one delivered (any value, when none was delivered) is a change the
// subscription owes a notification for. If no notification arrives within
// confirmWait (enough for the item's sampling and a publishing cycle), the
// next probe ends the session: a new session has a new client and a
// publish loop that runs.

// witness is the monitored item a subscription is checked by.
type witness struct {
	// handle is the item's client handle; -1 for none yet.
	handle int
	// delivered is set once a value of the item was delivered; dv is the
	// last one (its Value and Status are compared).
	delivered bool
	dv        *ua.DataValue
}

// noWitness is a subscription's witness before it has an item.
var noWitness = witness{handle: -1}

// filtered reports whether item h is monitored with a deadband filter (a
// change within it is not notified, so the item cannot witness).
func (ss *session) filtered(h int) bool {
	cfg := &ss.src.cfg
	it := &ss.items[h]
	return it.numeric && !it.noFilter && ss.limits.Deadband && cfg.Deadband.Type != "none"
}

// chooseWitness makes item h, just created on s, its witness if s has none.
func (s *subscription) chooseWitness(ss *session, h int) {
	if s.witness.handle < 0 && !ss.filtered(h) {
		s.witness = witness{handle: h}
	}
}

// confirmWait is how long a suspect subscription may stay silent before
// the next probe ends the session: a change read on the server is
// notified within a sampling interval and a publishing interval; twice
// that, and never less than the first-data wait. A subscription that has
// not delivered yet gets its whole silence window: a server busy creating
// many monitored items may take long to send their first values, and
// ending its session would only make it start over.
func (ss *session) confirmWait(s *subscription) time.Duration {
	interval := s.sub.RevisedPublishingInterval
	if interval <= 0 {
		interval = ss.src.cfg.PublishingInterval
	}
	sampling := max(millis(ss.revisedSampling.max), ss.src.cfg.SamplingInterval)
	wait := max(s.firstData, 2*(sampling+interval))
	if !s.delivered {
		wait = max(wait, s.silence)
	}
	return wait
}

// checkStalled handles the silent subscriptions a probe found Good: one
// already suspect (no notification since the server showed a change) ends
// the session; for the others, the witnesses' values are read, and a
// subscription whose witness changed on the server becomes suspect.
func (ss *session) checkStalled(ctx context.Context, silent []*subscription) error {
	for _, s := range silent {
		if s.suspect {
			return deadError(fmt.Sprintf("subscription %d: no notification for %s although the server changed monitored item %s (publish loop stalled)",
				s.sub.SubscriptionID, elapsed(s.lastData), ss.items[s.witness.handle].node.ID), nil)
		}
	}
	var check []*subscription
	var nodes []*ua.ReadValueID
	for _, s := range silent {
		if s.witness.handle < 0 {
			continue
		}
		check = append(check, s)
		nodes = append(nodes, &ua.ReadValueID{NodeID: ss.nodeID(s.witness.handle), AttributeID: ua.AttributeIDValue})
	}
	if len(nodes) == 0 {
		return nil
	}
	rctx, cancel := ss.requestCtx(ctx)
	defer cancel()
	res, err := ss.c.Read(rctx, &ua.ReadRequest{NodesToRead: nodes, TimestampsToReturn: ua.TimestampsToReturnNeither})
	if err != nil || len(res.Results) != len(nodes) {
		// The heartbeat judges the connection; the next probe checks again.
		ss.log.Debug().Err(err).Msg("reading the witnesses of silent subscriptions failed")
		return nil
	}
	for i, s := range check {
		if owed(s.witness, res.Results[i]) {
			s.suspect = true
			ss.log.Debug().Uint32("subscription", s.sub.SubscriptionID).Str("node", ss.items[s.witness.handle].node.ID).
				Msg("silent subscription owes a change of its witness item; probing again")
		}
	}
	return nil
}

// owed reports whether the server's value read of w's item is a change the
// subscription should have notified: a value or status other than the one
// delivered, or any usable value when none was delivered.
func owed(w witness, read *ua.DataValue) bool {
	if read == nil || itemFailure(read.Status) {
		return false
	}
	if !w.delivered {
		return true
	}
	if read.Status != w.dv.Status {
		return true
	}
	return !sameValue(read.Value, w.dv.Value)
}

// sameValue compares two variants by their encoding: NaN equals NaN, arrays
// compare by content and DateTimes at their encoded resolution (100 ns), so
// a value written and read back compares equal when the server kept it.
func sameValue(a, b *ua.Variant) bool {
	if a == nil || b == nil {
		return a == b
	}
	ea, erra := a.Encode()
	eb, errb := b.Encode()
	return erra == nil && errb == nil && bytes.Equal(ea, eb)
}
