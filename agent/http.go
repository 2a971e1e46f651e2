package agent

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/edgetag/edgetag/agent/siteconfig"
	"github.com/edgetag/edgetag/opcua"
	"github.com/edgetag/edgetag/sink"
)

// httpServer is the running HTTP listener and the status page's event
// hub, stopped together by shutdown.
type httpServer struct {
	srv     *http.Server
	stopHub context.CancelFunc
	hubDone chan struct{}
}

// shutdown ends the status page's event streams (they never go idle on
// their own), then shuts the server down within ctx and waits for the hub.
func (h *httpServer) shutdown(ctx context.Context) {
	h.stopHub()
	_ = h.srv.Shutdown(ctx)
	<-h.hubDone
}

// serveHTTP serves /metrics, /healthz, /readyz and the status page (/,
// /api/status, /api/values, /events) on cfg.HTTPListen, over TLS when
// cfg.HTTPTLS is set, and /debug/pprof/ when cfg.HTTPPprof is. The
// listener is opened before it returns, so a port in use or a bad
// certificate fails the start with a clear error. The status page's hub
// runs until shutdown or until ctx is done.
func (a *Agent) serveHTTP(ctx context.Context, cfg *siteconfig.Config) (*httpServer, error) {
	listen := cfg.HTTPListen
	tc, err := httpTLSConfig(cfg.HTTPTLS)
	if err != nil {
		return nil, fmt.Errorf("http.tls: %w", err)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", listen, err)
	}
	if tc != nil {
		ln = tls.NewListener(ln, tc)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(a.metrics.reg, promhttp.HandlerOpts{ErrorLog: nil}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", a.handleReady)
	mux.HandleFunc("GET /api/status", a.handleStatus)
	a.page.Register(mux)
	if cfg.HTTPPprof {
		// Profiles for diagnosing a running gateway, only when asked for:
		// they reveal memory contents and cost CPU.
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	hubCtx, stopHub := context.WithCancel(ctx)
	hubDone := make(chan struct{})
	go func() {
		defer close(hubDone)
		a.page.Hub.Run(hubCtx)
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error().Err(err).Str("listen", listen).Msg("http server stopped")
		}
	}()
	a.log.Info().Str("listen", ln.Addr().String()).Bool("tls", tc != nil).Bool("pprof", cfg.HTTPPprof).
		Msg("serving the status page and /metrics /healthz /readyz")
	return &httpServer{srv: srv, stopHub: stopHub, hubDone: hubDone}, nil
}

// httpTLSConfig loads the HTTP listener's certificate and, with a CA,
// requires client certificates signed by it; nil when TLS is off.
func httpTLSConfig(t sink.ServerTLS) (*tls.Config, error) {
	if !t.Enabled() {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(t.Cert, t.Key)
	if err != nil {
		return nil, fmt.Errorf("certificate %s / key %s: %w", t.Cert, t.Key, err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if t.CA != "" {
		pool, err := sink.LoadCertPool(t.CA)
		if err != nil {
			return nil, err
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

// readiness is the /readyz body: ready when the sink can publish, every
// source is connected (degraded counts as connected: its good nodes flow)
// and no engine runtime is stuck in a script past its deadline.
type readiness struct {
	Ready     bool            `json:"ready"`
	NATS      bool            `json:"nats"`
	JetStream *jetStreamReady `json:"jetstream,omitempty"`
	Leafnode  *leafnodeReady  `json:"leafnode,omitempty"`
	Sources   []sourceReady   `json:"sources"`
	Reasons   []string        `json:"reasons,omitempty"`
}

// jetStreamReady is the stream as /readyz shows it: how full the buffer is,
// how much of it no consumer (a hub) has been delivered yet, and what is
// wrong with it, if anything.
type jetStreamReady struct {
	Messages         uint64            `json:"messages"`
	Bytes            uint64            `json:"bytes"`
	MaxBytes         int64             `json:"max_bytes"`
	Unsent           uint64            `json:"unsent"`
	UnsentAgeSeconds float64           `json:"unsent_age_seconds"`
	BufferSeconds    float64           `json:"buffer_seconds"`
	Discarded        map[string]uint64 `json:"discarded,omitempty"`
	Problem          string            `json:"problem,omitempty"`
}

// leafnodeReady is the uplink's state. A gateway whose uplink is down stays
// ready: it stores what it publishes and forwards it once the link is back
// (the unsent count shows how much waits).
type leafnodeReady struct {
	Connected bool `json:"connected"`
}

type sourceReady struct {
	Name        string `json:"name"`
	State       string `json:"state"`
	Since       string `json:"since,omitempty"`
	FailedItems int    `json:"failed_items,omitempty"`
	LastError   string `json:"last_error,omitempty"`

	// PendingBrowse counts nodes whose browse failed (part of FailedItems).
	PendingBrowse int `json:"pending_browse,omitempty"`
}

func (a *Agent) readiness() readiness {
	notReady := a.sink.NotReady()
	r := readiness{NATS: len(notReady) == 0, Ready: len(notReady) == 0, Reasons: notReady}
	ss := a.sink.Stats()
	if st := ss.Stream; st.Watched {
		r.JetStream = &jetStreamReady{
			Messages: st.Messages, Bytes: st.Bytes, MaxBytes: st.MaxBytes,
			Unsent: st.Unsent, UnsentAgeSeconds: st.UnsentAge.Seconds(), BufferSeconds: st.BufferSeconds, Problem: st.Problem,
		}
		for k, v := range st.Discarded {
			if v > 0 {
				if r.JetStream.Discarded == nil {
					r.JetStream.Discarded = map[string]uint64{}
				}
				r.JetStream.Discarded[k] = v
			}
		}
	}
	if ss.Leafnode {
		r.Leafnode = &leafnodeReady{Connected: ss.LeafnodeConnected}
	}
	for _, s := range a.sourceStatuses() {
		sr := sourceReady{Name: s.Name, State: string(s.State), FailedItems: s.FailedItems,
			PendingBrowse: s.PendingBrowse, LastError: a.scrub.String(s.LastError)}
		if !s.Since.IsZero() {
			sr.Since = s.Since.UTC().Format(time.RFC3339)
		}
		if s.State != opcua.StateConnected && s.State != opcua.StateDegraded {
			r.Ready = false
			r.Reasons = append(r.Reasons, fmt.Sprintf("source %s %s", s.Name, s.State))
		}
		r.Sources = append(r.Sources, sr)
	}
	if n := a.pipe.engine.Load().Stuck(); n > 0 {
		// Replaced in the pool, so values flow; but each holds a core
		// and its memory until the built-in returns.
		r.Ready = false
		r.Reasons = append(r.Reasons, fmt.Sprintf("engine: %d runtime(s) stuck in a script past the deadline", n))
	}
	return r
}

func (a *Agent) handleReady(w http.ResponseWriter, r *http.Request) {
	rd := a.readiness()
	w.Header().Set("Content-Type", "application/json")
	if !rd.Ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(rd)
}
