package siteconfig

import (
	"time"

	"github.com/edgetag/edgetag/command"
	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/opcua"
	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/sink"
)

// Defaults for Config fields the site file leaves out.
const (
	DefaultStateDir        = "./edgetag-state"
	DefaultHTTPListen      = "127.0.0.1:9450"
	DefaultShutdownTimeout = 10 * time.Second
	DefaultQueueSize       = 1024
)

// LogConfig is the log block. Level is a zerolog level name; Format is
// auto (console on a terminal, else json), json or console.
type LogConfig struct {
	Level  string
	Format string
}

// Config is a validated site file with every default applied.
type Config struct {
	// File is the path the config was read from ("" when parsed from a reader
	// without a name).
	File     string
	Site     string
	StateDir string
	Log      LogConfig
	// HTTPListen is where /metrics, /healthz and /readyz are served; "" = off.
	HTTPListen string
	// HTTPTLS serves HTTP over TLS when its certificate is set (and
	// requires client certificates of its CA when that is set).
	HTTPTLS sink.ServerTLS
	// HTTPPprof serves /debug/pprof/ on the HTTP listener.
	HTTPPprof bool
	// HTTPAllowInsecureListen admits a non-loopback HTTPListen without
	// TLS (logged as a warning).
	HTTPAllowInsecureListen bool
	// Simulator, when not nil, runs the built-in OPC UA simulator in-process.
	Simulator *sim.Config
	Sources   []opcua.Config
	// NodesFiles are the sources' nodes files, as opened (relative to the
	// working directory), in source order. Watching the site file for
	// changes watches them too.
	NodesFiles []string
	Engine     engine.Config
	NATS       sink.Config
	// Workers is the number of engine workers (0 = number of CPUs).
	Workers int
	// QueueSize bounds each worker's input queue (samples).
	QueueSize int
	// ShutdownTimeout bounds the ordered shutdown.
	ShutdownTimeout time.Duration
	// MemoryLimit is the soft limit of the process's Go memory
	// (runtime/debug.SetMemoryLimit), 0 for none, MemoryLimitAuto (the
	// default) for one derived from the live heap. GOMEMLIMIT in the
	// environment takes precedence.
	MemoryLimit int64
	// Commands is the commands: block (nil when absent: the command
	// service executes no write, call, read or browse).
	Commands *command.Policy
}
