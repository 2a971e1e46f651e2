package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/tag"
)

// errorRecord is what is published on nats.errors_subject for a failed
// message: the original sample and the error.
type errorRecord struct {
	Error    string         `json:"error"`
	Stage    string         `json:"stage"`
	Reason   string         `json:"reason"`
	Line     int            `json:"line,omitempty"`
	Column   int            `json:"column,omitempty"`
	Site     string         `json:"site"`
	Source   string         `json:"source,omitempty"`
	NodeID   string         `json:"node_id,omitempty"`
	TagPath  string         `json:"tag_path,omitempty"`
	DataType string         `json:"data_type,omitempty"`
	Value    any            `json:"value"`
	Status   uint32         `json:"status_code"`
	Times    map[string]any `json:"timestamps,omitempty"`
}

// onFailure publishes a failed sample on the errors subject when one is
// configured, and keeps it for the status page. The engine has already
// counted and logged the failure.
func (a *Agent) onFailure(ctx context.Context, s *tag.Sample, f engine.Failure) {
	if f.Reason != engine.ReasonFiltered {
		a.failures.add(s, f)
	}
	subject := a.errorsSubject
	if subject == "" || f.Reason == engine.ReasonFiltered {
		return
	}
	rec := errorRecord{
		Error: f.Error(), Stage: f.Stage, Reason: string(f.Reason), Line: f.Line, Column: f.Column,
		Site: a.site, Value: s.Value, Status: s.Status, Times: map[string]any{},
	}
	if n := s.Node; n != nil {
		rec.Source, rec.NodeID, rec.TagPath, rec.DataType = n.Source(), n.ID, n.Path, n.DataType
	}
	for k, t := range map[string]time.Time{"source": s.SourceTime, "server": s.ServerTime, "received": s.ReceivedAt} {
		if !t.IsZero() {
			rec.Times[k] = t.UTC().Format(time.RFC3339Nano)
		}
	}
	payload, err := json.Marshal(rec)
	if err != nil {
		// Values JSON cannot carry (NaN, ±Inf, exotic types) are sent as text.
		rec.Value = fmt.Sprint(s.Value)
		payload, _ = json.Marshal(rec)
	}
	m := tag.Message{Subject: subject, Payload: payload, Node: s.Node, SourceTime: s.SourceTime, TimestampMs: time.Now().UnixMilli()}
	if err := a.sink.Publish(ctx, &m); err != nil {
		a.log.Warn().Err(err).Str("subject", subject).Msg("publishing a failure on the errors subject")
	}
}
