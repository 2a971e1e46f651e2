// Package sim is edgetag's built-in OPC UA simulator: gopcua's server with a
// small plant whose values change, used by `edgetag sim`, the demo site file
// and the tests.
//
// The address space, in namespace 1 (NamespaceURI "urn:edgetag:sim"):
//
//	Objects/Plant/Line{1,2}/{Press,Robot}/
//	    Temperature (Double), Pressure (Float), Speed (Int32),
//	    Running (Boolean), PartCounter (UInt32), TotalEnergy (UInt64 above
//	    2^53), State (String), LastChange (DateTime), AxisPositions (Double[])
//	Objects/Plant/Types/   one variable per value type: Boolean .. UInt64,
//	    Float, Double, String, DateTime, Guid, ByteString, XmlElement, NodeId,
//	    ExpandedNodeId, StatusCode, QualifiedName, LocalizedText, Range (a
//	    structure), DoubleArray, Int32Array, StringArray, UInt64Array, Matrix
//	    (Int32 2x3)
//	Objects/Plant/Commands/  writable variables of every scalar type and
//	    some arrays, a read-only variable and the method Add (see
//	    commands.go)
//	Objects/Plant/Scale/Tag00000.. (Double, Config.ExtraTags of them; above
//	5,000 grouped in folders Group000.. of 1,000, with the same node ids)
//
// Node ids are ns=1;s=<browse path joined by '.'>, e.g.
// ns=1;s=Plant.Line1.Press.Temperature. Plant/Line2 also organizes Plant
// (a reference cycle, as real servers have). Every value changes every
// Config.Rate; subscribers are notified of each change.
//
// Browse and BrowseNext are the simulator's own (see browseService):
// continuation points are held per session, and Config.BrowseContinuationPoints
// limits them as real servers do, announced in
// ServerCapabilities.MaxBrowseContinuationPoints unless Config.HideBrowseLimit.
//
// Limits of gopcua's server that the simulator cannot hide: it does not
// check user names, passwords or client certificates (any identity is
// accepted, anonymous included); it accepts monitored items for node ids
// that do not exist; a subscription's revised queue size is 1. The
// simulator replaces gopcua's CreateSubscription numbering (which could
// hand out the id of a running subscription) and its SetPublishingMode
// (unsupported there): see subscriptions.
package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/server"
	"github.com/gopcua/opcua/ua"
	"github.com/rs/zerolog"
)

// Defaults for Config fields left zero.
const (
	DefaultListen = "127.0.0.1:4840"
	DefaultRate   = time.Second
)

// dropLogEvery rate-limits the warning about undelivered changes.
const dropLogEvery = 10 * time.Second

// SecurityPolicies are the policies the simulator offers when
// Config.Security is set, each with Sign and SignAndEncrypt, besides None.
var SecurityPolicies = []string{"Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss"}

// Config configures the simulator.
type Config struct {
	// Listen is host:port; port 0 picks a free port.
	Listen string
	// Rate is how often every simulated value changes.
	Rate time.Duration
	// ExtraTags adds that many changing Double variables under
	// Objects/Plant/Scale (scale tests).
	ExtraTags int
	// Username and Password, when set, make the simulator offer a
	// username token policy (on the secured endpoints, so Username turns
	// Security on). gopcua's server cannot check them: any user name and
	// password, and anonymous, are accepted.
	Username string
	Password string
	// Security enables every security policy gopcua's server supports
	// (SecurityPolicies × Sign/SignAndEncrypt, plus None), with a
	// certificate kept in CertDir (generated when missing; an empty
	// CertDir keeps it in memory only).
	Security bool
	CertDir  string
	// BrowseContinuationPoints is how many browse continuation points one
	// session may hold (0 = no limit); a browse that needs one more gets
	// BadNoContinuationPoints for that node, as from a real server.
	BrowseContinuationPoints int
	// LegacyStructures adds Plant/Legacy/Batch, a structure described only
	// by a legacy DataTypeDictionary (no DataTypeDefinition attribute), as
	// servers before OPC UA 1.04 serve them (see BatchBody), and
	// Plant/Legacy/Recipe, a writable Batch.
	LegacyStructures bool
	// LegacyBatchRevision 2 gives the legacy Batch one more field, Line
	// (String "L1"), after the others, as a PLC download that changed a
	// type does while the server's namespaces and build stay the same
	// (see BatchBodyRevision). 0 and 1 serve LegacyDictionary as it is.
	LegacyBatchRevision int
	// HideBrowseLimit leaves ServerCapabilities.MaxBrowseContinuationPoints
	// at 0 (no limit announced) while BrowseContinuationPoints is enforced,
	// as some servers do.
	HideBrowseLimit bool
}

// Server is a running simulator.
type Server struct {
	cfg Config
	log zerolog.Logger

	// Set by Start.
	mu       sync.Mutex // guards started and the fields below it
	started  bool
	srv      *server.Server
	proxy    *proxy
	endpoint string
	cancel   context.CancelFunc // stops gopcua's server goroutines
	plant    *plant
	browse   *browseService

	// failPublishes counts the Publish requests still to be failed (see
	// FailPublishes).
	failPublishes atomic.Int64
}

// New validates cfg and fills in defaults; it does no network I/O.
func New(cfg Config, log zerolog.Logger) (*Server, error) {
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.Rate == 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.Rate < 0 {
		return nil, fmt.Errorf("sim: rate %s must be positive", cfg.Rate)
	}
	if cfg.ExtraTags < 0 {
		return nil, fmt.Errorf("sim: extra tags %d must not be negative", cfg.ExtraTags)
	}
	if cfg.BrowseContinuationPoints < 0 || cfg.BrowseContinuationPoints > 0xFFFF {
		return nil, fmt.Errorf("sim: browse continuation points %d must be from 0 to 65535", cfg.BrowseContinuationPoints)
	}
	host, port, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("sim: listen address %q: %w", cfg.Listen, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return nil, fmt.Errorf("sim: listen address %q: bad port", cfg.Listen)
	}
	if host == "" {
		cfg.Listen = net.JoinHostPort("127.0.0.1", port)
	}
	if cfg.Username != "" && !cfg.Security {
		cfg.Security = true
	}
	return &Server{cfg: cfg, log: log.With().Str("component", "sim").Logger()}, nil
}

// Start opens the listener and starts serving; Endpoint is valid
// afterwards. Run must follow to change values and to stop the server.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("sim: already started")
	}
	host, _, _ := net.SplitHostPort(s.cfg.Listen)
	// Clients connect to the public listener, owned by the proxy; gopcua's
	// server listens on a private loopback port (see proxy).
	var lc net.ListenConfig
	pub, err := lc.Listen(ctx, "tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("sim: listen on %s: %w", s.cfg.Listen, err)
	}
	priv, err := freeLoopbackPort(ctx)
	if err != nil {
		_ = pub.Close()
		return err
	}
	pubPort := pub.Addr().(*net.TCPAddr).Port
	endpoint := "opc.tcp://" + net.JoinHostPort(host, strconv.Itoa(pubPort))

	opts := []server.Option{
		server.EndPoint("127.0.0.1", priv),
		server.ServerName("edgetag simulator"),
		server.ManufacturerName("edgetag"),
		server.ProductName("edgetag simulator"),
		server.SetLogger(gopcuaLogger{s.log}),
		server.EnableSecurity("None", ua.MessageSecurityModeNone),
		server.EnableAuthMode(ua.UserTokenTypeAnonymous),
	}
	if s.cfg.Security {
		cert, key, err := loadOrCreateCert(s.cfg.CertDir, host)
		if err != nil {
			_ = pub.Close()
			return fmt.Errorf("sim: %w", err)
		}
		opts = append(opts, server.Certificate(cert), server.PrivateKey(key))
		for _, p := range SecurityPolicies {
			opts = append(opts,
				server.EnableSecurity(p, ua.MessageSecurityModeSign),
				server.EnableSecurity(p, ua.MessageSecurityModeSignAndEncrypt))
		}
		if s.cfg.Username != "" {
			opts = append(opts, server.EnableAuthMode(ua.UserTokenTypeUserName))
		}
	}

	srvCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var srv *server.Server
	quietStdLog(func() {
		srv = server.New(opts...)
		// Advertise the public endpoint: gopcua listens on the URL it was
		// given first (kept in the server), and describes its endpoints with
		// URLs(), which is the configured slice itself.
		if urls := srv.URLs(); len(urls) > 0 {
			urls[0] = endpoint
		}
		objects := srv.Node(ua.NewNumericNodeID(0, id.ObjectsFolder))
		ns := server.NewNodeNameSpace(srv, NamespaceURI)
		s.plant = &plant{ns: ns}
		s.plant.build(objects, s.cfg.ExtraTags)
		if s.cfg.LegacyStructures {
			s.plant.legacyStructures(s.plant.ns.Node(ua.NewStringNodeID(ns.ID(), "Plant")), s.cfg.LegacyBatchRevision)
		}
		(&subscriptions{failPublishes: &s.failPublishes}).register(srv)
		s.plant.commands.register(srv)
		s.browse = newBrowseService(srv, s.cfg.BrowseContinuationPoints)
		s.browse.register()
		announced := s.cfg.BrowseContinuationPoints
		if s.cfg.HideBrowseLimit {
			announced = 0
		}
		advertiseBrowseLimit(srv, announced)
		fixStandardVariables(srv)
		err = srv.Start(srvCtx)
	})
	if err != nil {
		cancel()
		_ = pub.Close()
		return fmt.Errorf("sim: start server: %w", err)
	}
	s.srv, s.cancel, s.endpoint = srv, cancel, endpoint
	s.proxy = newProxy(pub, net.JoinHostPort("127.0.0.1", strconv.Itoa(priv)), s.log)
	s.proxy.start()
	s.started = true
	s.log.Info().Str("endpoint", endpoint).Bool("security", s.cfg.Security).
		Int("variables", len(s.plant.vars)).Dur("rate_ms", s.cfg.Rate).
		Int("browse_continuation_points", s.cfg.BrowseContinuationPoints).Bool("browse_limit_hidden", s.cfg.HideBrowseLimit).
		Msg("simulator listening")
	return nil
}

// Run changes values every Rate until ctx is done, then closes every client
// connection and the server and returns nil. It calls Start if it was not
// called.
func (s *Server) Run(ctx context.Context) error {
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if !started {
		if err := s.Start(ctx); err != nil {
			return err
		}
	}
	defer s.shutdown()

	n := notifier{mis: s.srv.MonitoredItemService}
	ticker := time.NewTicker(s.cfg.Rate)
	defer ticker.Stop()
	var tick uint64
	var dropped, droppedLogged uint64
	var lastDropLog time.Time
	// A subscriber gets at least this long per tick to drain its queue.
	wait := max(s.cfg.Rate/2, 20*time.Millisecond)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		tick++
		now := time.Now().UTC()
		for _, v := range s.plant.vars {
			v.set(v.next(tick, now), now)
		}
		dropped += uint64(n.notify(ctx, s.plant.vars, now.Add(wait)))
		if dropped > droppedLogged && time.Since(lastDropLog) >= dropLogEvery {
			s.log.Warn().Uint64("dropped", dropped-droppedLogged).Uint64("dropped_total", dropped).
				Msg("subscribers too slow or gone: value changes not delivered to them")
			droppedLogged, lastDropLog = dropped, time.Now()
		}
	}
}

// channelSettle is how long shutdown lets gopcua's secure channels see
// their connections closed before closing the server.
const channelSettle = 50 * time.Millisecond

// shutdown closes client connections first (so gopcua's channel goroutines
// end), then the server, then deletes the subscriptions left behind
// (gopcua's Close does not: their goroutines would run until their
// lifetime expires).
func (s *Server) shutdown() {
	s.proxy.close()
	// gopcua's channel broker counts a secure channel in its WaitGroup
	// only after the channel's handshake, with nothing ordering that Add
	// before Close's Wait until the channel's first request has been
	// handled. A channel that has sent none yet reads from a socket the
	// proxy has just closed: its read fails and it unregisters at once.
	// Giving it that moment keeps Close from waiting on it, which the race
	// detector reports as a WaitGroup reused concurrently.
	time.Sleep(channelSettle)
	if err := s.srv.Close(); err != nil {
		s.log.Debug().Err(err).Msg("close simulator server")
	}
	s.cancel()
	subs := s.srv.SubscriptionService
	subs.Mu.Lock()
	ids := make([]uint32, 0, len(subs.Subs))
	for id := range subs.Subs {
		ids = append(ids, id)
	}
	subs.Mu.Unlock()
	for _, id := range ids {
		subs.DeleteSubscription(id)
	}
	s.log.Info().Msg("simulator stopped")
}

// Endpoint is the opc.tcp URL clients connect to ("" before Start).
func (s *Server) Endpoint() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.endpoint
}

// DropConnections closes every client connection at once, as a network
// failure or a server restart would, and returns how many it closed. The
// server keeps running and accepts new connections. It is meant for
// reconnect tests.
func (s *Server) DropConnections() int {
	s.mu.Lock()
	p := s.proxy
	s.mu.Unlock()
	if p == nil {
		return 0
	}
	return p.drop()
}

// BrowseRefused returns how many nodes were answered with
// BadNoContinuationPoints because their session held
// Config.BrowseContinuationPoints already.
func (s *Server) BrowseRefused() uint64 {
	s.mu.Lock()
	b := s.browse
	s.mu.Unlock()
	if b == nil {
		return 0
	}
	return b.refused.Load()
}

// RefuseBrowseContinuationPoints makes the simulator refuse every new
// browse continuation point while refuse is set, as a server out of
// resources does: nodes whose references need paging are answered with
// BadNoContinuationPoints. Points already held can still be paged. It is
// meant for tests of clients that must retry such nodes later.
func (s *Server) RefuseBrowseContinuationPoints(refuse bool) {
	s.mu.Lock()
	b := s.browse
	s.mu.Unlock()
	if b != nil {
		b.refuseAll.Store(refuse)
	}
}

// BrowseContinuationPointsHeld returns the continuation points the
// sessions hold now (a client that pages completely or releases its
// points leaves none).
func (s *Server) BrowseContinuationPointsHeld() int {
	s.mu.Lock()
	b := s.browse
	s.mu.Unlock()
	if b == nil {
		return 0
	}
	return b.held()
}

// freeLoopbackPort returns a port that was free on 127.0.0.1 a moment ago.
// gopcua's server must be given a real port: with port 0 it would
// advertise ":0".
func freeLoopbackPort(ctx context.Context) (int, error) {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("sim: find a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("sim: find a free port: %w", err)
	}
	return port, nil
}

// stdLogMu serializes the redirection of the standard logger.
var stdLogMu sync.Mutex

// quietStdLog runs f with the standard library logger discarded: gopcua's
// server prints a few lines there while it imports its nodeset and starts
// listening. edgetag itself never logs through the standard logger.
func quietStdLog(f func()) {
	stdLogMu.Lock()
	defer stdLogMu.Unlock()
	w := log.Writer()
	log.SetOutput(io.Discard)
	defer log.SetOutput(w)
	f()
}

// gopcuaLogger adapts zerolog to gopcua's server.Logger; everything goes to
// debug level, since gopcua reports routine client disconnects as errors.
type gopcuaLogger struct{ log zerolog.Logger }

func (l gopcuaLogger) Debug(msg string, args ...any) { l.log.Debug().Msgf(msg, args...) }
func (l gopcuaLogger) Info(msg string, args ...any)  { l.log.Debug().Msgf(msg, args...) }
func (l gopcuaLogger) Warn(msg string, args ...any)  { l.log.Debug().Msgf(msg, args...) }
func (l gopcuaLogger) Error(msg string, args ...any) { l.log.Debug().Msgf(msg, args...) }
