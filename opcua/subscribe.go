package opcua

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	gopcua "github.com/gopcua/opcua"
	"github.com/gopcua/opcua/ua"
)

// notifyQueue bounds the notifications gopcua may hand over before the
// loop takes them. A full queue blocks gopcua's publish loop (backpressure
// to the server's queues, which discard the oldest values per item). One
// notification may hold a value of every item of a subscription (10,000
// decoded values), and besides the queued ones the source holds the one
// being emitted and the one gopcua's blocked send carries. With none
// queued, that blocked send is the next notification, at hand whenever the
// loop finishes one; taking it lets gopcua fetch the one after (it has one
// publish request out at a time) while the loop emits, which takes far
// longer than the fetch: the least memory at the same throughput.
const notifyQueue = 0

// subscribeStateCheck is how often the client's state is checked while a
// subscription is being created (see subscribe).
const subscribeStateCheck = 100 * time.Millisecond

// subscription is one of a session's subscriptions.
type subscription struct {
	sub *gopcua.Subscription
	// max is how many monitored items it may hold: the per-subscription
	// limit, or fewer once the server refused more.
	max int
	// items counts the monitored items created on it.
	items int
	// silence is how long it may go without data before it is probed:
	// 3 × revised publishing interval × revised keep-alive count.
	silence time.Duration
	// firstData is how long it may go without its first data after
	// monitored items were created on it before it is probed (and probed
	// again): see firstDataWait.
	firstData time.Duration
	// delivered is set by its first notification.
	delivered bool
	// lastData is when it last delivered, or, until it delivered, when
	// monitored items were last created on it.
	lastData time.Time
	// witness is the item a silent subscription is checked by, and
	// suspect is set while the server holds a change of it that was not
	// notified (see stall.go).
	witness witness
	suspect bool
	// confirm is how long it may stay silent while suspect.
	confirm time.Duration
}

// quietLimit is how long s may stay quiet before it is probed.
func (s *subscription) quietLimit() time.Duration {
	if s.suspect {
		return s.confirm
	}
	if s.delivered {
		return s.silence
	}
	return s.firstData
}

// firstDataWait is how long a subscription may wait for its first data:
// a server reports the initial value of every new monitored item at the
// next publishing cycle, so a subscription that stays quiet for three
// publishing intervals (at least one heartbeat, at most the silence
// window) may be gone on the server already (a server that lost it, or
// stored another one under its id), and is probed at once instead of after
// the whole silence window. A probe the server answers Good costs one
// request and the wait starts again.
func firstDataWait(interval, heartbeat, silence time.Duration) time.Duration {
	return min(silence, max(3*interval, heartbeat))
}

// subscribeLoop spreads the items over as many subscriptions as the
// per-subscription limit requires (creating monitored items in batches
// sized by the limits), optionally reads every value once after a
// reconnect, and then emits data changes until ctx is done or the
// connection dies. All subscriptions deliver to one channel, so values are
// emitted one at a time in the order they arrive.
//
// Dead-subscription detection: gopcua does not surface keep-alives, so when
// a subscription delivered no data for 3 × publishing interval × keep-alive
// count, or none at all within firstDataWait after its monitored items were
// created, the loop probes it with SetPublishingMode; a failed probe ends
// the session (reconnect). The heartbeat covers the connection itself.
func (ss *session) subscribeLoop(ctx context.Context, hbErr <-chan error) error {
	cfg := &ss.src.cfg
	ss.notifs = make(chan *gopcua.PublishNotificationData, notifyQueue)

	all := make([]int, len(ss.items))
	for i := range all {
		all[i] = i
	}
	if err := ss.monitorItems(ctx, all); err != nil {
		return err
	}
	if err := ss.subscribeEvents(ctx); err != nil {
		return err
	}
	// A refused request (too big) stops gopcua's publish loop: start over
	// with a fresh client and the smaller batches learned.
	if err := ss.clientAlive(); err != nil {
		return err
	}
	ss.updateStatus()
	ss.log.Info().Int("subscriptions", len(ss.subs)).Int("max_items_per_subscription", ss.limits.PerSubscription).
		Dur("publishing_interval_ms", ss.publishingInterval()).Func(ss.revisedSampling.fields(cfg.SamplingInterval)).
		Int("monitored", ss.goodCount()).Int("failed", ss.failedCount()).Msg("subscribed")

	if ss.reconnect && *cfg.ReadAfterReconnect {
		if err := ss.readOnce(ctx, false); err != nil {
			return err
		}
	}

	retry := time.NewTicker(cfg.RetryFailedItems)
	defer retry.Stop()
	silence := silenceOf(cfg.PublishingInterval, ss.keepAliveCount())
	watchdog := time.NewTicker(max(firstDataWait(cfg.PublishingInterval, cfg.Heartbeat, silence)/3, 10*time.Millisecond))
	defer watchdog.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-hbErr:
			return err
		case n := <-ss.notifs:
			if err := ss.handleNotification(ctx, n); err != nil {
				return err
			}
		case <-retry.C:
			if err := ss.retryFailed(ctx, ss.monitorItems); err != nil {
				return err
			}
			if ss.eventsFailed() > 0 {
				if err := ss.monitorEvents(ctx); err != nil {
					return err
				}
			}
			if err := ss.clientAlive(); err != nil {
				return err
			}
		case <-watchdog.C:
			if err := ss.clientAlive(); err != nil {
				return err
			}
			if err := ss.probeSilent(ctx); err != nil {
				return err
			}
		}
	}
}

// keepAliveCount is the keep-alive count requested for KeepAlive at the
// configured publishing interval.
func (ss *session) keepAliveCount() uint32 {
	cfg := &ss.src.cfg
	return uint32(max(1, cfg.KeepAlive/cfg.PublishingInterval))
}

// silenceOf is how long a subscription with that publishing interval and
// keep-alive count may stay silent before it is probed.
func silenceOf(interval time.Duration, keepAlive uint32) time.Duration {
	return 3 * interval * time.Duration(max(1, keepAlive))
}

// publishingInterval is the revised publishing interval of the first
// subscription, or the configured one when there is none.
func (ss *session) publishingInterval() time.Duration {
	if len(ss.subs) > 0 && ss.subs[0].sub.RevisedPublishingInterval > 0 {
		return ss.subs[0].sub.RevisedPublishingInterval
	}
	return ss.src.cfg.PublishingInterval
}

// newSubscription creates a subscription that delivers to ss.notifs.
func (ss *session) newSubscription(ctx context.Context) (*subscription, error) {
	if err := ss.clientAlive(); err != nil {
		return nil, err
	}
	cfg := &ss.src.cfg
	keepAlive := ss.keepAliveCount()
	sctx, cancel := ss.requestCtx(ctx)
	sub, err := ss.subscribe(ctx, sctx, &gopcua.SubscriptionParameters{
		Interval:          cfg.PublishingInterval,
		MaxKeepAliveCount: keepAlive,
		LifetimeCount:     keepAlive * 10,
	})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("create subscription %d: %w", len(ss.subs)+1, err)
	}
	interval := sub.RevisedPublishingInterval
	if interval <= 0 {
		interval = cfg.PublishingInterval
	}
	silence := silenceOf(interval, sub.RevisedMaxKeepAliveCount)
	s := &subscription{
		sub:       sub,
		max:       cmp.Or(ss.limits.PerSubscription, math.MaxInt),
		silence:   silence,
		firstData: firstDataWait(interval, cfg.Heartbeat, silence),
		lastData:  time.Now(),
		witness:   noWitness,
	}
	ss.subs = append(ss.subs, s)
	ss.src.status.setSubscriptions(len(ss.subs))
	ss.log.Debug().Uint32("subscription", sub.SubscriptionID).Dur("publishing_interval_ms", interval).Msg("subscription created")
	return s, nil
}

// subscribe creates a subscription with gopcua's Subscribe (the request
// bounded by rctx), handling the notifications of the session's other
// subscriptions meanwhile (emitting with ctx). Once the server answered,
// Subscribe wakes gopcua's publish loop with a send that ignores ctx on a
// channel that holds two wake-ups; that loop, blocked while handing a
// notification to a full ss.notifs, would never take a third, and
// Subscribe would never return. The notifications are handled at once,
// not set aside: while the subscriptions of a large item set are created
// one after the other, the first ones' initial values would otherwise all
// be held decoded until the last one exists.
//
// A notification that ends the session (a subscription's status changed,
// or emit failed because ctx is done) is returned once Subscribe returned;
// until then the notifications still coming are taken and discarded
// (counted and logged), so that the publish loop takes the wake-up.
//
// The send also never completes once the publish loop has stopped (the
// client died: see clientAlive), so the client's state is watched too. A
// client that dies during the call ends the session, and leaves the
// goroutine blocked with the dead client: rare (the state is checked just
// before), and better than a source that hangs.
func (ss *session) subscribe(ctx, rctx context.Context, params *gopcua.SubscriptionParameters) (*gopcua.Subscription, error) {
	type result struct {
		sub *gopcua.Subscription
		err error
	}
	done := make(chan result, 1)
	go func() {
		sub, err := ss.c.Subscribe(rctx, params, ss.notifs)
		done <- result{sub, err}
	}()
	alive := time.NewTicker(subscribeStateCheck)
	defer alive.Stop()
	var ended error
	discarded := 0
	defer func() {
		if discarded > 0 {
			ss.log.Warn().Int("notifications", discarded).AnErr("reason", ended).
				Msg("notifications discarded: the session ends while a subscription is created")
		}
	}()
	for {
		select {
		case r := <-done:
			if ended != nil {
				return nil, ended
			}
			return r.sub, r.err
		case n := <-ss.notifs:
			if ended != nil {
				discarded++
				continue
			}
			ended = ss.handleNotification(ctx, n)
		case <-alive.C:
			if err := ss.clientAlive(); err != nil {
				return nil, err
			}
		}
	}
}

// subscriptionByID returns the session's subscription with that server id,
// or nil.
func (ss *session) subscriptionByID(id uint32) *subscription {
	for _, s := range ss.subs {
		if s.sub.SubscriptionID == id {
			return s
		}
	}
	return nil
}

// monitorItems creates monitored items for the given handles, filling the
// existing subscriptions up to their limit and creating new ones as
// needed. Items a subscription refuses as one too many
// (BadTooManyMonitoredItems) lower that subscription's limit to what it
// holds (remembered for later sessions) and move on to the next one; when
// even a new, empty subscription takes none, they are marked failed.
func (ss *session) monitorItems(ctx context.Context, handles []int) error {
	ss.revisedSampling = revisedSampling{}
	for len(handles) > 0 {
		var s *subscription
		for _, c := range ss.subs {
			if c.items < c.max {
				s = c
				break
			}
		}
		if s == nil {
			var err error
			if s, err = ss.newSubscription(ctx); err != nil {
				return err
			}
		}
		n := min(s.max-s.items, len(handles))
		full, err := ss.monitor(ctx, s, handles[:n])
		if err != nil {
			return err
		}
		handles = handles[n:]
		if len(full) == 0 {
			continue
		}
		if s.items == 0 {
			// The server refuses items whatever the subscription: a
			// limit on the whole server or session.
			for _, h := range full {
				ss.markFailed(h, ua.StatusBadTooManyMonitoredItems, "create monitored item")
			}
			continue
		}
		ss.log.Warn().Uint32("subscription", s.sub.SubscriptionID).Int("items", s.items).
			Msg("subscription full: server refused more monitored items; using another subscription")
		s.max = s.items
		if l := ss.src.learned.PerSubscription; l == 0 || s.items < l {
			ss.src.learned.PerSubscription = s.items
		}
		handles = append(full, handles...)
	}
	return nil
}

// probeSilent probes, in one request, every subscription that stayed quiet
// for its quietLimit. A subscription the server no longer knows ends the
// session.
func (ss *session) probeSilent(ctx context.Context) error {
	var silent []*subscription
	for _, s := range ss.subs {
		if time.Since(s.lastData) >= s.quietLimit() {
			silent = append(silent, s)
		}
	}
	if len(silent) == 0 {
		return nil
	}
	ids := make([]uint32, len(silent))
	for i, s := range silent {
		ids[i] = s.sub.SubscriptionID
	}
	results, err := ss.probe(ctx, ids)
	for i, s := range silent {
		if err == nil && results[i] != ua.StatusOK {
			err = results[i]
		}
		if err != nil {
			return deadError(fmt.Sprintf("subscription %d silent for %s", s.sub.SubscriptionID, elapsed(s.lastData)), err)
		}
	}
	if err := ss.checkStalled(ctx, silent); err != nil {
		return err
	}
	now := time.Now()
	for _, s := range silent {
		s.lastData = now
		if s.suspect {
			s.confirm = ss.confirmWait(s)
		}
	}
	return nil
}

// handleNotification notes that its subscription is alive and emits the
// values of one publish notification.
func (ss *session) handleNotification(ctx context.Context, n *gopcua.PublishNotificationData) error {
	s := ss.subscriptionByID(n.SubscriptionID)
	if s != nil {
		s.lastData = time.Now()
		s.delivered = true
		s.suspect = false
	}
	if n.Error != nil {
		return fmt.Errorf("subscription %d: %w", n.SubscriptionID, n.Error)
	}
	switch v := n.Value.(type) {
	case *ua.DataChangeNotification:
		now := time.Now()
		// The newest value of the last item that can witness (see stall.go).
		wh, wdv := -1, (*ua.DataValue)(nil)
		for i, mi := range v.MonitoredItems {
			// The notification is ours alone: dropping each value as it
			// is handled lets the collector free the decoded data values
			// while the rest of a large notification is emitted.
			v.MonitoredItems[i] = nil
			if mi == nil || int(mi.ClientHandle) >= len(ss.items) {
				// Not ours: a server bug. Counted and logged, never emitted
				// under a wrong node.
				ss.unknownHandles++
				if ss.unknownHandles&(ss.unknownHandles-1) == 0 { // 1, 2, 4, 8, ...
					ss.log.Warn().Uint64("count", ss.unknownHandles).Msg("notification with an unknown client handle dropped")
				}
				continue
			}
			if h := int(mi.ClientHandle); mi.Value != nil && !ss.filtered(h) {
				wh, wdv = h, mi.Value
			}
			if err := ss.emitSample(ctx, ss.sample(int(mi.ClientHandle), mi.Value, now)); err != nil {
				return err
			}
		}
		if s != nil && wh >= 0 {
			s.witness = witness{handle: wh, delivered: true, dv: wdv}
		}
	case *ua.EventNotificationList:
		return ss.handleEvents(ctx, v)
	case *ua.StatusChangeNotification:
		return fmt.Errorf("subscription %d: status change: %w", n.SubscriptionID, v.Status)
	}
	return nil
}

// filterRefused reports whether a monitored item was refused because of its
// deadband filter, so it is retried without one.
func filterRefused(st ua.StatusCode) bool {
	switch st {
	case ua.StatusBadFilterNotAllowed, ua.StatusBadMonitoredItemFilterUnsupported,
		ua.StatusBadMonitoredItemFilterInvalid, ua.StatusBadDeadbandFilterInvalid:
		return true
	}
	return false
}

// monitor creates monitored items for the given handles on s, in batches.
// A request the server finds too big halves the batch size and is
// retried. Items refused for their filter are retried without it; items
// refused because s is full are returned; other refused items are marked
// failed with their status. Only a failed request that is not about its
// size ends the session.
func (ss *session) monitor(ctx context.Context, s *subscription, handles []int) (full []int, err error) {
	var refused []int
	for lo := 0; lo < len(handles); {
		hi := min(lo+ss.limits.Monitor, len(handles))
		batch := handles[lo:hi]
		reqs := make([]*ua.MonitoredItemCreateRequest, len(batch))
		for i, h := range batch {
			reqs[i] = ss.itemRequest(h)
		}
		res, err := ss.createItems(ctx, s.sub.SubscriptionID, reqs)
		if err != nil {
			if tooBig(err) && ss.limits.Monitor > 1 {
				ss.limits.Monitor /= 2
				ss.src.learned.Monitor = ss.limits.Monitor
				ss.log.Warn().Err(err).Int("monitor_batch", ss.limits.Monitor).Msg("create monitored items: request too big; halving the batch")
				continue
			}
			return nil, fmt.Errorf("subscription %d: create monitored items %d..%d: %w", s.sub.SubscriptionID, lo, hi, err)
		}
		if len(res.Results) != len(batch) {
			return nil, fmt.Errorf("subscription %d: create monitored items: %d results for %d items",
				s.sub.SubscriptionID, len(res.Results), len(batch))
		}
		if !s.delivered {
			// Its first data is due a publishing cycle after these.
			s.lastData = time.Now()
		}
		for i, r := range res.Results {
			h := batch[i]
			it := &ss.items[h]
			switch {
			case !isBad(r.StatusCode):
				ss.revisedSampling.add(r.RevisedSamplingInterval)
				it.failed = false
				it.status = ua.StatusOK
				s.items++
				s.chooseWitness(ss, h)
			case r.StatusCode == ua.StatusBadTooManyMonitoredItems:
				full = append(full, h)
			case filterRefused(r.StatusCode) && reqs[i].RequestedParameters.Filter != nil:
				it.noFilter = true
				refused = append(refused, h)
			default:
				ss.markFailed(h, r.StatusCode, "create monitored item")
			}
		}
		lo = hi
	}
	if len(refused) > 0 {
		ss.log.Info().Int("items", len(refused)).Msg("deadband filter refused; monitoring without it")
		more, err := ss.monitor(ctx, s, refused)
		return append(full, more...), err
	}
	return full, nil
}

// createItems sends one CreateMonitoredItems request. It does not use
// gopcua's Subscription.Monitor, which keeps every request and result for
// its own reconnect (off here: a new session recreates everything) and for
// ModifyMonitoredItems (unused): about 300 bytes per item for nothing,
// 30 MB at 100,000 items.
func (ss *session) createItems(ctx context.Context, subID uint32, reqs []*ua.MonitoredItemCreateRequest) (*ua.CreateMonitoredItemsResponse, error) {
	rctx, cancel := ss.requestCtx(ctx)
	defer cancel()
	var res *ua.CreateMonitoredItemsResponse
	err := ss.c.Send(rctx, &ua.CreateMonitoredItemsRequest{
		SubscriptionID:     subID,
		TimestampsToReturn: ua.TimestampsToReturnBoth,
		ItemsToCreate:      reqs,
	}, func(v ua.Response) error {
		r, ok := v.(*ua.CreateMonitoredItemsResponse)
		if !ok {
			return fmt.Errorf("unexpected response %T", v)
		}
		res = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// itemRequest builds the CreateMonitoredItems entry of item h: client
// handle h, sampling interval, queue size, discard oldest, and the deadband
// filter for numeric nodes when configured and accepted.
func (ss *session) itemRequest(h int) *ua.MonitoredItemCreateRequest {
	cfg := &ss.src.cfg
	it := &ss.items[h]
	var filter *ua.ExtensionObject
	if it.numeric && !it.noFilter && ss.limits.Deadband && cfg.Deadband.Type != "none" {
		typ := uint32(ua.DeadbandTypeAbsolute)
		if cfg.Deadband.Type == "percent" {
			typ = uint32(ua.DeadbandTypePercent)
		}
		filter = ua.NewExtensionObject(&ua.DataChangeFilter{
			Trigger:       ua.DataChangeTriggerStatusValue,
			DeadbandType:  typ,
			DeadbandValue: cfg.Deadband.Value,
		})
	}
	return &ua.MonitoredItemCreateRequest{
		ItemToMonitor: &ua.ReadValueID{
			NodeID:       ss.nodeID(h),
			AttributeID:  ua.AttributeIDValue,
			DataEncoding: &ua.QualifiedName{},
		},
		MonitoringMode: ua.MonitoringModeReporting,
		RequestedParameters: &ua.MonitoringParameters{
			ClientHandle:     uint32(h),
			SamplingInterval: samplingMillis(cfg.SamplingInterval),
			Filter:           filter,
			QueueSize:        cfg.QueueSize,
			DiscardOldest:    true,
		},
	}
}

// probe asks the server whether the subscriptions still exist and returns
// its status for each.
func (ss *session) probe(ctx context.Context, subIDs []uint32) ([]ua.StatusCode, error) {
	rctx, cancel := ss.requestCtx(ctx)
	defer cancel()
	var res *ua.SetPublishingModeResponse
	err := ss.c.Send(rctx, &ua.SetPublishingModeRequest{PublishingEnabled: true, SubscriptionIDs: subIDs},
		func(v ua.Response) error {
			r, ok := v.(*ua.SetPublishingModeResponse)
			if !ok {
				return fmt.Errorf("probe: unexpected response %T", v)
			}
			res = r
			return nil
		})
	if err != nil {
		return nil, err
	}
	if len(res.Results) != len(subIDs) {
		return nil, fmt.Errorf("probe: %d results for %d subscriptions", len(res.Results), len(subIDs))
	}
	return res.Results, nil
}

// tooBig reports whether a request failed because of its size.
func tooBig(err error) bool {
	return errors.Is(err, ua.StatusBadTooManyOperations) || errors.Is(err, ua.StatusBadRequestTooLarge) ||
		errors.Is(err, ua.StatusBadEncodingLimitsExceeded) || errors.Is(err, ua.StatusBadResponseTooLarge) ||
		errors.Is(err, ua.StatusBadTooManyMonitoredItems)
}

// isBad reports whether st has Bad severity.
func isBad(st ua.StatusCode) bool { return uint32(st)&0x80000000 != 0 }
