package opcua

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"
	"github.com/rs/zerolog"
)

// eventHandleBase is the client handle of the first events entry; data
// items use their index, far below it, so one notification channel serves
// both.
const eventHandleBase uint32 = 1 << 31

// minEventQueue is the least queue size of an event monitored item: events
// come in bursts (a ConditionRefresh re-sends every active alarm at once),
// and a data item's small queue would make the server drop some.
const minEventQueue = 1000

// eventState is a session's events: their subscription, which entries are
// monitored, and whether a ConditionRefresh is being delivered.
type eventState struct {
	sub *subscription
	// monitored marks the entries whose monitored item exists.
	monitored []bool
	// refreshing is set, per entry (each monitored item gets its own
	// brackets), between a RefreshStartEvent and its RefreshEndEvent: the
	// events between are re-sent conditions.
	refreshing []bool
}

// subscribeEvents creates the session's event subscription with a monitored
// item per events entry, then asks for a ConditionRefresh so that the
// conditions active now (and unacknowledged) are sent again, marked as
// refresh. An entry the server refuses is logged and retried with the
// failed items; only a failed request ends the session.
func (ss *session) subscribeEvents(ctx context.Context) error {
	if len(ss.src.events) == 0 {
		return nil
	}
	s, err := ss.newSubscription(ctx)
	if err != nil {
		return fmt.Errorf("events: %w", err)
	}
	s.max = 0 // data items go to subscriptions of their own
	ss.events = eventState{sub: s, monitored: make([]bool, len(ss.src.events)), refreshing: make([]bool, len(ss.src.events))}
	return ss.monitorEvents(ctx)
}

// monitorEvents creates the monitored items of the entries not monitored
// yet and, when it created any, asks for a ConditionRefresh (the entries
// monitored before see their conditions again too, marked refresh).
func (ss *session) monitorEvents(ctx context.Context) error {
	added, err := ss.createEventItems(ctx)
	if err != nil || added == 0 {
		return err
	}
	return ss.conditionRefresh(ctx)
}

// createEventItems creates the monitored items of the entries not
// monitored yet and returns how many it created.
func (ss *session) createEventItems(ctx context.Context) (int, error) {
	var entries []int
	var reqs []*ua.MonitoredItemCreateRequest
	for e := range ss.src.events {
		if ss.events.monitored[e] {
			continue
		}
		req, err := ss.eventItemRequest(e)
		if err != nil {
			ss.eventFailure(e, err.Error()).Err(err).Msg("events entry not monitored; retried with the failed items")
			continue
		}
		entries = append(entries, e)
		reqs = append(reqs, req)
	}
	entries, reqs, err := ss.notifiersOnly(ctx, entries, reqs)
	if err != nil || len(reqs) == 0 {
		return 0, err
	}
	subID := ss.events.sub.sub.SubscriptionID
	res, err := ss.createItems(ctx, subID, reqs)
	if err != nil {
		return 0, fmt.Errorf("subscription %d: create event monitored items: %w", subID, err)
	}
	if len(res.Results) != len(reqs) {
		return 0, fmt.Errorf("subscription %d: create event monitored items: %d results for %d items", subID, len(res.Results), len(reqs))
	}
	added := 0
	for i, r := range res.Results {
		e := entries[i]
		en := &ss.src.events[e]
		if isBad(r.StatusCode) {
			ss.eventFailure(e, statusName(r.StatusCode)).Str("status", statusName(r.StatusCode)).
				Msg("events entry refused by the server; retried with the failed items")
			continue
		}
		ss.events.monitored[e] = true
		ss.src.eventWarned[e] = ""
		ss.events.sub.items++
		added++
		if flagged := flaggedFields(en, r.FilterResult); len(flagged) > 0 {
			ss.log.Info().Int("entry", e).Strs("fields", flagged).
				Msg("the server flagged event fields it does not find on BaseEventType; events that have them still carry them")
		}
		ss.log.Info().Int("entry", e).Str("notifier", en.cfg.Notifier).Str("name", en.name).Msg("events subscribed")
	}
	ss.events.sub.lastData = time.Now()
	return added, nil
}

// flaggedFields returns the fields of en whose select clause the server's
// filter result flags, as Name=Status. A server checks the select clauses
// against BaseEventType and may flag fields of subtypes (a condition's)
// that its events do have: noted, not an error; a field an event lacks is
// left out of its payload.
func flaggedFields(en *eventEntry, res *ua.ExtensionObject) []string {
	if res == nil {
		return nil
	}
	fr, ok := res.Value.(*ua.EventFilterResult)
	if !ok || fr == nil {
		return nil
	}
	var flagged []string
	for j, st := range fr.SelectClauseResults {
		if isBad(st) && j < len(en.fields) {
			flagged = append(flagged, en.fields[j].name+"="+statusName(st))
		}
	}
	return flagged
}

// notifiersOnly keeps the entries whose notifier reports events: a server
// accepts a monitored item on the EventNotifier attribute of any object
// (gopcua's own sends it as a data change), but only an object whose
// EventNotifier has SubscribeToEvents set ever delivers an event. The
// others are logged and left failed, so the source shows degraded instead
// of waiting for events that never come. A failed read (not its
// results) ends the session.
func (ss *session) notifiersOnly(ctx context.Context, entries []int, reqs []*ua.MonitoredItemCreateRequest) ([]int, []*ua.MonitoredItemCreateRequest, error) {
	if len(reqs) == 0 {
		return entries, reqs, nil
	}
	nodes := make([]*ua.ReadValueID, len(reqs))
	for i, r := range reqs {
		nodes[i] = &ua.ReadValueID{NodeID: r.ItemToMonitor.NodeID, AttributeID: ua.AttributeIDEventNotifier}
	}
	rctx, cancel := ss.requestCtx(ctx)
	res, err := ss.c.Read(rctx, &ua.ReadRequest{NodesToRead: nodes, TimestampsToReturn: ua.TimestampsToReturnNeither})
	cancel()
	if err != nil {
		return nil, nil, fmt.Errorf("read the EventNotifier of %d notifiers: %w", len(nodes), err)
	}
	if len(res.Results) != len(nodes) {
		return nil, nil, fmt.Errorf("read the EventNotifier of %d notifiers: %d results", len(nodes), len(res.Results))
	}
	keptE, keptR := entries[:0], reqs[:0]
	for i, dv := range res.Results {
		e := entries[i]
		switch {
		case dv == nil || isBad(dv.Status):
			st := ua.StatusBadNoData
			if dv != nil {
				st = dv.Status
			}
			ss.eventFailure(e, statusName(st)).Str("status", statusName(st)).
				Msg("events entry: the notifier's EventNotifier cannot be read (no such object?); retried with the failed items")
		case !subscribesToEvents(dv.Value):
			ss.eventFailure(e, "no SubscribeToEvents").
				Msg("events entry: the notifier does not report events (its EventNotifier lacks SubscribeToEvents); retried with the failed items")
		default:
			keptE, keptR = append(keptE, e), append(keptR, reqs[i])
		}
	}
	return keptE, keptR, nil
}

// eventFailure returns the log event for events entry e failing for
// reason, with the entry and its notifier: an error the first time the
// entry fails for that reason, debug while it keeps failing the same way
// (it is retried every RetryFailedItems), like a failing browse root.
func (ss *session) eventFailure(e int, reason string) *zerolog.Event {
	warned := ss.src.eventWarned
	ev := ss.log.Debug()
	if warned[e] != reason {
		warned[e] = reason
		ev = ss.log.Error()
	}
	return ev.Int("entry", e).Str("notifier", ss.src.events[e].cfg.Notifier)
}

// subscribesToEvents reports whether an EventNotifier attribute value has
// the SubscribeToEvents bit.
func subscribesToEvents(v *ua.Variant) bool {
	if v == nil {
		return false
	}
	switch b := v.Value().(type) {
	case byte:
		return b&1 != 0
	case int16:
		return b&1 != 0
	}
	return false
}

// eventsFailed counts the entries not monitored in this session.
func (ss *session) eventsFailed() int {
	n := 0
	for _, m := range ss.events.monitored {
		if !m {
			n++
		}
	}
	return n
}

// eventItemRequest builds the monitored item of events entry e: the
// EventNotifier attribute of its notifier with its EventFilter.
func (ss *session) eventItemRequest(e int) (*ua.MonitoredItemCreateRequest, error) {
	en := &ss.src.events[e]
	notifier, err := ParseNodeID(en.cfg.Notifier, ss.namespaces)
	if err != nil {
		return nil, fmt.Errorf("notifier: %w", err)
	}
	filter, err := eventFilter(&en.cfg, en.fields, ss.namespaces)
	if err != nil {
		return nil, err
	}
	return &ua.MonitoredItemCreateRequest{
		ItemToMonitor: &ua.ReadValueID{
			NodeID:       notifier,
			AttributeID:  ua.AttributeIDEventNotifier,
			DataEncoding: &ua.QualifiedName{},
		},
		MonitoringMode: ua.MonitoringModeReporting,
		RequestedParameters: &ua.MonitoringParameters{
			ClientHandle:  eventHandleBase + uint32(e),
			Filter:        ua.NewExtensionObject(filter),
			QueueSize:     max(ss.src.cfg.QueueSize, minEventQueue),
			DiscardOldest: true,
		},
	}, nil
}

// conditionRefresh calls ConditionRefresh (Part 9) for the event
// subscription: the server re-sends every condition whose Retain is true,
// between a RefreshStartEvent and a RefreshEndEvent. A server without
// conditions may not implement it; that is logged, not an error.
//
// A server that answers the Call service with a fault (gopcua's own server
// does not implement it) leaves gopcua's client without its publish loop:
// that is learned, the session ends, and later sessions do not ask again.
func (ss *session) conditionRefresh(ctx context.Context) error {
	if ss.src.learned.NoConditionRefresh {
		return nil
	}
	rctx, cancel := ss.requestCtx(ctx)
	defer cancel()
	subID := ss.events.sub.sub.SubscriptionID
	res, err := ss.c.Call(rctx, &ua.CallMethodRequest{
		ObjectID:       ua.NewNumericNodeID(0, id.ConditionType),
		MethodID:       ua.NewNumericNodeID(0, id.ConditionType_ConditionRefresh),
		InputArguments: []*ua.Variant{ua.MustVariant(subID)},
	})
	if err != nil {
		if ss.lostErr() != nil || ctx.Err() != nil {
			return err
		}
		var fault ua.StatusCode
		if errors.As(err, &fault) && isBad(fault) {
			ss.src.learned.NoConditionRefresh = true
			ss.log.Warn().Err(err).Msg("condition refresh refused with a service fault, which stops gopcua's client: not asked again; reconnecting")
			return deadError("condition refresh", err)
		}
		ss.log.Warn().Err(err).Uint32("subscription", subID).Msg("condition refresh failed: active conditions are not re-sent")
		return nil
	}
	if isBad(res.StatusCode) {
		ss.log.Info().Str("status", statusName(res.StatusCode)).Uint32("subscription", subID).
			Msg("condition refresh refused by the server: active conditions are not re-sent")
		return nil
	}
	ss.log.Debug().Uint32("subscription", subID).Msg("condition refresh requested")
	return nil
}

// handleEvents emits the events of one notification, in order. Refresh
// brackets set and clear the refresh mark; events of an unknown client
// handle are counted and logged, never emitted under a wrong node.
func (ss *session) handleEvents(ctx context.Context, l *ua.EventNotificationList) error {
	now := time.Now()
	for i, ev := range l.Events {
		l.Events[i] = nil
		e := -1
		if ev != nil && ev.ClientHandle >= eventHandleBase {
			e = int(ev.ClientHandle - eventHandleBase)
		}
		if e < 0 || e >= len(ss.src.events) {
			ss.unknownHandles++
			if ss.unknownHandles&(ss.unknownHandles-1) == 0 {
				ss.log.Warn().Uint64("count", ss.unknownHandles).Msg("event with an unknown client handle dropped")
			}
			continue
		}
		smp, kind := ss.src.eventSample(e, ev, ss.events.refreshing[e], now)
		switch kind {
		case eventRefreshStart:
			ss.events.refreshing[e] = true
			ss.log.Debug().Msg("condition refresh started")
			continue
		case eventRefreshEnd:
			ss.events.refreshing[e] = false
			ss.log.Debug().Msg("condition refresh ended")
			continue
		}
		if err := ss.emitSample(ctx, smp); err != nil {
			return err
		}
		ss.src.status.events.Add(1)
	}
	return nil
}

// errEventsPoll is returned for events on a polling source.
var errEventsPoll = errors.New("events need mode subscribe: events are delivered by a subscription only")
