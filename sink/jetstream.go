package sink

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// streamSetupTimeout bounds one create-or-update request.
const streamSetupTimeout = 10 * time.Second

// streamConfig is the stream the sink publishes into: file storage, limits
// by bytes and age discarding the oldest messages, the de-duplication
// window that makes retried publishes idempotent, and block compression.
func streamConfig(js JetStream) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        js.Stream,
		Description: "edgetag store-and-forward stream",
		Subjects:    js.Subjects,
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardOld,
		MaxBytes:    js.MaxBytes,
		MaxAge:      js.MaxAge,
		MaxMsgs:     -1,
		Duplicates:  js.DuplicateWindow,
		Replicas:    1,
		Compression: storeCompression(js.Compression),
	}
}

// Stream compression settings (JetStream.Compression).
const (
	CompressionS2   = "s2"
	CompressionNone = "none"
)

// storeCompression maps a validated compression setting to the stream's.
func storeCompression(c string) jetstream.StoreCompression {
	if c == CompressionS2 {
		return jetstream.S2Compression
	}
	return jetstream.NoCompression
}

// ensureStream creates the stream or updates it to the configured shape.
func (s *Sink) ensureStream(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, streamSetupTimeout)
	defer cancel()
	cfg := streamConfig(s.cfg.JetStream)
	if _, err := s.js.CreateOrUpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("create or update stream %s (subjects %v): %w", cfg.Name, cfg.Subjects, err)
	}
	s.streamReady.Store(true)
	s.log.Info().Str("stream", cfg.Name).Strs("subjects", cfg.Subjects).Int64("max_bytes", cfg.MaxBytes).
		Dur("max_age_ms", cfg.MaxAge).Dur("duplicate_window_ms", cfg.Duplicates).Msg("jetstream stream ready")
	return nil
}

// streamSetupLoop ensures the stream of an external server in the
// background, so Start does not depend on the broker being reachable: it
// waits for the connection and retries with a capped backoff until it
// succeeds or Close is called, then watches the stream (see watchLoop)
// until Close. Messages published before that are retried by the publisher
// until the stream exists.
func (s *Sink) streamSetupLoop() {
	defer s.wg.Done()
	ctx, cancel := s.untilClose()
	defer cancel()
	backoff := time.Second
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		if err := s.state.wait(ctx); err != nil {
			return
		}
		err := s.ensureStream(ctx)
		if err == nil {
			s.checkStream(ctx) // the discard accounting's baseline
			s.watchLoopInline(ctx)
			return
		}
		s.log.Error().Err(err).Dur("retry_in_ms", backoff).Msg("jetstream stream not ready")
		timer.Reset(backoff)
		select {
		case <-timer.C:
		case <-ctx.Done():
			return
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// untilClose returns a context that ends on Close or when cancel is called;
// the caller must call cancel, which also ends the goroutine that watches
// for Close.
func (s *Sink) untilClose() (ctx context.Context, cancel context.CancelFunc) {
	ctx, cancel = context.WithCancel(context.Background())
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}
