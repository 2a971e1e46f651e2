package opcua

import (
	"context"
	"errors"
	"fmt"

	gopcua "github.com/gopcua/opcua"
	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"
)

// liveSession is what the condition methods need of a connected session.
// Immutable.
type liveSession struct {
	c          *gopcua.Client
	namespaces []string
}

// Codes of a ConditionError, named for the command service's replies.
const (
	// CodeSourceDown: the source has no connected session, or the request
	// got no answer.
	CodeSourceDown = "source_down"
	// CodeUnknownNode: the server knows no such condition (or it has no
	// such method: not an acknowledgeable condition).
	CodeUnknownNode = "unknown_node"
	// CodeUnknownEvent: the condition has no event of that EventId (its
	// state changed since; acknowledge the latest event).
	CodeUnknownEvent = "unknown_event"
	// CodeInvalid: the request itself is wrong (an unparsable node id, an
	// empty EventId).
	CodeInvalid = "invalid_argument"
	// CodeBadStatus: the server refused the call with another status
	// (BadConditionBranchAlreadyAcked, BadUserAccessDenied, ...).
	CodeBadStatus = "bad_status"
)

// ConditionError is the error of Acknowledge, Confirm and AddComment: Code
// says which kind of failure (the Code* constants), Status the server's
// status when it gave one.
type ConditionError struct {
	Op        string // acknowledge, confirm, comment
	Condition string
	Code      string
	Status    ua.StatusCode // 0 when the server gave none
	Err       error
}

// Error renders "<op> <condition>: <code>: <cause>".
func (e *ConditionError) Error() string {
	return fmt.Sprintf("%s %s: %s: %v", e.Op, e.Condition, e.Code, e.Err)
}

// Unwrap returns the cause.
func (e *ConditionError) Unwrap() error { return e.Err }

// ErrSourceDown is the cause of a CodeSourceDown error without a session.
var ErrSourceDown = errors.New("source not connected")

// Acknowledge calls Acknowledge (Part 9, AcknowledgeableConditionType) on
// the condition (its node id, MetaConditionID of its event) for the event
// eventID (the EventId, decoded from MetaEventID) with comment, through
// the source's current session. Safe for concurrent use while Run runs.
// The error is a *ConditionError.
func (s *Source) Acknowledge(ctx context.Context, condition string, eventID []byte, comment string) error {
	return s.callCondition(ctx, "acknowledge", condition, id.AcknowledgeableConditionType_Acknowledge, eventID, comment)
}

// Confirm calls Confirm (AcknowledgeableConditionType) like Acknowledge.
func (s *Source) Confirm(ctx context.Context, condition string, eventID []byte, comment string) error {
	return s.callCondition(ctx, "confirm", condition, id.AcknowledgeableConditionType_Confirm, eventID, comment)
}

// AddComment calls AddComment (ConditionType) like Acknowledge.
func (s *Source) AddComment(ctx context.Context, condition string, eventID []byte, comment string) error {
	return s.callCondition(ctx, "comment", condition, id.ConditionType_AddComment, eventID, comment)
}

// callCondition calls method (a method of the condition's type, called on
// the condition) with the EventId and comment, bounded by RequestTimeout.
func (s *Source) callCondition(ctx context.Context, op, condition string, method uint32, eventID []byte, comment string) error {
	fail := func(code string, st ua.StatusCode, err error) error {
		return &ConditionError{Op: op, Condition: condition, Code: code, Status: st, Err: err}
	}
	live := s.live.Load()
	if live == nil {
		return fail(CodeSourceDown, 0, ErrSourceDown)
	}
	obj, err := ParseNodeID(condition, live.namespaces)
	if err != nil {
		return fail(CodeInvalid, 0, err)
	}
	if len(eventID) == 0 {
		return fail(CodeInvalid, 0, errors.New("empty EventId"))
	}
	rctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	res, err := live.c.Call(rctx, &ua.CallMethodRequest{
		ObjectID: obj,
		MethodID: ua.NewNumericNodeID(0, method),
		InputArguments: []*ua.Variant{
			ua.MustVariant(eventID),
			ua.MustVariant(&ua.LocalizedText{Text: comment, EncodingMask: ua.LocalizedTextText}),
		},
	})
	if err != nil {
		var st ua.StatusCode
		if errors.As(err, &st) {
			return fail(CodeBadStatus, st, err)
		}
		return fail(CodeSourceDown, 0, err)
	}
	switch st := res.StatusCode; {
	case st == ua.StatusOK || !isBad(st):
		s.log.Info().Str("op", op).Str("condition", condition).Msg("condition method called")
		return nil
	case st == ua.StatusBadNodeIDUnknown || st == ua.StatusBadNodeIDInvalid || st == ua.StatusBadMethodInvalid:
		return fail(CodeUnknownNode, st, st)
	case st == ua.StatusBadEventIDUnknown:
		return fail(CodeUnknownEvent, st, st)
	default:
		return fail(CodeBadStatus, st, st)
	}
}
