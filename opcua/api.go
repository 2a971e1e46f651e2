package opcua

// The types below are the contract between this package's parts and the
// agent. Source, NewSource, Run, Status live in source.go; Connect in
// connect.go.

import (
	"context"
	"time"

	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/tag"
)

// State is a source's connection state.
type State string

// States.
const (
	StateConnecting   State = "connecting"
	StateConnected    State = "connected"
	StateDegraded     State = "degraded" // connected, some items failed
	StateDisconnected State = "disconnected"
	StateStopped      State = "stopped"
)

// Status is a snapshot of one source for metrics and health.
type Status struct {
	Name        string
	State       State
	Since       time.Time // when State was entered
	LastError   string
	Nodes       int // variables being acquired
	FailedItems int // nodes that failed and are retried (PendingBrowse included)
	// PendingBrowse counts the nodes below browse roots whose browse
	// failed: the variables below them are missing until a retry succeeds.
	PendingBrowse int
	// Subscriptions is how many subscriptions the current session holds
	// (subscribe mode; the items are spread over them).
	Subscriptions int
	Reconnects    uint64 // successful reconnects after the first connect
	Samples       uint64 // samples emitted
	Events        uint64 // of the samples, events (see EventConfig)
	BrowseTime    time.Duration
}

// Emit hands one sample downstream. It blocks until the sample is accepted
// (backpressure) and returns ctx.Err() when ctx is done.
type Emit func(ctx context.Context, s tag.Sample) error

// Variable is one variable found by browsing (or configured directly).
type Variable struct {
	ID         *ua.NodeID
	BrowseName string
	// Path holds the browse names of the folders between the root and the
	// variable (empty for a directly configured variable).
	Path []string
	// Name, when set, is the tag's name in place of BrowseName (a
	// configured node's name; see NodeConfig.Name).
	Name string
	// DataType is the OPC UA built-in type name ("" when unknown).
	DataType    string
	AccessLevel byte
}
