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
	// UndecodedStructures counts structure values whose body did not
	// decode from the loaded definition; they are published as type_id
	// and raw body instead (one warning per type in the log).
	UndecodedStructures uint64
	// UnnamedEnumValues counts enumeration numbers that have no name in
	// their enumeration, when Config.Enums names them; they are published
	// as their number (one warning per type in the log).
	UnnamedEnumValues uint64
	BrowseTime        time.Duration
	// Failed lists some of the failed items (at most MaxFailedListed, in
	// node order: roots, pending browses, then items), for a person to see
	// which nodes and why; FailedItems is the full count.
	Failed []FailedItem
}

// MaxFailedListed bounds Status.Failed, so a source with thousands of bad
// nodes costs no more than this to report.
const MaxFailedListed = 50

// FailedItem is one node a source does not acquire, and why.
type FailedItem struct {
	Node   string // the node id as configured or browsed
	Status string // the OPC UA status name ("" when the failure has none)
	Reason string // what failed: "monitored item", "browse", a root's reason
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
	// ValueRank is the variable's ValueRank attribute when the browse read
	// it (BrowseOptions.ValueRanks): ValueRankScalar, a number of array
	// dimensions (1 and more), or one of the other ValueRank constants;
	// 0 when not read, so read as scalar.
	ValueRank int32
}

// ValueRank values other than a number of dimensions (OPC UA Part 3,
// 5.6.2). ValueRankOneOrMoreDimensions is the standard's 0, which
// Variable.ValueRank uses for "not read", so it is moved here.
const (
	ValueRankOneOrMoreDimensions  int32 = -100
	ValueRankScalarOrOneDimension int32 = -3
	ValueRankAny                  int32 = -2
	ValueRankScalar               int32 = -1
)
