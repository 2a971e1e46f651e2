package opcua

// The API below is the contract between this package's parts and the agent.
// Implementations live in the other files.

import (
	"context"
	"errors"
	"time"

	gopcua "github.com/gopcua/opcua"
	"github.com/gopcua/opcua/ua"
	"github.com/rs/zerolog"

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
	Nodes       int    // variables being acquired
	FailedItems int    // nodes that failed and are retried
	Reconnects  uint64 // successful reconnects after the first connect
	Samples     uint64 // samples emitted
	BrowseTime  time.Duration
}

// Emit hands one sample downstream. It blocks until the sample is accepted
// (backpressure) and returns ctx.Err() when ctx is done.
type Emit func(ctx context.Context, s tag.Sample) error

// Source acquires the values of one configured server.
type Source struct {
	cfg Config
	log zerolog.Logger
}

// NewSource validates cfg and returns an unconnected source.
func NewSource(cfg Config, log zerolog.Logger) (*Source, error) {
	return &Source{cfg: cfg, log: log}, nil
}

// Run connects, browses, subscribes or polls and emits every value until ctx
// is done. It owns reconnection (capped backoff with jitter, at most one
// session), so it returns nil when ctx is cancelled and an error only for a
// fatal problem that retrying cannot fix (unreadable certificate files).
// The session is closed before Run returns.
func (s *Source) Run(ctx context.Context, emit Emit) error {
	return errors.New("opcua: not implemented")
}

// Status returns a snapshot of the source's state.
func (s *Source) Status() Status { return Status{Name: s.cfg.Name, State: StateStopped} }

// Connect opens one session to cfg.Endpoint with the configured security,
// identity, client certificate (created in StateDir on first use) and trust
// list. The caller closes the client. Used by Source and by `edgetag browse`.
func Connect(ctx context.Context, cfg Config, log zerolog.Logger) (*gopcua.Client, error) {
	return nil, errors.New("opcua: not implemented")
}

// Variable is one variable found by browsing (or configured directly).
type Variable struct {
	ID         *ua.NodeID
	BrowseName string
	// Path holds the browse names of the folders between the root and the
	// variable (empty for a directly configured variable).
	Path []string
	// DataType is the OPC UA built-in type name ("" when unknown).
	DataType    string
	AccessLevel byte
}
