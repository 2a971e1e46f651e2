package opcua

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/tag"
)

// nodeOPCUADir holds the node-opcua peer harness (npm ci installs it).
const nodeOPCUADir = "testdata/nodeopcua"

// nodeOPCUANS is the namespace URI of the peer's variables.
const nodeOPCUANS = "urn:edgetag:test:nodeopcua"

// peerUser and peerPass are the one user the peer accepts.
const (
	peerUser = "operator"
	peerPass = "s3cret"
)

// requireNodeOPCUA skips the test when the harness is not installed, and
// fails it instead when CI is set (CI installs it).
func requireNodeOPCUA(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("node-opcua peer: skipped with -short")
	}
	if _, err := os.Stat(filepath.Join(nodeOPCUADir, "node_modules", "node-opcua")); err != nil {
		msg := "node-opcua peer not installed: run `npm ci` in opcua/testdata/nodeopcua"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node not found")
		}
		t.Skip("node not found")
	}
}

// peer is a node-opcua server process.
type peer struct {
	t        testing.TB
	port     int
	pkiDir   string
	env      []string
	cmd      *exec.Cmd
	done     chan struct{}
	Endpoint string
}

// startPeer starts a node-opcua server on a free port with a PKI folder of
// its own; it is killed when the test ends.
func startPeer(t testing.TB, env ...string) *peer {
	t.Helper()
	requireNodeOPCUA(t)
	p := &peer{t: t, port: testutil.FreePort(t), pkiDir: t.TempDir(), env: env}
	p.Endpoint = fmt.Sprintf("opc.tcp://127.0.0.1:%d", p.port)
	p.start()
	t.Cleanup(p.kill)
	return p
}

// start runs the process and waits until it prints ready and its port
// accepts connections.
func (p *peer) start() {
	t := p.t
	t.Helper()
	abs, err := filepath.Abs(nodeOPCUADir)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", filepath.Join(abs, "server.js"))
	cmd.Dir = abs
	cmd.Env = append(os.Environ(),
		"PORT="+strconv.Itoa(p.port),
		"PKI_DIR="+p.pkiDir,
		"OPC_USER="+peerUser,
		"OPC_PASS="+peerPass,
		"RATE_MS=100",
	)
	cmd.Env = append(cmd.Env, p.env...)
	p.done = startUntilReady(t, cmd, "node-opcua", 90*time.Second)
	p.cmd = cmd
	testutil.WaitUntil(t, 10*time.Second, "peer port accepts", func() bool {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", p.port), time.Second)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
}

// kill ends the process with SIGKILL (no goodbye to clients) and waits.
func (p *peer) kill() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	p.cmd = nil
}

// signal sends sig to the server process (SIGSTOP freezes it with its TCP
// connections open: a half-open connection from the client's side).
func (p *peer) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v: %v", sig, err)
	}
}

// shared is the peer of the tests that do not stop or disturb it, started
// by the first of them and killed by TestMain.
var shared struct {
	once sync.Once
	p    *peer
	err  string
}

// sharedPeer returns the shared peer, starting it on first use.
func sharedPeer(t *testing.T) *peer {
	t.Helper()
	requireNodeOPCUA(t)
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "edgetag-peer-")
		if err != nil {
			shared.err = err.Error()
			return
		}
		p := &peer{t: t, port: testutil.FreePort(t), pkiDir: dir}
		p.Endpoint = fmt.Sprintf("opc.tcp://127.0.0.1:%d", p.port)
		shared.p = p
		p.start() // fails t if the peer does not come up
	})
	if shared.err != "" || shared.p == nil || shared.p.cmd == nil {
		t.Fatalf("shared node-opcua peer unavailable %s", shared.err)
	}
	shared.p.t = t
	return shared.p
}

// simProcessEnv, when set to host:port, makes the test binary run the
// built-in simulator there instead of the tests (see startSimProcess).
const simProcessEnv = "EDGETAG_TEST_SIM_PROCESS"

// simProcessTagsEnv sets the simulator process's ExtraTags (changing every
// second instead of every 50 ms when set).
const simProcessTagsEnv = "EDGETAG_TEST_SIM_TAGS"

func TestMain(m *testing.M) {
	if listen := os.Getenv(simProcessEnv); listen != "" {
		os.Exit(runSimProcess(listen))
	}
	code := m.Run()
	if p := shared.p; p != nil {
		p.kill()
		_ = os.RemoveAll(p.pkiDir)
		_ = os.RemoveAll(p.pkiDir + "-users")
	}
	os.Exit(code)
}

// restart kills the server and starts it again on the same port with the
// same PKI folder (so the same server certificate).
func (p *peer) restart() {
	p.kill()
	p.start()
}

// lockedWriter makes a writer safe for the process's stderr copier.
type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// collector is an Emit that records samples.
type collector struct {
	mu      sync.Mutex
	samples []tag.Sample
}

func (c *collector) emit(ctx context.Context, s tag.Sample) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.samples = append(c.samples, s)
	c.mu.Unlock()
	return nil
}

// count returns how many samples of the node with id suffix match were
// seen since index from.
func (c *collector) count(from int, suffix string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, s := range c.samples[min(from, len(c.samples)):] {
		if strings.HasSuffix(s.Node.ID, suffix) {
			n++
		}
	}
	return n
}

// sources returns the distinct SourceInfos of the samples seen.
func (c *collector) sources() []*tag.SourceInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	var srcs []*tag.SourceInfo
	for _, s := range c.samples {
		if !slices.Contains(srcs, s.Node.Src) {
			srcs = append(srcs, s.Node.Src)
		}
	}
	return srcs
}

// checkOneSource checks that every sample's node points at one SourceInfo
// with the source's name and endpoint: a source shares one among all its
// nodes, whatever the session that made them.
func (c *collector) checkOneSource(t *testing.T, cfg Config) {
	t.Helper()
	srcs := c.sources()
	if len(srcs) != 1 || srcs[0] == nil || *srcs[0] != (tag.SourceInfo{Name: cfg.Name, Endpoint: cfg.Endpoint}) {
		t.Errorf("samples carry %d SourceInfos (%v), want one with name %q, endpoint %q", len(srcs), srcs, cfg.Name, cfg.Endpoint)
	}
}

// last returns the last sample of the node with id suffix.
func (c *collector) last(suffix string) (tag.Sample, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.samples) - 1; i >= 0; i-- {
		if strings.HasSuffix(c.samples[i].Node.ID, suffix) {
			return c.samples[i], true
		}
	}
	return tag.Sample{}, false
}

func (c *collector) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.samples)
}

// runSource starts src.Run in a goroutine; the returned stop cancels it and
// returns Run's error, failing the test if Run does not return in time.
func runSource(t testing.TB, src *Source, emit Emit) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- src.Run(ctx, emit) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-errc:
			case <-time.After(30 * time.Second):
				err = errors.New("run did not return within 30s of cancel")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// testLogger returns a logger that writes to the test log when -v is set.
func testLogger(t testing.TB) zerolog.Logger {
	if testing.Verbose() {
		return zerolog.New(zerolog.NewTestWriter(t)).With().Timestamp().Logger()
	}
	return zerolog.Nop()
}

// runSimProcess runs the simulator with security on and a certificate kept
// in memory (a new one on every start) until the process is killed.
func runSimProcess(listen string) int {
	cfg := sim.Config{Listen: listen, Rate: 50 * time.Millisecond, Security: true}
	if n, err := strconv.Atoi(os.Getenv(simProcessTagsEnv)); err == nil && n > 0 {
		cfg.ExtraTags, cfg.Rate = n, time.Second
	}
	s, err := sim.New(cfg, zerolog.Nop())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready " + s.Endpoint())
	if err := s.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// simProcess is the simulator running in a child process (the test binary
// re-executed), so a test can kill it the way a server dies.
type simProcess struct {
	t        testing.TB
	listen   string
	env      []string
	cmd      *exec.Cmd
	done     chan struct{}
	Endpoint string
}

// startSimProcess starts the simulator process on a free port; it is killed
// when the test ends. env is added to the process's environment.
func startSimProcess(t testing.TB, env ...string) *simProcess {
	t.Helper()
	sp := &simProcess{t: t, listen: fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t)), env: env}
	sp.Endpoint = "opc.tcp://" + sp.listen
	sp.start()
	t.Cleanup(sp.kill)
	return sp
}

func (sp *simProcess) start() {
	t := sp.t
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), simProcessEnv+"="+sp.listen), sp.env...)
	sp.done = startUntilReady(t, cmd, "simulator process", 60*time.Second)
	sp.cmd = cmd
}

// kill ends the process with SIGKILL and waits.
func (sp *simProcess) kill() {
	if sp.cmd == nil || sp.cmd.Process == nil {
		return
	}
	_ = sp.cmd.Process.Signal(syscall.SIGKILL)
	<-sp.done
	sp.cmd = nil
}

// signal sends sig to the simulator process (SIGSTOP freezes it with its
// TCP connections open, SIGCONT resumes it).
func (sp *simProcess) signal(sig syscall.Signal) {
	sp.t.Helper()
	if err := sp.cmd.Process.Signal(sig); err != nil {
		sp.t.Fatalf("signal %v: %v", sig, err)
	}
}

// clientGoroutines returns the stacks of goroutines that belong to a
// Source, a session or a gopcua client ("" when there are none).
func clientGoroutines() string {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "edgetag/opcua.(*session)") || strings.Contains(g, "edgetag/opcua.(*Source)") ||
			strings.Contains(g, "gopcua/opcua.(*Client)") {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}

// checkNoClientGoroutines fails the test when goroutines of a source or a
// gopcua client are still running after a short grace period.
func checkNoClientGoroutines(t testing.TB) {
	t.Helper()
	testutil.WaitFor(t, 10*time.Second, func() error {
		if leaked := clientGoroutines(); leaked != "" {
			return fmt.Errorf("goroutines left after Run returned:\n%s", leaked)
		}
		return nil
	})
}

// startUntilReady starts cmd and waits until it prints a line starting with
// "ready " on stdout. The returned channel is closed once the process has
// exited. The test fails if the process exits first or is not ready within
// timeout (it is killed then).
func startUntilReady(t testing.TB, cmd *exec.Cmd, name string, timeout time.Duration) (done chan struct{}) {
	t.Helper()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &lockedWriter{w: &stderr}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	done = make(chan struct{})
	ready := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		signalled := false
		for sc.Scan() {
			if !signalled && strings.HasPrefix(sc.Text(), "ready ") {
				close(ready)
				signalled = true
			}
		}
		_ = cmd.Wait()
	}()
	select {
	case <-ready:
	case <-done:
		t.Fatalf("%s exited before ready: %s", name, stderr.String())
	case <-time.After(timeout):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
		t.Fatalf("%s not ready after %s: %s", name, timeout, stderr.String())
	}
	return done
}

// collectSource makes a source for cfg and runs it, its samples collected
// by col; stop ends it (also at the test's cleanup) and returns what Run
// returned.
func collectSource(t testing.TB, cfg Config) (src *Source, col *collector, stop func() error) {
	t.Helper()
	src, err := NewSource(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	col = &collector{}
	return src, col, runSource(t, src, col.emit)
}
