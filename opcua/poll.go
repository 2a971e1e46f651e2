package opcua

import (
	"context"
	"fmt"
	"time"

	"github.com/gopcua/opcua/ua"
)

// poll reads every item each PollInterval (in batches sized by the limits)
// until ctx is done or the connection dies. Every read value is emitted,
// bad statuses included; nodes that are wrong (unknown, invalid, not
// readable) are marked failed, left out of later reads and retried every
// RetryFailedItems. A poll that takes longer than the interval delays the
// next one (ticks are not queued).
func (ss *session) poll(ctx context.Context, hbErr <-chan error) error {
	cfg := &ss.src.cfg
	t := time.NewTicker(cfg.PollInterval)
	defer t.Stop()
	retry := time.NewTicker(cfg.RetryFailedItems)
	defer retry.Stop()
	if err := ss.readOnce(ctx, true); err != nil {
		return err
	}
	ss.updateStatus()
	ss.log.Info().Int("polled", ss.goodCount()).Int("failed", ss.failedCount()).
		Dur("interval_ms", cfg.PollInterval).Msg("polling")
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-hbErr:
			return err
		case <-t.C:
			if err := ss.readOnce(ctx, true); err != nil {
				return err
			}
		case <-retry.C:
			if err := ss.retryFailed(ctx, func(ctx context.Context, hs []int) error {
				return ss.read(ctx, hs, true)
			}); err != nil {
				return err
			}
		}
	}
}

// readOnce reads and emits the current value of every item that is not
// failed. With classify, node errors mark items failed (poll mode); without
// it, every result is emitted with its status (the read after a reconnect
// in subscribe mode, whose failures the subscription already tracks).
func (ss *session) readOnce(ctx context.Context, classify bool) error {
	handles := make([]int, 0, len(ss.items))
	for h := range ss.items {
		if !ss.items[h].failed {
			handles = append(handles, h)
		}
	}
	return ss.read(ctx, handles, classify)
}

// read reads the Value of the given items and emits them. With classify,
// node errors mark items failed (and a good read of a failed item clears
// it). The entries of a request are built for that request only, so a
// read of every item (after a reconnect, on top of the subscriptions'
// burst of initial values) holds one request's worth at a time.
func (ss *session) read(ctx context.Context, handles []int, classify bool) error {
	var buf []*ua.ReadValueID
	batch := func(lo, hi int) []*ua.ReadValueID {
		buf = buf[:0]
		for _, h := range handles[lo:hi] {
			buf = append(buf, &ua.ReadValueID{NodeID: ss.nodeID(h), AttributeID: ua.AttributeIDValue})
		}
		return buf
	}
	changed := false
	err := ss.readBatched(ctx, len(handles), batch, ua.TimestampsToReturnBoth, func(lo int, res []*ua.DataValue) error {
		now := time.Now()
		for i, dv := range res {
			h := handles[lo+i]
			it := &ss.items[h]
			if classify && dv != nil && itemFailure(dv.Status) {
				ss.markFailed(h, dv.Status, "read")
				changed = true
				continue
			}
			if classify && it.failed {
				it.failed = false
				it.status = ua.StatusOK
				changed = true
			}
			if err := ss.emitSample(ctx, ss.sample(h, dv, now)); err != nil {
				return err
			}
		}
		return nil
	})
	if changed {
		ss.updateStatus()
	}
	return err
}

// readBatched reads n nodes in requests of at most limits.Read entries,
// batch(lo, hi) giving the entries of nodes lo..hi-1 (the request is done
// with them when the next batch is asked for), and hands each batch's
// results (parallel to nodes lo..) to fn. A request the server finds too
// big (BadTooManyOperations, message too large) halves limits.Read,
// remembered by the Source for later sessions, and is sent again.
func (ss *session) readBatched(ctx context.Context, n int, batch func(lo, hi int) []*ua.ReadValueID, ts ua.TimestampsToReturn, fn func(lo int, res []*ua.DataValue) error) error {
	for lo := 0; lo < n; {
		hi := min(lo+ss.limits.Read, n)
		rctx, cancel := ss.requestCtx(ctx)
		res, err := ss.c.Read(rctx, &ua.ReadRequest{NodesToRead: batch(lo, hi), TimestampsToReturn: ts})
		cancel()
		if err != nil {
			if tooBig(err) && ss.limits.Read > 1 {
				ss.limits.Read /= 2
				ss.src.learned.Read = ss.limits.Read
				ss.log.Warn().Err(err).Int("read_batch", ss.limits.Read).Msg("read: request too big; halving the batch")
				continue
			}
			return fmt.Errorf("read %d nodes: %w", hi-lo, err)
		}
		if len(res.Results) != hi-lo {
			return fmt.Errorf("read: %d results for %d nodes", len(res.Results), hi-lo)
		}
		if err := fn(lo, res.Results); err != nil {
			return err
		}
		lo = hi
	}
	return nil
}
