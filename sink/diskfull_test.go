package sink

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgetag/edgetag/internal/natstest"
)

// tmpfs mounts a tmpfs of size bytes on a new directory and unmounts it at
// the end of the test; it skips the test when not running as root.
func tmpfs(t *testing.T, size int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file into dir until the filesystem is full.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			break // ENOSPC
		}
	}
	return path
}

// TestDiskFullRecovers fills the store's filesystem while messages flow:
// the sink reports not ready and keeps every message it has not had acked;
// once space is freed it recovers without a restart, and every acked
// message is in the stream or counted as lost by the store.
func TestDiskFullRecovers(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	dir := tmpfs(t, 16<<20)
	c := embeddedConfig(t, true)
	c.Embedded.StoreDir = filepath.Join(dir, "store")
	c.JetStream.MaxBytes = -1
	c.JetStream.WatchInterval = 50 * time.Millisecond
	c.JetStream.AckTimeout = 500 * time.Millisecond
	s := startSink(t, c)
	ctx := context.Background()
	const before, n = 1000, 3000
	for i := range before {
		if err := s.Publish(ctx, testMessage(i)); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	filler := fill(t, dir)
	done := make(chan error, 1)
	go func() {
		for i := before; i < n; i++ {
			if err := s.Publish(ctx, testMessage(i)); err != nil {
				done <- fmt.Errorf("publish %d: %w", i, err)
				return
			}
		}
		done <- nil
	}()
	natstest.WaitFor(t, waitTimeout, func() error {
		if s.Ready() {
			return fmt.Errorf("still ready with the disk full (stream %+v)", s.Stats().Stream)
		}
		return nil
	})
	t.Logf("disk full: not ready: %v", s.NotReady())
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	fctx, cancel := context.WithTimeout(ctx, 2*waitTimeout)
	defer cancel()
	if err := s.Flush(fctx); err != nil {
		t.Fatalf("flush after the disk was freed: %v (stream %+v)", err, s.Stats().Stream)
	}
	natstest.WaitFor(t, waitTimeout, func() error {
		if !s.Ready() {
			return fmt.Errorf("not ready after the disk was freed: %v", s.NotReady())
		}
		return nil
	})
	// The watch's count is final once its reading covers every message.
	waitStreamStats(t, s, func(st StreamStats) error {
		if got := st.Messages + st.Discarded[DiscardStoreError]; got < n {
			return fmt.Errorf("watch saw %d stored + %d lost, want %d", st.Messages, st.Discarded[DiscardStoreError], n)
		}
		return nil
	})
	st := s.Stats()
	t.Logf("stream %+v", st.Stream)
	if len(st.Lost) != 0 {
		t.Errorf("sink lost %v", st.Lost)
	}
	nc := connect(t, s.ClientURL())
	seen := streamSeqs(t, nc, "", DefaultStream)
	var missing, dup uint64
	for i := range n {
		switch seen[i] {
		case 0:
			missing++
		case 1:
		default:
			dup++
		}
	}
	if counted := st.Stream.Discarded[DiscardStoreError]; missing != counted {
		t.Errorf("%d of %d acked messages missing from the stream, %d counted as lost by the store", missing, n, counted)
	}
	t.Logf("missing %d, duplicated %d, store recoveries %d", missing, dup, st.Stream.StoreRecoveries)
}
