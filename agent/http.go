package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/edgetag/edgetag/opcua"
)

// serveHTTP serves /metrics, /healthz and /readyz on listen. The listener is
// opened before it returns, so a port in use fails the start with a clear
// error.
func (a *Agent) serveHTTP(listen string) (*http.Server, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", listen, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(a.metrics.reg, promhttp.HandlerOpts{ErrorLog: nil}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", a.handleReady)
	// Profiles for diagnosing a running gateway (the listener is loopback
	// by default).
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error().Err(err).Str("listen", listen).Msg("http server stopped")
		}
	}()
	a.log.Info().Str("listen", ln.Addr().String()).Msg("serving /metrics /healthz /readyz")
	return srv, nil
}

// readiness is the /readyz body: ready when the sink can publish and every
// source is connected (degraded counts as connected: its good nodes flow).
type readiness struct {
	Ready   bool          `json:"ready"`
	NATS    bool          `json:"nats"`
	Sources []sourceReady `json:"sources"`
	Reasons []string      `json:"reasons,omitempty"`
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
	r := readiness{NATS: a.sink.Ready(), Ready: true}
	if !r.NATS {
		r.Ready = false
		r.Reasons = append(r.Reasons, "nats not connected")
	}
	for _, s := range a.sourceStatuses() {
		sr := sourceReady{Name: s.Name, State: string(s.State), FailedItems: s.FailedItems,
			PendingBrowse: s.PendingBrowse, LastError: s.LastError}
		if !s.Since.IsZero() {
			sr.Since = s.Since.UTC().Format(time.RFC3339)
		}
		if s.State != opcua.StateConnected && s.State != opcua.StateDegraded {
			r.Ready = false
			r.Reasons = append(r.Reasons, fmt.Sprintf("source %s %s", s.Name, s.State))
		}
		r.Sources = append(r.Sources, sr)
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
