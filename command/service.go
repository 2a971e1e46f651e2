package command

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/opcua"
	"github.com/edgetag/edgetag/tag"
)

// ServiceName is the micro service's name; QueueGroup the queue group of
// every endpoint.
const (
	ServiceName = "edgetag"
	QueueGroup  = "edgetag"
)

// DefaultTimeout bounds a request when neither it nor the policy says.
const DefaultTimeout = 5 * time.Second

// maxRequestBytes bounds a request's JSON; larger ones are invalid_request.
const maxRequestBytes = 1 << 20

// maxBatch bounds the items of one write or read request.
const maxBatch = 10000

// Source is what the service needs of a running OPC UA source;
// *opcua.Source implements it.
type Source interface {
	Write(ctx context.Context, items []opcua.WriteItem, opt opcua.WriteOptions) ([]opcua.WriteResult, error)
	Read(ctx context.Context, nodes []string) ([]opcua.ReadValue, error)
	Call(ctx context.Context, object, method string, args []json.RawMessage) ([]opcua.CallOutput, error)
	BrowseNode(ctx context.Context, node string, opt opcua.BrowseOptions) ([]opcua.Variable, error)
	CanonicalNodeID(id string) (string, error)
	URIForm(id string) string
	TagNode(id string) (*tag.Node, bool)
}

var _ Source = (*opcua.Source)(nil)

// Sources looks up the running sources. Both methods are called
// concurrently from request handlers.
type Sources interface {
	// Source returns the running source of that name.
	Source(name string) (Source, bool)
	// Statuses returns a snapshot of every running source.
	Statuses() []opcua.Status
}

// SubjectResolver returns the node that publishes on a UNS subject (its
// source name in Node.Src), as the running tag engine knows it.
type SubjectResolver func(subject string) (*tag.Node, bool)

// Config configures the service.
type Config struct {
	// Site is the site name: the endpoints are edgetag.<Site>.<name>.
	Site    string
	Version string
	// Policy is the commands: block; nil means none was written, and
	// every write, call, read and browse is not_allowed.
	Policy  *Policy
	Sources Sources
	// Resolve maps UNS subjects to nodes (nil: writes by subject are
	// invalid_request).
	Resolve SubjectResolver
}

// GuardedFunc handles one request of a guarded endpoint after the
// allow-list admitted it: req is the whole request JSON, node its node id
// in standard form. It returns the reply's "result" (marshalled to JSON)
// or an error; a *opcua.CommandError keeps its code, any other error is
// bad_status. It runs on the endpoint's goroutine and must honour ctx.
type GuardedFunc func(ctx context.Context, src Source, node string, req json.RawMessage) (result any, err error)

// Service is the command service of one agent.
type Service struct {
	cfg   Config
	log   zerolog.Logger
	audit *auditor
	rates rateLimiter

	// mu guards guarded, which AddGuarded fills before Run.
	mu      sync.Mutex
	guarded map[string]GuardedFunc
	running bool
}

// builtIn are the endpoints every service has.
var builtIn = []string{"write", "read", "call", "browse", "status"}

// New returns a service; it does no network I/O.
func New(cfg Config, log zerolog.Logger) (*Service, error) {
	if cfg.Site == "" {
		return nil, errors.New("command: empty site")
	}
	if cfg.Sources == nil {
		return nil, errors.New("command: no sources")
	}
	if cfg.Version == "" {
		cfg.Version = "0.0.0"
	}
	s := &Service{cfg: cfg, log: log, guarded: map[string]GuardedFunc{}}
	subject := ""
	if cfg.Policy != nil {
		subject = cfg.Policy.AuditSubject
	}
	s.audit = newAuditor(log, subject)
	return s, nil
}

// AddGuarded adds the endpoint edgetag.<site>.<name>, guarded like writes:
// a request {"source": ..., "node": ..., ...} is executed only when the
// policy's rules for that source list the node under name (site file:
// commands.allow[].endpoints[] with that name), and only while the source
// is known; it is audited and counted like writes, and its reply is
// {"ok": true, "result": ...} or {"ok": false, "error": ...}. It must be
// called before Run; a name already taken is an error.
func (s *Service) AddGuarded(name string, fn GuardedFunc) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return fmt.Errorf("command: endpoint %q added after Run", name)
	}
	if name == "" || strings.ContainsAny(name, ". *>") {
		return fmt.Errorf("command: endpoint name %q must be one subject token", name)
	}
	for _, b := range builtIn {
		if b == name {
			return fmt.Errorf("command: endpoint %q is built in", name)
		}
	}
	if _, dup := s.guarded[name]; dup {
		return fmt.Errorf("command: endpoint %q added twice", name)
	}
	s.guarded[name] = fn
	return nil
}

// Subject returns the subject of an endpoint of site.
func Subject(site, endpoint string) string { return "edgetag." + site + "." + endpoint }

// Run registers the service on nc and serves until ctx is done; it then
// stops the service (no new requests; a request being handled has its
// context cancelled and is answered) and returns nil. An error is
// returned when the service cannot be registered.
func (s *Service) Run(ctx context.Context, nc *nats.Conn) error {
	s.mu.Lock()
	s.running = true
	guarded := make(map[string]GuardedFunc, len(s.guarded))
	for k, v := range s.guarded {
		guarded[k] = v
	}
	s.mu.Unlock()
	s.audit.mu.Lock()
	s.audit.nc = nc
	s.audit.mu.Unlock()

	svc, err := micro.AddService(nc, micro.Config{
		Name:        ServiceName,
		Version:     s.cfg.Version,
		Description: "edgetag two-way commands for site " + s.cfg.Site,
		QueueGroup:  QueueGroup,
		Metadata:    map[string]string{"site": s.cfg.Site},
	})
	if err != nil {
		return fmt.Errorf("command: add service: %w", err)
	}
	defer func() {
		if err := svc.Stop(); err != nil {
			s.log.Warn().Err(err).Msg("stopping the command service")
		}
	}()
	grp := svc.AddGroup("edgetag." + s.cfg.Site)
	handlers := map[string]func(context.Context, micro.Request) Reply{
		"write":  s.handleWrite,
		"read":   s.handleRead,
		"call":   s.handleCall,
		"browse": s.handleBrowse,
		"status": s.handleStatus,
	}
	for name, fn := range guarded {
		handlers[name] = s.guardedHandler(name, fn)
	}
	for name, h := range handlers {
		if err := grp.AddEndpoint(name, s.wrap(ctx, h)); err != nil {
			return fmt.Errorf("command: add endpoint %s: %w", Subject(s.cfg.Site, name), err)
		}
	}
	unsubscribe, err := s.subscribeUNS(ctx, nc)
	if err != nil {
		return err
	}
	defer unsubscribe()
	s.log.Info().Str("service", ServiceName).Str("subjects", Subject(s.cfg.Site, "*")).Str("queue_group", QueueGroup).
		Bool("writes", s.cfg.Policy != nil && len(s.cfg.Policy.Sources) > 0).Msg("command service ready")
	<-ctx.Done()
	return nil
}

// wrap turns a handler into a micro.Handler: it bounds the request size,
// and sends the reply (counting a reply that could not be sent).
func (s *Service) wrap(ctx context.Context, h func(context.Context, micro.Request) Reply) micro.Handler {
	return micro.HandlerFunc(func(r micro.Request) {
		var rep Reply
		if len(r.Data()) > maxRequestBytes {
			rep = failed(&opcua.CommandError{Code: opcua.CodeInvalidRequest, Msg: fmt.Sprintf("request of %d bytes is larger than %d", len(r.Data()), maxRequestBytes)})
		} else {
			rep = h(ctx, r)
		}
		if err := r.RespondJSON(rep); err != nil {
			s.log.Warn().Err(err).Str("subject", r.Subject()).Msg("reply not sent")
		}
	})
}

func failed(e *opcua.CommandError) Reply { return Reply{OK: false, Error: errorOf(e)} }

func invalid(format string, args ...any) *opcua.CommandError {
	return &opcua.CommandError{Code: opcua.CodeInvalidRequest, Msg: fmt.Sprintf(format, args...)}
}

func notAllowed(format string, args ...any) *opcua.CommandError {
	return &opcua.CommandError{Code: opcua.CodeNotAllowed, Msg: fmt.Sprintf(format, args...)}
}

// decode decodes a request strictly.
func decode(data []byte, v any) *opcua.CommandError {
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return invalid("request: %v", err)
	}
	if dec.More() {
		return invalid("request: more than one JSON value")
	}
	return nil
}

// timeoutCtx derives the context of one request: its own "timeout" (a Go
// duration), capped by the policy's, else the policy's.
func (s *Service) timeoutCtx(ctx context.Context, t string) (context.Context, context.CancelFunc, *opcua.CommandError) {
	limit := DefaultTimeout
	if s.cfg.Policy != nil && s.cfg.Policy.Timeout > 0 {
		limit = s.cfg.Policy.Timeout
	}
	d := limit
	if t != "" {
		v, err := time.ParseDuration(t)
		if err != nil || v <= 0 {
			return nil, nil, invalid("timeout %q: want a positive duration such as 2s", t)
		}
		d = min(v, limit)
	}
	c, cancel := context.WithTimeout(ctx, d)
	return c, cancel, nil
}

// who names the requester for the audit: the NATS identity the server
// attached (Nats-Request-Info, present for requests from other accounts),
// else the client's self-declared Edgetag-Client header, marked so.
func who(r micro.Request) string {
	h := r.Headers()
	if info := nats.Header(h).Get("Nats-Request-Info"); info != "" {
		var ri struct {
			Account string `json:"acc"`
			User    string `json:"user"`
			Name    string `json:"name"`
		}
		if json.Unmarshal([]byte(info), &ri) == nil && (ri.User != "" || ri.Account != "") {
			return strings.Trim(ri.Account+"/"+ri.User, "/")
		}
	}
	if c := nats.Header(h).Get(ClientHeader); c != "" {
		return "client:" + c
	}
	return "unknown"
}

// ClientHeader is the header a client may set to name itself in the
// audit log (self-declared, so logged as "client:<name>").
const ClientHeader = "Edgetag-Client"

// source returns the named source, or the error for an unknown one.
func (s *Service) source(name string) (Source, *opcua.CommandError) {
	if name == "" {
		return nil, invalid("no source named")
	}
	src, ok := s.cfg.Sources.Source(name)
	if !ok {
		return nil, &opcua.CommandError{Code: opcua.CodeUnknownNode, Msg: fmt.Sprintf("no source %q on site %s", name, s.cfg.Site)}
	}
	return src, nil
}

// commandErr turns any error of a source into a command error.
func commandErr(err error) *opcua.CommandError {
	var ce *opcua.CommandError
	if errors.As(err, &ce) {
		return ce
	}
	return &opcua.CommandError{Code: opcua.CodeBadStatus, Msg: err.Error()}
}
