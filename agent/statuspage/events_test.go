package statuspage

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/edgetag/edgetag/internal/testutil"
)

// startPage serves a page whose hub sends every interval until the test
// ends.
func startPage(t *testing.T, cfg HubConfig) (*Page, *httptest.Server) {
	t.Helper()
	p := New(1000, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.Hub.Run(ctx) }()
	mux := http.NewServeMux()
	p.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { cancel(); <-done; srv.Close() })
	return p, srv
}

// event is one server-sent event.
type event struct{ name, data string }

// readEvents returns the events of a stream, in order, on a channel.
func readEvents(t *testing.T, url string) <-chan event {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET %s: %s %s", url, resp.Status, resp.Header.Get("Content-Type"))
	}
	ch := make(chan event, 100)
	go func() {
		defer resp.Body.Close()
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		var ev event
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			case line == "" && ev.name != "":
				ch <- ev
				ev = event{}
			}
		}
	}()
	t.Cleanup(func() { resp.Body.Close() })
	return ch
}

func next(t *testing.T, ch <-chan event) event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("stream ended")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return event{}
}

// waitClients polls until the hub has n clients.
func waitClients(t *testing.T, h *Hub, n int) {
	t.Helper()
	testutil.WaitFor(t, 10*time.Second, func() error {
		if c := h.Stats().Clients; c != n {
			return fmt.Errorf("hub has %d clients, want %d", c, n)
		}
		return nil
	})
}

func TestEventsSendChangesMatchingTheQuery(t *testing.T) {
	t.Parallel()
	p, srv := startPage(t, HubConfig{Interval: 10 * time.Millisecond})
	all := readEvents(t, srv.URL+"/events")
	press := readEvents(t, srv.URL+"/events?q=PRESS")
	waitClients(t, p.Hub, 2)
	p.Table.Update("umh.v1.a.Press.Temperature", []byte("21.5"), 7)
	p.Table.Update("umh.v1.a.Oven.Temperature", []byte("180"), 8)

	var got []Value
	ev := next(t, all)
	if ev.name != "values" || json.Unmarshal([]byte(ev.data), &got) != nil || len(got) != 2 {
		t.Fatalf("all: event %+v, want both values", ev)
	}
	ev = next(t, press)
	if err := json.Unmarshal([]byte(ev.data), &got); err != nil || len(got) != 1 || got[0] != (Value{Subject: "umh.v1.a.Press.Temperature", Value: "21.5", TimeMs: 7}) {
		t.Fatalf("press: event %+v, want only the press value", ev)
	}
}

func TestEventsRefuseClientsOverTheCap(t *testing.T) {
	t.Parallel()
	p, srv := startPage(t, HubConfig{MaxClients: 1})
	readEvents(t, srv.URL+"/events")
	waitClients(t, p.Hub, 1)
	resp, err := http.Get(srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || p.Hub.Stats().Refused != 1 {
		t.Fatalf("second stream: %s, refused %d; want 503 and 1", resp.Status, p.Hub.Stats().Refused)
	}
}

// TestSlowClientDropsAndResyncs fills a client's buffer without reading
// it: the hub drops and counts instead of blocking, and the client's next
// event tells it to fetch the table again.
func TestSlowClientDropsAndResyncs(t *testing.T) {
	t.Parallel()
	h := NewHub(NewTable(10), HubConfig{ClientBuffer: 1})
	c := &client{ch: make(chan []byte, 1)}
	if refusal := h.add(c); refusal != "" {
		t.Fatal(refusal)
	}
	v := []Value{{Subject: "s", Value: "1"}}
	h.send(v)
	h.send(v) // buffer full: dropped
	if h.Stats().Dropped != 1 || !c.resync.Load() {
		t.Fatalf("dropped %d, resync %v; want 1 and true", h.Stats().Dropped, c.resync.Load())
	}
	<-c.ch
	h.send(v)
	if ev := <-c.ch; string(ev) != string(resyncEvent) || c.resync.Load() {
		t.Fatalf("after the drop got %q, want the resync event", ev)
	}
}

func TestValuesEndpointSearchesAndLimits(t *testing.T) {
	t.Parallel()
	p, srv := startPage(t, HubConfig{})
	p.Table.Update("a.x", []byte("1"), 1)
	p.Table.Update("a.y", []byte("2"), 2)
	p.Table.Update("b.z", []byte("3"), 3)
	resp, err := http.Get(srv.URL + "/api/values?q=A.&limit=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r valuesReply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	if r.Matched != 2 || r.Kept != 3 || len(r.Values) != 1 || r.Values[0].Subject != "a.x" {
		t.Fatalf("reply %+v", r)
	}
	if resp, _ := http.Get(srv.URL + "/api/values?limit=x"); resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatal("limit=x accepted")
	}
	for _, path := range []string{"/", "/static/app.js", "/static/style.css"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %v %v", path, resp.Status, err)
		}
		resp.Body.Close()
	}
	resp, _ = http.Post(srv.URL+"/api/values", "text/plain", nil)
	if resp == nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatal("POST accepted: the page is read-only")
	}
}

// TestStreamsEndWhenTheHubStops: an open stream never goes idle, so the
// hub's end must end it, or the HTTP server's shutdown would wait for it.
func TestStreamsEndWhenTheHubStops(t *testing.T) {
	t.Parallel()
	p := New(10, HubConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.Hub.Run(ctx) }()
	mux := http.NewServeMux()
	p.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	events := readEvents(t, srv.URL+"/events")
	waitClients(t, p.Hub, 1)
	cancel()
	<-done
	select {
	case _, ok := <-events:
		if ok {
			t.Fatal("an event after the hub stopped")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stream is still open 10s after the hub stopped")
	}
	resp, err := http.Get(srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a stream opened after the hub stopped: %s, want 503", resp.Status)
	}
}
