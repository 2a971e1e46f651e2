package statuspage

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// HubConfig bounds the live updates. Zero values take the defaults.
type HubConfig struct {
	// Interval is how often changes are sent (default 500ms).
	Interval time.Duration
	// Batch is the most changes taken from the table per interval (default
	// 2000); more wait for the next one, so a client receives at most
	// Batch/Interval values per second.
	Batch int
	// MaxClients is the most event streams open at once (default 8); more
	// are refused with 503.
	MaxClients int
	// ClientBuffer is how many events wait for a slow client (default 4);
	// when it is full the event is dropped, counted, and the client told to
	// fetch the table again.
	ClientBuffer int
	// KeepAlive is how often an idle stream gets a comment, so proxies and
	// the browser keep it open (default 15s).
	KeepAlive time.Duration
}

func (c HubConfig) withDefaults() HubConfig {
	if c.Interval <= 0 {
		c.Interval = 500 * time.Millisecond
	}
	if c.Batch <= 0 {
		c.Batch = 2000
	}
	if c.MaxClients <= 0 {
		c.MaxClients = 8
	}
	if c.ClientBuffer <= 0 {
		c.ClientBuffer = 4
	}
	if c.KeepAlive <= 0 {
		c.KeepAlive = 15 * time.Second
	}
	return c
}

// Hub sends the table's changes to every open event stream (ServeEvents).
// Run owns the sending; a slow client never holds it up: its events are
// dropped and counted instead.
type Hub struct {
	table *Table
	cfg   HubConfig

	done    chan struct{} // closed when Run returns; streams then end
	dropped atomic.Uint64 // events not delivered to a slow client
	refused atomic.Uint64 // streams refused over MaxClients

	mu      sync.Mutex // guards clients
	clients map[*client]struct{}
}

// client is one open event stream.
type client struct {
	query string // lower case; only matching subjects are sent
	ch    chan []byte
	// resync is set when an event was dropped: the next event sent tells
	// the page to fetch the table again instead of applying changes.
	resync atomic.Bool
}

// NewHub returns a hub sending table's changes; it sends nothing until Run.
func NewHub(table *Table, cfg HubConfig) *Hub {
	return &Hub{table: table, cfg: cfg.withDefaults(), done: make(chan struct{}), clients: map[*client]struct{}{}}
}

// Run sends the changes every Interval until ctx is done, then ends every
// open stream and returns.
func (h *Hub) Run(ctx context.Context) {
	defer close(h.done)
	tick := time.NewTicker(h.cfg.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			h.send(h.table.Changes(h.cfg.Batch))
		}
	}
}

// send hands each client the changes it asked for, without blocking.
func (h *Hub) send(changes []Value) {
	if len(changes) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var all []byte // the event for clients without a query, encoded once
	for c := range h.clients {
		if c.resync.Load() {
			if h.offer(c, resyncEvent) {
				c.resync.Store(false)
			}
			continue
		}
		var ev []byte
		if c.query == "" {
			if all == nil {
				all = valuesEvent(changes)
			}
			ev = all
		} else {
			var mine []Value
			for _, v := range changes {
				if Matches(v.Subject, c.query) {
					mine = append(mine, v)
				}
			}
			if len(mine) == 0 {
				continue
			}
			ev = valuesEvent(mine)
		}
		if !h.offer(c, ev) {
			c.resync.Store(true)
		}
	}
}

// offer queues ev for c unless its buffer is full (then counts a drop).
func (h *Hub) offer(c *client, ev []byte) bool {
	select {
	case c.ch <- ev:
		return true
	default:
		h.dropped.Add(1)
		return false
	}
}

var resyncEvent = []byte("event: resync\ndata: {}\n\n")

// valuesEvent encodes changes as one "values" event.
func valuesEvent(changes []Value) []byte {
	data, _ := json.Marshal(changes) // strings and ints only: cannot fail
	ev := make([]byte, 0, len(data)+24)
	ev = append(ev, "event: values\ndata: "...)
	ev = append(ev, data...)
	return append(ev, "\n\n"...)
}

// ServeEvents streams the table's changes as server-sent events ("values":
// a JSON array of Value; "resync": events were dropped, fetch the table
// again) for subjects matching the q parameter, until the client leaves or
// Run ends.
func (h *Hub) ServeEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	c := &client{query: strings.ToLower(r.URL.Query().Get("q")), ch: make(chan []byte, h.cfg.ClientBuffer)}
	if refusal := h.add(c); refusal != "" {
		h.refused.Add(1)
		http.Error(w, refusal, http.StatusServiceUnavailable)
		return
	}
	defer h.remove(c)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write([]byte("retry: 2000\n\n")); err != nil {
		return
	}
	if rc.Flush() != nil {
		return
	}
	keep := time.NewTicker(h.cfg.KeepAlive)
	defer keep.Stop()
	for {
		var ev []byte
		select {
		case <-r.Context().Done():
			return
		case <-h.done:
			return
		case ev = <-c.ch:
		case <-keep.C:
			ev = []byte(": keep-alive\n\n")
		}
		// A client that stops reading ends its stream instead of holding
		// this goroutine (and the shutdown) forever.
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := w.Write(ev); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
	}
}

// writeTimeout bounds writing one event to a client.
const writeTimeout = 10 * time.Second

// add registers c, or says why not.
func (h *Hub) add(c *client) (refusal string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-h.done:
		return "the agent is shutting down"
	default:
	}
	if len(h.clients) >= h.cfg.MaxClients {
		return fmt.Sprintf("too many live views open (at most %d)", h.cfg.MaxClients)
	}
	h.clients[c] = struct{}{}
	return ""
}

func (h *Hub) remove(c *client) {
	h.mu.Lock()
	delete(h.clients, c)
	h.mu.Unlock()
}

// HubStats is a snapshot of the hub's counters.
type HubStats struct {
	Clients    int    `json:"clients"`
	MaxClients int    `json:"max_clients"`
	Dropped    uint64 `json:"dropped_events"`
	Refused    uint64 `json:"refused_clients"`
}

// Stats returns the hub's counters.
func (h *Hub) Stats() HubStats {
	h.mu.Lock()
	n := len(h.clients)
	h.mu.Unlock()
	return HubStats{Clients: n, MaxClients: h.cfg.MaxClients, Dropped: h.dropped.Load(), Refused: h.refused.Load()}
}
