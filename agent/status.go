package agent

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/edgetag/edgetag/agent/statuspage"
	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/opcua"
	"github.com/edgetag/edgetag/tag"
)

// LiveSubjects is how many subjects the status page's table of latest
// values keeps; the updates of further subjects are counted, not kept (see
// BENCHMARKS.md for its memory at this size).
const LiveSubjects = 100_000

// statusReport is the body of /api/status, what the status page shows
// besides the live values.
type statusReport struct {
	Site    string         `json:"site"`
	Time    string         `json:"time"`
	Ready   bool           `json:"ready"`
	Reasons []string       `json:"reasons,omitempty"`
	Sources []sourceReport `json:"sources"`
	Engine  engineReport   `json:"engine"`
	NATS    natsReport     `json:"nats"`
	Live    liveReport     `json:"live"`
}

type sourceReport struct {
	Name             string             `json:"name"`
	State            string             `json:"state"`
	Since            string             `json:"since,omitempty"`
	Endpoint         string             `json:"endpoint"`
	Security         string             `json:"security"`
	Mode             string             `json:"mode"`
	Nodes            int                `json:"nodes"`
	FailedItems      int                `json:"failed_items"`
	PendingBrowse    int                `json:"pending_browse"`
	Failed           []opcua.FailedItem `json:"failed"`
	Samples          uint64             `json:"samples"`
	SamplesPerSecond float64            `json:"samples_per_second"`
	Reconnects       uint64             `json:"reconnects"`
	LastError        string             `json:"last_error,omitempty"`
}

type engineReport struct {
	Samples           uint64          `json:"samples"`
	Emitted           uint64          `json:"emitted"`
	Published         uint64          `json:"published"`
	BadDropped        uint64          `json:"bad_dropped"`
	SubjectCollisions uint64          `json:"subject_collisions"`
	Failures          []failureCount  `json:"failures"`
	Recent            []failureReport `json:"recent"`
}

type failureCount struct {
	Stage  string `json:"stage"`
	Reason string `json:"reason"`
	Count  uint64 `json:"count"`
}

type failureReport struct {
	Time   string `json:"time"`
	Stage  string `json:"stage"`
	Reason string `json:"reason"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	Source string `json:"source,omitempty"`
	Node   string `json:"node,omitempty"`
	Error  string `json:"error"`
}

type natsReport struct {
	URL       string            `json:"url"`
	Connected bool              `json:"connected"`
	Published uint64            `json:"published"`
	Lost      map[string]uint64 `json:"lost,omitempty"`
	JetStream *jetStreamReady   `json:"jetstream,omitempty"`
	Leafnode  *leafnodeReady    `json:"leafnode,omitempty"`
}

type liveReport struct {
	Subjects    int    `json:"subjects"`
	MaxSubjects int    `json:"max_subjects"`
	NotKept     uint64 `json:"not_kept"`
	statuspage.HubStats
}

// statusReport gathers what /api/status serves; secrets of the site file
// are scrubbed from every text that comes from outside (errors, endpoints).
func (a *Agent) statusReport() statusReport {
	now := time.Now()
	rd := a.readiness()
	r := statusReport{Site: a.site, Time: now.UTC().Format(time.RFC3339Nano), Ready: rd.Ready, Reasons: rd.Reasons,
		Sources: []sourceReport{}}
	for _, s := range a.sourceReports() {
		st := s.st
		sr := sourceReport{
			Name: st.Name, State: string(st.State), Endpoint: a.scrub.String(s.cfg.Endpoint),
			Security: s.cfg.Security.Policy + " / " + s.cfg.Security.Mode, Mode: s.cfg.Mode,
			Nodes: st.Nodes, FailedItems: st.FailedItems, PendingBrowse: st.PendingBrowse, Failed: st.Failed,
			Samples: st.Samples, SamplesPerSecond: a.rates.rate("source "+st.Name, st.Samples, now),
			Reconnects: st.Reconnects, LastError: a.scrub.String(st.LastError),
		}
		if sr.Failed == nil {
			sr.Failed = []opcua.FailedItem{}
		}
		if sr.Mode == "" {
			sr.Mode = opcua.ModeSubscribe
		}
		if !st.Since.IsZero() {
			sr.Since = st.Since.UTC().Format(time.RFC3339)
		}
		r.Sources = append(r.Sources, sr)
	}
	slices.SortFunc(r.Sources, func(x, y sourceReport) int { return cmp.Compare(x.Name, y.Name) })

	es := a.carried.engineStats(func() engine.Stats { return a.pipe.engine.Load().Stats() })
	r.Engine = engineReport{Samples: es.Samples, Emitted: es.Emitted, Published: a.pipe.published.Load(),
		BadDropped: es.BadDropped, SubjectCollisions: es.SubjectCollisions, Failures: []failureCount{}, Recent: []failureReport{}}
	for stage, byReason := range es.Failed {
		for reason, n := range byReason {
			r.Engine.Failures = append(r.Engine.Failures, failureCount{Stage: stage, Reason: string(reason), Count: n})
		}
	}
	slices.SortFunc(r.Engine.Failures, func(x, y failureCount) int {
		return cmp.Or(cmp.Compare(y.Count, x.Count), cmp.Compare(x.Stage, y.Stage), cmp.Compare(x.Reason, y.Reason))
	})
	for _, fs := range a.failures.last() {
		r.Engine.Recent = append(r.Engine.Recent, failureReport{
			Time: fs.at.UTC().Format(time.RFC3339Nano), Stage: fs.f.Stage, Reason: string(fs.f.Reason),
			Line: fs.f.Line, Column: fs.f.Column, Source: fs.source, Node: fs.node, Error: a.scrub.String(fs.f.Error()),
		})
	}

	ss := a.sink.Stats()
	r.NATS = natsReport{URL: a.scrub.String(a.sink.ClientURL()), Connected: ss.Connected, Published: ss.Published,
		JetStream: rd.JetStream, Leafnode: rd.Leafnode}
	for k, v := range ss.Lost {
		if v > 0 {
			if r.NATS.Lost == nil {
				r.NATS.Lost = map[string]uint64{}
			}
			r.NATS.Lost[k] = v
		}
	}
	if p := a.page; p != nil {
		r.Live = liveReport{Subjects: p.Table.Len(), MaxSubjects: p.Table.Max(), NotKept: p.Table.NotKept(), HubStats: p.Hub.Stats()}
	}
	return r
}

func (a *Agent) handleStatus(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(a.statusReport())
}

// sourceSeen is a running source's configuration and status.
type sourceSeen struct {
	cfg opcua.Config
	st  opcua.Status
}

func (a *Agent) sourceReports() []sourceSeen {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]sourceSeen, 0, len(a.sources))
	for _, rs := range a.sources {
		out = append(out, sourceSeen{cfg: rs.cfg, st: a.carried.sourceStatus(rs.src.Status())})
	}
	return out
}

// showLive records a published message in the status page's table of
// latest values, once the page (or its JSON) was first asked for: until
// then the table costs nothing, and it fills as values arrive.
func (a *Agent) showLive(m *tag.Message) {
	if a.page.Table.Watched() {
		a.page.Table.Update(m.Subject, payloadValue(m.Payload), m.TimestampMs)
	}
}
