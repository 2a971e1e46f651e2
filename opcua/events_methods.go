package opcua

import (
	"context"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"
)

// Acknowledge calls Acknowledge (Part 9, AcknowledgeableConditionType) on
// the condition (its node id, MetaConditionID of its event) for the event
// eventID (the EventId, decoded from MetaEventID) with comment, through
// the source's current session. Safe for concurrent use while Run runs.
// The error is a *CommandError (command.go), with the codes of the command service.
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
// the condition) with the EventId and comment, through the session the
// commands use (command.go: one of the source's command slots, the
// request timeout, the same error codes).
func (s *Source) callCondition(ctx context.Context, op, condition string, method uint32, eventID []byte, comment string) error {
	if len(eventID) == 0 {
		return cmdErr(CodeInvalidRequest, "%s %s: empty EventId", op, condition)
	}
	live, release, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	obj, cerr := live.parseNode(condition)
	if cerr != nil {
		return cerr
	}
	rctx, cancel := live.requestCtx(ctx)
	defer cancel()
	what := op + " " + condition
	res, err := live.c.Call(rctx, &ua.CallMethodRequest{
		ObjectID: obj,
		MethodID: ua.NewNumericNodeID(0, method),
		InputArguments: []*ua.Variant{
			ua.MustVariant(eventID),
			ua.MustVariant(&ua.LocalizedText{Text: comment, EncodingMask: ua.LocalizedTextText}),
		},
	})
	if err != nil {
		return requestErr(rctx, live, err, what)
	}
	switch st := res.StatusCode; {
	case st == ua.StatusOK || !isBad(st):
		s.log.Info().Str("op", op).Str("condition", condition).Msg("condition method called")
		return nil
	case st == ua.StatusBadMethodInvalid:
		return &CommandError{Code: CodeUnknownNode, Status: StatusName(uint32(st)), Msg: what + ": not an acknowledgeable condition"}
	case st == ua.StatusBadEventIDUnknown:
		return &CommandError{Code: CodeUnknownEvent, Status: StatusName(uint32(st)), Msg: what + ": the condition has no event of that EventId (acknowledge its latest event)"}
	default:
		return statusErr(st, what)
	}
}
