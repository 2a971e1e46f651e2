package opcua

import (
	"context"
	"errors"
	"fmt"
	"time"

	gopcua "github.com/gopcua/opcua"
	"github.com/gopcua/opcua/ua"
)

// notifyQueue bounds the notifications gopcua may hand over before the
// loop takes them. A full queue blocks gopcua's publish loop (backpressure
// to the server's queues, which discard the oldest values per item).
const notifyQueue = 16

// subscribeLoop creates one subscription with every item (in batches sized
// by the limits), optionally reads every value once after a reconnect, and
// then emits data changes until ctx is done or the connection dies.
//
// Dead-subscription detection: gopcua does not surface keep-alives, so when
// no data arrived for 3 × publishing interval × keep-alive count the loop
// probes the subscription with SetPublishingMode; a failed probe ends the
// session (reconnect). The heartbeat covers the connection itself.
func (ss *session) subscribeLoop(ctx context.Context, hbErr <-chan error) error {
	cfg := &ss.src.cfg
	keepAlive := uint32(max(1, cfg.KeepAlive/cfg.PublishingInterval))
	notifs := make(chan *gopcua.PublishNotificationData, notifyQueue)
	sctx, cancel := context.WithTimeout(ctx, cfg.RequestTimeout)
	sub, err := ss.c.Subscribe(sctx, &gopcua.SubscriptionParameters{
		Interval:          cfg.PublishingInterval,
		MaxKeepAliveCount: keepAlive,
		LifetimeCount:     keepAlive * 10,
	}, notifs)
	cancel()
	if err != nil {
		return fmt.Errorf("create subscription: %w", err)
	}
	interval := sub.RevisedPublishingInterval
	if interval <= 0 {
		interval = cfg.PublishingInterval
	}
	silence := 3 * interval * time.Duration(max(1, sub.RevisedMaxKeepAliveCount))

	all := make([]int, len(ss.items))
	for i := range all {
		all[i] = i
	}
	if err := ss.monitor(ctx, sub, all); err != nil {
		return err
	}
	// A refused request (too big) stops gopcua's publish loop: start over
	// with a fresh client and the smaller batches learned.
	if err := ss.clientAlive(); err != nil {
		return err
	}
	ss.updateStatus()
	ss.log.Info().Uint32("subscription", sub.SubscriptionID).Dur("publishing_interval", interval).
		Int("monitored", len(ss.items)-ss.failedCount()).Int("failed", ss.failedCount()).Msg("subscribed")

	if ss.reconnect && *cfg.ReadAfterReconnect {
		if err := ss.readOnce(ctx, false); err != nil {
			return err
		}
	}

	retry := time.NewTicker(cfg.RetryFailedItems)
	defer retry.Stop()
	watchdog := time.NewTicker(max(silence/3, 10*time.Millisecond))
	defer watchdog.Stop()
	lastData := time.Now()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-hbErr:
			return err
		case n := <-notifs:
			lastData = time.Now()
			if err := ss.handleNotification(ctx, n); err != nil {
				return err
			}
		case <-retry.C:
			if err := ss.retryFailed(ctx, func(ctx context.Context, hs []int) error {
				return ss.monitor(ctx, sub, hs)
			}); err != nil {
				return err
			}
			if err := ss.clientAlive(); err != nil {
				return err
			}
		case <-watchdog.C:
			if err := ss.clientAlive(); err != nil {
				return err
			}
			if time.Since(lastData) < silence {
				continue
			}
			if err := ss.probe(ctx, sub.SubscriptionID); err != nil {
				return deadError(fmt.Sprintf("subscription %d silent for %s", sub.SubscriptionID, elapsed(lastData)), err)
			}
			lastData = time.Now()
		}
	}
}

// handleNotification emits the values of one publish notification.
func (ss *session) handleNotification(ctx context.Context, n *gopcua.PublishNotificationData) error {
	if n.Error != nil {
		return fmt.Errorf("subscription %d: %w", n.SubscriptionID, n.Error)
	}
	switch v := n.Value.(type) {
	case *ua.DataChangeNotification:
		now := time.Now()
		for _, mi := range v.MonitoredItems {
			if mi == nil || int(mi.ClientHandle) >= len(ss.items) {
				// Not ours: a server bug. Counted and logged, never emitted
				// under a wrong node.
				ss.unknownHandles++
				if ss.unknownHandles&(ss.unknownHandles-1) == 0 { // 1, 2, 4, 8, ...
					ss.log.Warn().Uint64("count", ss.unknownHandles).Msg("notification with an unknown client handle dropped")
				}
				continue
			}
			if err := ss.emitSample(ctx, ss.sample(int(mi.ClientHandle), mi.Value, now)); err != nil {
				return err
			}
		}
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

// monitor creates monitored items for the given handles in batches. A
// request the server finds too big halves the batch size and is retried.
// Items refused for their filter are retried without it; other refused
// items are marked failed with their status. Only a failed request that is
// not about its size ends the session.
func (ss *session) monitor(ctx context.Context, sub *gopcua.Subscription, handles []int) error {
	var refused []int
	for lo := 0; lo < len(handles); {
		hi := min(lo+ss.limits.Monitor, len(handles))
		batch := handles[lo:hi]
		reqs := make([]*ua.MonitoredItemCreateRequest, len(batch))
		for i, h := range batch {
			reqs[i] = ss.itemRequest(h)
		}
		rctx, cancel := context.WithTimeout(ctx, ss.src.cfg.RequestTimeout)
		res, err := sub.Monitor(rctx, ua.TimestampsToReturnBoth, reqs...)
		cancel()
		if err != nil {
			if tooBig(err) && ss.limits.Monitor > 1 {
				ss.limits.Monitor /= 2
				ss.src.learned.Monitor = ss.limits.Monitor
				ss.log.Warn().Err(err).Int("monitor_batch", ss.limits.Monitor).Msg("create monitored items: request too big; halving the batch")
				continue
			}
			return fmt.Errorf("create monitored items %d..%d: %w", lo, hi, err)
		}
		if len(res.Results) != len(batch) {
			return fmt.Errorf("create monitored items: %d results for %d items", len(res.Results), len(batch))
		}
		for i, r := range res.Results {
			h := batch[i]
			it := ss.items[h]
			switch {
			case !isBad(r.StatusCode):
				it.failed = false
				it.status = ua.StatusOK
				it.monitored = r.MonitoredItemID
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
		return ss.monitor(ctx, sub, refused)
	}
	return nil
}

// itemRequest builds the CreateMonitoredItems entry of item h: client
// handle h, sampling interval, queue size, discard oldest, and the deadband
// filter for numeric nodes when configured and accepted.
func (ss *session) itemRequest(h int) *ua.MonitoredItemCreateRequest {
	cfg := &ss.src.cfg
	it := ss.items[h]
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
			NodeID:       it.id,
			AttributeID:  ua.AttributeIDValue,
			DataEncoding: &ua.QualifiedName{},
		},
		MonitoringMode: ua.MonitoringModeReporting,
		RequestedParameters: &ua.MonitoringParameters{
			ClientHandle:     uint32(h),
			SamplingInterval: float64(cfg.SamplingInterval) / float64(time.Millisecond),
			Filter:           filter,
			QueueSize:        cfg.QueueSize,
			DiscardOldest:    true,
		},
	}
}

// probe asks the server whether the subscription still exists.
func (ss *session) probe(ctx context.Context, subID uint32) error {
	rctx, cancel := context.WithTimeout(ctx, ss.src.cfg.RequestTimeout)
	defer cancel()
	var res *ua.SetPublishingModeResponse
	err := ss.c.Send(rctx, &ua.SetPublishingModeRequest{PublishingEnabled: true, SubscriptionIDs: []uint32{subID}},
		func(v ua.Response) error {
			r, ok := v.(*ua.SetPublishingModeResponse)
			if !ok {
				return fmt.Errorf("probe: unexpected response %T", v)
			}
			res = r
			return nil
		})
	if err != nil {
		return err
	}
	if len(res.Results) != 1 {
		return errors.New("probe: no result")
	}
	if res.Results[0] != ua.StatusOK {
		return res.Results[0]
	}
	return nil
}

// tooBig reports whether a request failed because of its size.
func tooBig(err error) bool {
	return errors.Is(err, ua.StatusBadTooManyOperations) || errors.Is(err, ua.StatusBadRequestTooLarge) ||
		errors.Is(err, ua.StatusBadEncodingLimitsExceeded) || errors.Is(err, ua.StatusBadResponseTooLarge) ||
		errors.Is(err, ua.StatusBadTooManyMonitoredItems)
}

// isBad reports whether st has Bad severity.
func isBad(st ua.StatusCode) bool { return uint32(st)&0x80000000 != 0 }
