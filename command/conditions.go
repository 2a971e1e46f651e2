package command

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/edgetag/edgetag/opcua"
)

// The Alarms & Conditions endpoints of the command service:
// edgetag.<site>.ack, .confirm and .comment. A request names the condition
// and the event as an alarm message carries them:
//
//	{"source": "plc", "node": <opcua_condition_id>, "event_id": <opcua_event_id>, "comment": "seen"}
//
// and is executed only when commands.allow[].endpoints lists the condition
// for that endpoint (guarded like writes, audited and counted like them).

// conditionMethods is what the endpoints need of a source; *opcua.Source
// has them.
type conditionMethods interface {
	Acknowledge(ctx context.Context, condition string, eventID []byte, comment string) error
	Confirm(ctx context.Context, condition string, eventID []byte, comment string) error
	AddComment(ctx context.Context, condition string, eventID []byte, comment string) error
}

var _ conditionMethods = (*opcua.Source)(nil)

// conditionEndpoints maps each endpoint name to the method it calls.
var conditionEndpoints = map[string]func(conditionMethods, context.Context, string, []byte, string) error{
	"ack":     conditionMethods.Acknowledge,
	"confirm": conditionMethods.Confirm,
	"comment": conditionMethods.AddComment,
}

// conditionRequest is the part of a request the endpoints read beside
// source and node.
type conditionRequest struct {
	EventID string `json:"event_id"`
	Comment string `json:"comment"`
}

// ConditionEndpoints are the names of the endpoints AddConditionEndpoints
// adds, the names commands.allow[].endpoints[] may use for them.
var ConditionEndpoints = []string{"ack", "confirm", "comment"}

// AddConditionEndpoints adds the ack, confirm and comment endpoints (see
// AddGuarded); like AddGuarded it must be called before Run.
func (s *Service) AddConditionEndpoints() error {
	for _, name := range ConditionEndpoints {
		if err := s.AddGuarded(name, conditionHandler(conditionEndpoints[name])); err != nil {
			return err
		}
	}
	return nil
}

func conditionHandler(call func(conditionMethods, context.Context, string, []byte, string) error) GuardedFunc {
	return func(ctx context.Context, src Source, node string, raw json.RawMessage) (any, error) {
		var req conditionRequest
		if err := json.Unmarshal(raw, &req); err != nil {
			return nil, &opcua.CommandError{Code: opcua.CodeInvalidRequest, Msg: err.Error()}
		}
		eventID, err := base64.StdEncoding.DecodeString(req.EventID)
		if err != nil || len(eventID) == 0 {
			return nil, &opcua.CommandError{Code: opcua.CodeInvalidRequest,
				Msg: fmt.Sprintf("event_id %q: want the opcua_event_id of the alarm's message (base64)", req.EventID)}
		}
		m, ok := src.(conditionMethods)
		if !ok {
			return nil, &opcua.CommandError{Code: opcua.CodeInvalidRequest, Msg: "this source has no alarms and conditions"}
		}
		return nil, call(m, ctx, node, eventID, req.Comment)
	}
}
