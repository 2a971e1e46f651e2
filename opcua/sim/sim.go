// Package sim is edgetag's built-in OPC UA simulator: gopcua's server with a
// small plant whose values change, used by `edgetag sim`, the demo site file
// and the tests.
package sim

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"
)

// Defaults for Config fields left zero.
const (
	DefaultListen = "127.0.0.1:4840"
	DefaultRate   = time.Second
)

// Config configures the simulator.
type Config struct {
	// Listen is host:port; port 0 picks a free port.
	Listen string
	// Rate is how often every simulated value changes.
	Rate time.Duration
	// ExtraTags adds that many changing Double variables under
	// Objects/Plant/Scale (scale tests).
	ExtraTags int
	// Username and Password, when set, are the one user the simulator
	// offers (gopcua's server cannot check them; see package doc).
	Username string
	Password string
	// Security enables every security policy gopcua's server supports,
	// with a certificate kept in CertDir (generated when missing).
	Security bool
	CertDir  string
}

// Server is a running simulator.
type Server struct{ cfg Config }

// New validates cfg.
func New(cfg Config, log zerolog.Logger) (*Server, error) { return &Server{cfg: cfg}, nil }

// Start opens the listener; Endpoint is valid afterwards.
func (s *Server) Start(ctx context.Context) error { return errors.New("sim: not implemented") }

// Run changes values every Rate until ctx is done, then closes the server.
// It calls Start if it was not called.
func (s *Server) Run(ctx context.Context) error { return errors.New("sim: not implemented") }

// Endpoint is the opc.tcp URL clients connect to.
func (s *Server) Endpoint() string { return "" }
