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
	ss.log.Info().Int("polled", len(ss.items)-ss.failedCount()).Int("failed", ss.failedCount()).
		Dur("interval", cfg.PollInterval).Msg("polling")
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
	for h, it := range ss.items {
		if !it.failed {
			handles = append(handles, h)
		}
	}
	return ss.read(ctx, handles, classify)
}

// read reads the Value of the given items in batches and emits them. A
// request the server finds too big halves the batch size and is retried.
func (ss *session) read(ctx context.Context, handles []int, classify bool) error {
	cfg := &ss.src.cfg
	changed := false
	for lo := 0; lo < len(handles); {
		hi := min(lo+ss.limits.Read, len(handles))
		batch := handles[lo:hi]
		nodes := make([]*ua.ReadValueID, len(batch))
		for i, h := range batch {
			nodes[i] = &ua.ReadValueID{NodeID: ss.items[h].id, AttributeID: ua.AttributeIDValue}
		}
		rctx, cancel := context.WithTimeout(ctx, cfg.RequestTimeout)
		res, err := ss.c.Read(rctx, &ua.ReadRequest{NodesToRead: nodes, TimestampsToReturn: ua.TimestampsToReturnBoth})
		cancel()
		if err != nil {
			if tooBig(err) && ss.limits.Read > 1 {
				ss.limits.Read /= 2
				ss.log.Warn().Err(err).Int("read_batch", ss.limits.Read).Msg("read: request too big; halving the batch")
				continue
			}
			return fmt.Errorf("read %d nodes: %w", len(batch), err)
		}
		if len(res.Results) != len(batch) {
			return fmt.Errorf("read: %d results for %d nodes", len(res.Results), len(batch))
		}
		now := time.Now()
		for i, dv := range res.Results {
			h := batch[i]
			it := ss.items[h]
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
		lo = hi
	}
	if changed {
		ss.updateStatus()
	}
	return nil
}
