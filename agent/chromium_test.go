package agent

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// chromiumBinary returns the headless browser to test web pages with. It
// skips the test when there is none, except under CI (env CI set), where
// the browser is installed and a missing one must fail the build.
func chromiumBinary(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium binary on the PATH, and CI is set: install the chromium package")
	}
	t.Skip("no chromium binary on the PATH (install the chromium package to run this test)")
	return ""
}

// browser is a headless Chromium page driven over the DevTools protocol
// (one WebSocket, one page target).
type browser struct {
	t    *testing.T
	conn *websocket.Conn

	mu      sync.Mutex // guards nextID and waiting
	nextID  int64
	waiting map[int64]chan cdpReply

	readDone chan struct{}
}

type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// startBrowser starts Chromium with a blank page; the browser is killed
// when the test ends.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	bin := chromiumBinary(t)
	args := []string{
		"--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
		"--disable-dev-shm-usage", "--remote-debugging-port=0", "--user-data-dir=" + t.TempDir(),
		"--window-size=1280,1000", "about:blank",
	}
	if os.Geteuid() == 0 {
		args = append(args, "--no-sandbox") // Chromium refuses to run as root with its sandbox
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting %s: %v", bin, err)
	}
	// Chromium's stderr is read to its end (so it never blocks on a full
	// pipe); the DevTools address is taken from it.
	addr := make(chan string, 1)
	stderrDone := make(chan struct{})
	var errLines []string
	go func() {
		defer close(stderrDone)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if rest, ok := strings.CutPrefix(line, "DevTools listening on "); ok {
				addr <- rest
				continue
			}
			if len(errLines) < 50 {
				errLines = append(errLines, line)
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		<-stderrDone
	})
	var wsBrowser string
	select {
	case wsBrowser = <-addr:
	case <-stderrDone:
		t.Fatalf("chromium exited without a DevTools address:\n%s", strings.Join(errLines, "\n"))
	case <-time.After(60 * time.Second):
		t.Fatal("chromium did not start within 60s")
	}
	host := strings.TrimPrefix(wsBrowser, "ws://")
	host = host[:strings.Index(host, "/")]

	var targets []struct{ Type, WebSocketDebuggerURL string }
	if err := getJSON("http://"+host+"/json/list", &targets); err != nil {
		t.Fatal(err)
	}
	page := ""
	for _, tg := range targets {
		if tg.Type == "page" {
			page = tg.WebSocketDebuggerURL
		}
	}
	if page == "" {
		t.Fatalf("no page target in %+v", targets)
	}
	conn, _, err := websocket.DefaultDialer.Dial(page, nil)
	if err != nil {
		t.Fatalf("DevTools %s: %v", page, err)
	}
	b := &browser{t: t, conn: conn, waiting: map[int64]chan cdpReply{}, readDone: make(chan struct{})}
	go b.read()
	t.Cleanup(func() {
		_ = conn.Close()
		<-b.readDone
	})
	return b
}

// read hands replies to their callers until the connection closes; events
// are not used.
func (b *browser) read() {
	defer close(b.readDone)
	for {
		var msg struct {
			ID int64 `json:"id"`
			cdpReply
		}
		if err := b.conn.ReadJSON(&msg); err != nil {
			return
		}
		b.mu.Lock()
		ch := b.waiting[msg.ID]
		delete(b.waiting, msg.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- msg.cdpReply
		}
	}
}

// call runs one DevTools method and decodes its result into out (if not
// nil).
func (b *browser) call(method string, params any, out any) error {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan cdpReply, 1)
	b.waiting[id] = ch
	err := b.conn.WriteJSON(map[string]any{"id": id, "method": method, "params": params})
	b.mu.Unlock()
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			return fmt.Errorf("%s: %s", method, r.Error.Message)
		}
		if out != nil {
			return json.Unmarshal(r.Result, out)
		}
		return nil
	case <-b.readDone:
		return fmt.Errorf("%s: browser connection closed", method)
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%s: no reply within 30s", method)
	}
}

// navigate loads url in the page.
func (b *browser) navigate(url string) {
	b.t.Helper()
	if err := b.call("Page.navigate", map[string]any{"url": url}, nil); err != nil {
		b.t.Fatal(err)
	}
}

// eval evaluates a JavaScript expression in the page and decodes its value
// into out.
func (b *browser) eval(expr string, out any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := b.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &r); err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return fmt.Errorf("%s: %s", expr, r.ExceptionDetails.Text)
	}
	if len(r.Result.Value) == 0 {
		return errors.New("no value")
	}
	return json.Unmarshal(r.Result.Value, out)
}

// screenshotOnFailure writes a screenshot of the page when the test has
// failed, to a file under the test's temporary directory, and logs it as
// base64 as well (the directory is removed after the test; the log stays
// in the CI output: decode it with base64 -d).
func (b *browser) screenshotOnFailure() {
	b.t.Helper()
	if !b.t.Failed() {
		return
	}
	var shot struct{ Data string }
	if err := b.call("Page.captureScreenshot", map[string]any{"format": "png"}, &shot); err != nil {
		b.t.Logf("screenshot: %v", err)
		return
	}
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		b.t.Logf("screenshot: %v", err)
		return
	}
	file := filepath.Join(b.t.TempDir(), "screenshot.png")
	if err := os.WriteFile(file, png, 0o600); err != nil {
		b.t.Logf("screenshot: %v", err)
	}
	b.t.Logf("screenshot of the page at the failure (%s), PNG in base64:\n%s", file, shot.Data)
}

// waitTrue evaluates expr until it is true, for up to timeout.
func (b *browser) waitTrue(what, expr string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for {
		var ok bool
		err := b.eval(expr, &ok)
		if err == nil && ok {
			return
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: not seen in the page within %s (last error: %v)", what, timeout, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
