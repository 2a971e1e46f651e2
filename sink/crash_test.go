package sink

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/internal/natstest"
)

// crashChildEnv names the store directory of the publisher subprocess.
const crashChildEnv = "EDGETAG_SINK_CRASH_STORE"

// TestCrashSafety runs a publisher with the embedded JetStream server in a
// subprocess, kills it with SIGKILL mid-stream, and checks that every
// message it had seen acked is in the stream when a server is started again
// on the same store.
func TestCrashSafety(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(t, dir)
		return
	}
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashSafety$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start publisher: %v", err)
	}
	acked, killed := 0, false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		n, ok := strings.CutPrefix(sc.Text(), "acked ")
		if !ok {
			continue
		}
		v, err := strconv.Atoi(n)
		if err != nil {
			t.Fatalf("publisher line %q: %v", sc.Text(), err)
		}
		acked = v
		if acked >= 2000 && !killed {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatalf("kill publisher: %v", err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("publisher ended before it was killed (%v) after %d acked messages", err, acked)
	}

	srv := natstest.Start(t, func(o *server.Options) { o.StoreDir = dir })
	nc := connect(t, srv.ClientURL())
	seen := streamSeqs(t, nc, "", DefaultStream)
	missing := 0
	for i := range acked {
		if seen[i] != 1 {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acked messages missing or duplicated after the crash", missing, acked)
	}
	t.Logf("%d messages acked before SIGKILL, %d in the stream after restart", acked, len(seen))
}

// crashChild publishes numbered messages in batches forever, printing
// "acked N" after each batch is acked: messages 0..N-1 are then stored.
func crashChild(t *testing.T, dir string) {
	c := Config{Name: "crash", Embedded: Embedded{Listen: "127.0.0.1:0", StoreDir: dir}, JetStream: JetStream{Enabled: true}}
	s, err := New(c, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	const batch = 100
	for i := 0; i < 10_000_000; i += batch {
		for j := i; j < i+batch; j++ {
			if err := s.Publish(ctx, testMessage(j)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stdout.WriteString("acked " + strconv.Itoa(i+batch) + "\n"); err != nil {
			return // the parent is gone
		}
	}
}
