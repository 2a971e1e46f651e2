package sim

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/server"
	"github.com/gopcua/opcua/ua"
	"github.com/gopcua/opcua/uasc"
)

// subscriptions replaces two of gopcua's subscription services.
//
// CreateSubscription: gopcua numbers a new subscription one more than the
// number of subscriptions it holds, and stores it under that id even when
// a running subscription has it; when the older one ends (its client went
// away and its next publish response fails), its clean-up deletes the id
// and with it the newer subscription and its monitored items, which then
// never deliver again. createSubscription makes gopcua's count land past
// every id handed out so far, so every id is new.
//
// SetPublishingMode: gopcua answers BadServiceUnsupported, a bad service
// result that makes a gopcua client drop its connection. Clients use the
// service to ask whether a quiet subscription still exists, so
// setPublishingMode answers that, per subscription of the caller's
// session. Publishing cannot be disabled (BadNotSupported per id).
//
// Publish: gopcua's, unless FailPublishes asked for BadNoSubscription.
type subscriptions struct {
	srv *server.Server
	// failPublishes counts the Publish requests still to be answered with
	// a service fault.
	failPublishes *atomic.Int64

	// mu serializes createSubscription and guards last.
	mu sync.Mutex
	// last is the highest subscription id handed out.
	last uint32
	// placeholder fills unused ids while gopcua counts its subscriptions;
	// it never runs, so deleting it is harmless.
	placeholder *server.Subscription
}

// register installs the handlers; it must run before srv.Start.
func (ss *subscriptions) register(srv *server.Server) {
	ss.srv = srv
	ss.placeholder = server.NewSubscription()
	srv.RegisterHandler(id.CreateSubscriptionRequest_Encoding_DefaultBinary, ss.createSubscription)
	srv.RegisterHandler(id.SetPublishingModeRequest_Encoding_DefaultBinary, ss.setPublishingMode)
	srv.RegisterHandler(id.PublishRequest_Encoding_DefaultBinary, ss.publish)
}

// publish answers the Publish requests FailPublishes asked to fail with
// BadNoSubscription and passes the others to gopcua.
func (ss *subscriptions) publish(sc *uasc.SecureChannel, r ua.Request, reqID uint32) (ua.Response, error) {
	for n := ss.failPublishes.Load(); n > 0; n = ss.failPublishes.Load() {
		if ss.failPublishes.CompareAndSwap(n, n-1) {
			return nil, ua.StatusBadNoSubscription
		}
	}
	return ss.srv.SubscriptionService.Publish(sc, r, reqID)
}

// createSubscription runs gopcua's CreateSubscription with placeholders
// under every unused id up to last+1, so the count it numbers from is
// past every id handed out. The extra placeholder keeps the new id fresh
// even if a subscription ends between filling and gopcua's count. The
// placeholders are removed afterwards (unless gopcua stored the new
// subscription under one of their ids).
func (ss *subscriptions) createSubscription(sc *uasc.SecureChannel, r ua.Request, reqID uint32) (ua.Response, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	svc := ss.srv.SubscriptionService
	var filled []uint32
	svc.Mu.Lock()
	for id := uint32(1); id <= ss.last+1; id++ {
		if _, ok := svc.Subs[id]; !ok {
			svc.Subs[id] = ss.placeholder
			filled = append(filled, id)
		}
	}
	svc.Mu.Unlock()

	res, err := svc.CreateSubscription(sc, r, reqID)

	svc.Mu.Lock()
	for _, id := range filled {
		if svc.Subs[id] == ss.placeholder {
			delete(svc.Subs, id)
		}
	}
	svc.Mu.Unlock()
	if cr, ok := res.(*ua.CreateSubscriptionResponse); ok && cr.SubscriptionID > ss.last {
		ss.last = cr.SubscriptionID
	}
	return res, err
}

// setPublishingMode answers, for every id, Good when it is a subscription
// of the caller's session, BadSubscriptionIdInvalid otherwise.
func (ss *subscriptions) setPublishingMode(sc *uasc.SecureChannel, r ua.Request, reqID uint32) (ua.Response, error) {
	req, ok := r.(*ua.SetPublishingModeRequest)
	if !ok {
		return nil, ua.StatusBadRequestTypeInvalid
	}
	sess := ss.srv.Session(req.RequestHeader)
	if sess == nil {
		return &ua.ServiceFault{ResponseHeader: responseHeader(req.RequestHeader, ua.StatusBadSessionIDInvalid)}, nil
	}
	token := sess.AuthTokenID.String()
	svc := ss.srv.SubscriptionService
	results := make([]ua.StatusCode, len(req.SubscriptionIDs))
	svc.Mu.Lock()
	for i, id := range req.SubscriptionIDs {
		sub := svc.Subs[id]
		switch {
		case sub == nil || sub == ss.placeholder || sub.Session == nil || sub.Session.AuthTokenID.String() != token:
			results[i] = ua.StatusBadSubscriptionIDInvalid
		case !req.PublishingEnabled:
			results[i] = ua.StatusBadNotSupported
		default:
			results[i] = ua.StatusOK
		}
	}
	svc.Mu.Unlock()
	return &ua.SetPublishingModeResponse{
		ResponseHeader:  responseHeader(req.RequestHeader, ua.StatusOK),
		Results:         results,
		DiagnosticInfos: []*ua.DiagnosticInfo{},
	}, nil
}

// responseHeader is the header of a response to a request with hdr.
func responseHeader(hdr *ua.RequestHeader, st ua.StatusCode) *ua.ResponseHeader {
	return &ua.ResponseHeader{
		Timestamp:          time.Now(),
		RequestHandle:      hdr.RequestHandle,
		ServiceResult:      st,
		ServiceDiagnostics: &ua.DiagnosticInfo{},
		StringTable:        []string{},
		AdditionalHeader:   ua.NewExtensionObject(nil),
	}
}

// FailPublishes makes the server answer the next n Publish requests with
// BadNoSubscription while the sessions and subscriptions stay, as a server
// answers the Publish requests it holds when a session's subscriptions go
// away. It is meant for tests of clients whose publishing stops on it
// (gopcua's publish loop pauses on BadNoSubscription and keeps the
// connection).
func (s *Server) FailPublishes(n int) {
	s.failPublishes.Store(int64(n))
}

// DeleteSubscriptions deletes every subscription on the server, as a
// server that lost them would, without touching the sessions and
// connections, and returns how many it deleted. Their clients see them
// fall silent. It is meant for tests of that case.
func (s *Server) DeleteSubscriptions() int {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil || srv.SubscriptionService == nil {
		return 0
	}
	svc := srv.SubscriptionService
	svc.Mu.Lock()
	ids := make([]uint32, 0, len(svc.Subs))
	for id := range svc.Subs {
		ids = append(ids, id)
	}
	svc.Mu.Unlock()
	for _, id := range ids {
		svc.DeleteSubscription(id)
	}
	return len(ids)
}
