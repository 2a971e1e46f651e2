package opcua

import (
	"context"
	"errors"
	"fmt"
	"sync"

	gopcua "github.com/gopcua/opcua"
	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"
	"github.com/rs/zerolog"
)

// Commands (write, read, call, browse on demand) use the running source's
// own session: the client of the current session is published while the
// session is active (Source.live) and withdrawn before its client is
// closed. A command never opens a session of its own, never waits for a
// reconnect (no session: ErrSourceDown at once) and never runs on the
// goroutine that acquires values, so a slow command cannot delay a sample.
// At most maxCommandsInFlight commands per source are in flight; more wait
// for a slot until their context ends.

// ErrorCode is the stable code of a failed command, as the command service
// sends it to its clients.
type ErrorCode string

// Error codes of commands.
const (
	// CodeNotAllowed: the allow-list or a limit refuses the command.
	CodeNotAllowed ErrorCode = "not_allowed"
	// CodeUnknownNode: the server does not know the node (or the source).
	CodeUnknownNode ErrorCode = "unknown_node"
	// CodeTypeMismatch: the value does not fit the node's data type or
	// value rank (1.5 for an Int32, a string for a Double).
	CodeTypeMismatch ErrorCode = "type_mismatch"
	// CodeOutOfRange: a number outside the data type's range (300 for a
	// Byte) or outside a configured min/max.
	CodeOutOfRange ErrorCode = "out_of_range"
	// CodeBadStatus: the server answered with a bad status; Status names it.
	CodeBadStatus ErrorCode = "bad_status"
	// CodeTimeout: the command's deadline passed.
	CodeTimeout ErrorCode = "timeout"
	// CodeSourceDown: the source has no active session.
	CodeSourceDown ErrorCode = "source_down"
	// CodeInvalidRequest: the request itself is malformed.
	CodeInvalidRequest ErrorCode = "invalid_request"
	// CodeVerifyFailed: a write succeeded but reading the node back gave a
	// different value (write with verify).
	CodeVerifyFailed ErrorCode = "verify_failed"
	// CodeRateLimited: a per-node rate limit refused the write.
	CodeRateLimited ErrorCode = "rate_limited"
	// CodeUnknownEvent: a condition has no event of that EventId (its
	// state changed since; acknowledge or confirm the latest event).
	CodeUnknownEvent ErrorCode = "unknown_event"
)

// CommandError is the failure of one command or of one item of a batch.
type CommandError struct {
	Code ErrorCode
	// Status is the OPC UA status name (BadNotWritable) when the server
	// gave one.
	Status string
	Msg    string
}

func (e *CommandError) Error() string {
	if e.Status != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Msg, e.Status)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Msg)
}

// ErrSourceDown is the error (a *CommandError with CodeSourceDown) of a
// command sent to a source without an active session.
var ErrSourceDown = &CommandError{Code: CodeSourceDown, Msg: "the source is not connected"}

// Is makes errors.Is(err, ErrSourceDown) match any source_down error.
func (e *CommandError) Is(target error) bool {
	return target == ErrSourceDown && e.Code == CodeSourceDown
}

func cmdErr(code ErrorCode, format string, args ...any) *CommandError {
	return &CommandError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// statusErr maps a bad OPC UA status of one node to a command error.
func statusErr(st ua.StatusCode, what string) *CommandError {
	name := StatusName(uint32(st))
	switch st {
	case ua.StatusBadNodeIDUnknown, ua.StatusBadNodeIDInvalid:
		return &CommandError{Code: CodeUnknownNode, Status: name, Msg: what + ": the server does not know the node"}
	case ua.StatusBadTypeMismatch:
		return &CommandError{Code: CodeTypeMismatch, Status: name, Msg: what + ": the server refused the value's type"}
	case ua.StatusBadOutOfRange:
		return &CommandError{Code: CodeOutOfRange, Status: name, Msg: what + ": the server refused the value as out of range"}
	case ua.StatusBadTimeout:
		return &CommandError{Code: CodeTimeout, Status: name, Msg: what + ": the server timed out"}
	}
	return &CommandError{Code: CodeBadStatus, Status: name, Msg: what + ": the server answered " + name}
}

// requestErr maps the error of a whole request to a command error: the
// command's deadline is a timeout, a lost session or a client no longer
// connected is source_down, a bad service result and anything else (a
// response the client could not decode) is bad_status.
func requestErr(ctx context.Context, live *liveSession, err error, what string) *CommandError {
	var ce *CommandError
	if errors.As(err, &ce) {
		return ce
	}
	if live.lost.Err() != nil {
		return &CommandError{Code: CodeSourceDown, Msg: what + ": the connection was lost"}
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ua.StatusBadTimeout) {
		return &CommandError{Code: CodeTimeout, Msg: what + ": no answer before the deadline"}
	}
	if ctx.Err() != nil {
		return &CommandError{Code: CodeTimeout, Msg: what + ": cancelled"}
	}
	var st ua.StatusCode
	if errors.As(err, &st) {
		return statusErr(st, what)
	}
	if live.c.State() != gopcua.Connected {
		return &CommandError{Code: CodeSourceDown, Msg: fmt.Sprintf("%s: %v", what, err)}
	}
	return &CommandError{Code: CodeBadStatus, Msg: fmt.Sprintf("%s: %v", what, err)}
}

// maxCommandsInFlight bounds the command requests one source has in flight
// on its session.
const maxCommandsInFlight = 4

// defaultCommandBatch is the items per Write or Call request when the
// server announces no OperationLimits for it.
const defaultCommandBatch = 1000

// liveSession is what commands need of an active session. It is created
// when the session is active and dropped before its client is closed.
type liveSession struct {
	c          *gopcua.Client
	lost       context.Context // done when the session is lost or ends
	namespaces []string
	readBatch  int
	log        zerolog.Logger

	// mu guards the fields below: the server's write and call limits (read
	// on first use) and the node metadata read so far.
	mu          sync.Mutex
	limitsRead  bool
	writeBatch  int
	callBatch   int
	nodes       map[string]*nodeMeta // node id string -> metadata
	methodsArgs map[string][]argSpec // method node id string -> input arguments
	typeNames   map[string]string    // data type id string -> built-in type name

	// structs are the structure definitions of writes and reads
	// (commandstruct.go); they have their own lock.
	structs *commandStructs
}

// maxCachedNodes bounds the node metadata cached per session.
const maxCachedNodes = 100000

// nodeMeta is what a write needs to know about a variable, read from the
// server once per session.
type nodeMeta struct {
	DataType   *ua.NodeID
	TypeName   string // built-in type name ("" when not resolved)
	ValueRank  int32
	UserAccess byte
}

// argSpec is one input argument of a method.
type argSpec struct {
	Name      string
	TypeName  string
	ValueRank int32
	DataType  *ua.NodeID // the argument's data type (structures are encoded from its definition)
}

func newLiveSession(ss *session) *liveSession {
	l := &liveSession{
		c: ss.c, lost: ss.lost, namespaces: ss.namespaces, readBatch: ss.limits.Read, log: ss.log,
		nodes: map[string]*nodeMeta{}, methodsArgs: map[string][]argSpec{}, typeNames: map[string]string{},
	}
	l.structs = newCommandStructs(l)
	return l
}

// acquire returns the live session and holds one of the source's command
// slots until release; ErrSourceDown when there is no active session.
func (s *Source) acquire(ctx context.Context) (*liveSession, func(), error) {
	live := s.live.Load()
	if live == nil || live.lost.Err() != nil {
		return nil, nil, ErrSourceDown
	}
	select {
	case s.cmdSlots <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, cmdErr(CodeTimeout, "no command slot free before the deadline (%d commands in flight)", maxCommandsInFlight)
	case <-live.lost.Done():
		return nil, nil, ErrSourceDown
	}
	return live, func() { <-s.cmdSlots }, nil
}

// requestCtx bounds ctx by the session: a lost session ends the request.
func (l *liveSession) requestCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	rctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(l.lost, cancel)
	return rctx, func() { stop(); cancel() }
}

// commandLimits returns the items per Write and per Call request: the
// server's OperationLimits MaxNodesPerWrite and MaxNodesPerMethodCall (read
// once per session), defaultCommandBatch when it announces none.
func (l *liveSession) commandLimits(ctx context.Context) (write, call int) {
	l.mu.Lock()
	if l.limitsRead {
		defer l.mu.Unlock()
		return l.writeBatch, l.callBatch
	}
	l.mu.Unlock()
	write, call = defaultCommandBatch, defaultCommandBatch
	req := &ua.ReadRequest{TimestampsToReturn: ua.TimestampsToReturnNeither, NodesToRead: []*ua.ReadValueID{
		{NodeID: ua.NewNumericNodeID(0, id.Server_ServerCapabilities_OperationLimits_MaxNodesPerWrite), AttributeID: ua.AttributeIDValue},
		{NodeID: ua.NewNumericNodeID(0, id.Server_ServerCapabilities_OperationLimits_MaxNodesPerMethodCall), AttributeID: ua.AttributeIDValue},
	}}
	res, err := l.c.Read(ctx, req)
	if err != nil {
		return write, call // not cached: asked again next time
	}
	for i, dst := range []*int{&write, &call} {
		if i < len(res.Results) && res.Results[i] != nil && res.Results[i].Status == ua.StatusOK && res.Results[i].Value != nil {
			if v, ok := res.Results[i].Value.Value().(uint32); ok && v > 0 && int(v) < *dst {
				*dst = int(v)
			}
		}
	}
	l.mu.Lock()
	l.limitsRead, l.writeBatch, l.callBatch = true, write, call
	l.mu.Unlock()
	return write, call
}

// parseNode parses a node id of a command against the session's
// namespaces.
func (l *liveSession) parseNode(s string) (*ua.NodeID, *CommandError) {
	n, err := ParseNodeID(s, l.namespaces)
	if err != nil {
		if errors.Is(err, ErrUnknownNamespace) {
			return nil, cmdErr(CodeUnknownNode, "node %q: %v", s, err)
		}
		return nil, cmdErr(CodeInvalidRequest, "node %q: %v", s, err)
	}
	return n, nil
}
