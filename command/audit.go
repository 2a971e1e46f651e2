package command

import (
	"encoding/json"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"
)

// ResultOK is the result of a successful command in audit records and
// counters; failures use their error code.
const ResultOK = "ok"

// AuditRecord is what is logged, counted and optionally published for
// every write, call and guarded request (and for reads and browses: counted
// only).
type AuditRecord struct {
	Time    time.Time       `json:"time"`
	Op      string          `json:"op"`
	Who     string          `json:"who"`
	Source  string          `json:"source,omitempty"`
	Node    string          `json:"node,omitempty"`
	Subject string          `json:"subject,omitempty"`
	Method  string          `json:"method,omitempty"`
	Request json.RawMessage `json:"request,omitempty"`
	Old     any             `json:"old,omitempty"`
	New     any             `json:"new,omitempty"`
	Result  string          `json:"result"`
	Status  string          `json:"status,omitempty"`
	Message string          `json:"message,omitempty"`
}

// Count is the number of commands of one operation with one result.
type Count struct {
	Op, Result string
	N          uint64
}

// auditor logs, counts and publishes audit records.
type auditor struct {
	log     zerolog.Logger
	subject string

	// mu guards counts, nc and lost.
	mu     sync.Mutex
	counts map[[2]string]uint64
	nc     *nats.Conn
	lost   uint64 // audit records that could not be published
}

func newAuditor(log zerolog.Logger, subject string) *auditor {
	return &auditor{log: log, subject: subject, counts: map[[2]string]uint64{}}
}

// count counts one command without logging it (reads, browses, status).
func (a *auditor) count(op, result string) {
	a.mu.Lock()
	a.counts[[2]string{op, result}]++
	a.mu.Unlock()
}

// record counts, logs at info and publishes one record of a write, call or
// guarded request.
func (a *auditor) record(rec AuditRecord) {
	a.count(rec.Op, rec.Result)
	ev := a.log.Info()
	if rec.Result != ResultOK {
		ev = a.log.Warn()
	}
	ev = ev.Str("op", rec.Op).Str("who", rec.Who).Str("source", rec.Source).Str("node", rec.Node).Str("result", rec.Result)
	if rec.Subject != "" {
		ev = ev.Str("subject", rec.Subject)
	}
	if rec.Method != "" {
		ev = ev.Str("method", rec.Method)
	}
	if rec.Old != nil {
		ev = ev.Interface("old", jsonSafe(rec.Old))
	}
	if rec.New != nil {
		ev = ev.Interface("new", jsonSafe(rec.New))
	}
	if len(rec.Request) > 0 {
		ev = ev.RawJSON("requested", rec.Request)
	}
	if rec.Status != "" {
		ev = ev.Str("status", rec.Status)
	}
	if rec.Message != "" {
		ev = ev.Str("error", rec.Message)
	}
	ev.Msg("command")
	if a.subject == "" {
		return
	}
	a.mu.Lock()
	nc := a.nc
	a.mu.Unlock()
	if nc == nil {
		return
	}
	rec.Old, rec.New = jsonSafe(rec.Old), jsonSafe(rec.New)
	b, err := json.Marshal(rec)
	if err == nil {
		err = nc.Publish(a.subject, b)
	}
	if err != nil {
		a.mu.Lock()
		a.lost++
		n := a.lost
		a.mu.Unlock()
		a.log.Warn().Err(err).Str("audit_subject", a.subject).Uint64("audit_records_lost", n).Msg("audit record not published")
	}
}

// Counts returns the commands counted so far by operation and result,
// sorted.
func (s *Service) Counts() []Count {
	a := s.audit
	a.mu.Lock()
	out := make([]Count, 0, len(a.counts))
	for k, n := range a.counts {
		out = append(out, Count{Op: k[0], Result: k[1], N: n})
	}
	a.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Op != out[j].Op {
			return out[i].Op < out[j].Op
		}
		return out[i].Result < out[j].Result
	})
	return out
}

// AuditLost returns how many audit records could not be published.
func (s *Service) AuditLost() uint64 {
	s.audit.mu.Lock()
	defer s.audit.mu.Unlock()
	return s.audit.lost
}

// jsonSafe replaces the float values JSON cannot carry (NaN, ±Inf) by
// their names.
func jsonSafe(v any) any {
	name := func(f float64) (string, bool) {
		switch {
		case math.IsNaN(f):
			return "NaN", true
		case math.IsInf(f, 1):
			return "Infinity", true
		case math.IsInf(f, -1):
			return "-Infinity", true
		}
		return "", false
	}
	switch x := v.(type) {
	case float64:
		if n, ok := name(x); ok {
			return n
		}
	case float32:
		if n, ok := name(float64(x)); ok {
			return n
		}
	case []float64:
		for _, f := range x {
			if _, ok := name(f); ok {
				out := make([]any, len(x))
				for i, f := range x {
					out[i] = jsonSafe(f)
				}
				return out
			}
		}
	case []float32:
		for _, f := range x {
			if _, ok := name(float64(f)); ok {
				out := make([]any, len(x))
				for i, f := range x {
					out[i] = jsonSafe(f)
				}
				return out
			}
		}
	}
	return v
}
