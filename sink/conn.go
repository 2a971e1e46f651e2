package sink

import "github.com/nats-io/nats.go"

// Conn returns the sink's NATS connection (nil before Start) for other
// parts of the agent that serve requests on it, such as the command
// service. They must stop using it before Close, which drains it.
func (s *Sink) Conn() *nats.Conn { return s.nc }
