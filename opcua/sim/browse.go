package sim

import (
	"encoding/binary"
	"sync"
	"sync/atomic"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/server"
	"github.com/gopcua/opcua/ua"
	"github.com/gopcua/opcua/uasc"
)

// browseService answers Browse and BrowseNext in place of gopcua's own
// handlers, with continuation points held per session as real servers
// keep them.
//
// gopcua's continuation points are stateless (each one packs the
// BrowseDescription and an offset, and BrowseNext browses the node again),
// so its server has no limit to enforce. Here a continuation point holds
// the references still to send; a session holds at most limit of them
// (0 = no limit). A node whose references need one more than that is
// answered with BadNoContinuationPoints and no references, the answer of
// the servers that enforce MaxBrowseContinuationPoints. A continuation
// point ends with its last page or with ReleaseContinuationPoints; those of
// a session that is gone are dropped at the next Browse.
type browseService struct {
	srv   *server.Server
	limit int

	refused   atomic.Uint64 // nodes answered with BadNoContinuationPoints
	refuseAll atomic.Bool   // no session gets any point

	mu       sync.Mutex                          // guards the fields below
	sessions map[string]map[uint64]*continuation // by authentication token, then point id
	nextID   uint64
}

// continuation is one continuation point: the references not yet sent
// and how many to send per page.
type continuation struct {
	refs    []*ua.ReferenceDescription
	perPage int
}

func newBrowseService(srv *server.Server, limit int) *browseService {
	return &browseService{srv: srv, limit: limit, sessions: map[string]map[uint64]*continuation{}}
}

// register installs the handlers. It must run before the server's Start,
// which registers gopcua's handlers only for services that have none.
func (b *browseService) register() {
	b.srv.RegisterHandler(id.BrowseRequest_Encoding_DefaultBinary, b.browse)
	b.srv.RegisterHandler(id.BrowseNextRequest_Encoding_DefaultBinary, b.browseNext)
}

// advertiseBrowseLimit publishes limit as ServerCapabilities.MaxBrowseContinuationPoints
// (0 tells clients there is no limit).
func advertiseBrowseLimit(srv *server.Server, limit int) {
	ns, err := srv.Namespace(0)
	if err != nil {
		return
	}
	n0, ok := ns.(*server.NodeNameSpace)
	if !ok {
		return
	}
	v := uint16(min(limit, 0xFFFF))
	n0.AddNode(server.NewNode(
		ua.NewNumericNodeID(0, id.Server_ServerCapabilities_MaxBrowseContinuationPoints),
		server.Attributes{
			ua.AttributeIDNodeClass:  server.DataValueFromValue(uint32(ua.NodeClassVariable)),
			ua.AttributeIDBrowseName: server.DataValueFromValue(&ua.QualifiedName{Name: "MaxBrowseContinuationPoints"}),
			ua.AttributeIDDataType:   server.DataValueFromValue(ua.NewNumericNodeID(0, id.UInt16)),
		},
		nil,
		func() *ua.DataValue { return server.DataValueFromValue(v) },
	))
}

// points returns the continuation points of the request's session,
// creating the set, and drops the sets of sessions that are gone. Called
// with mu held.
func (b *browseService) points(req ua.Request) map[uint64]*continuation {
	tok := req.Header().AuthenticationToken
	key := ""
	if tok != nil {
		key = tok.String()
	}
	for k := range b.sessions {
		if k == key {
			continue
		}
		nid, err := ua.ParseNodeID(k)
		if err != nil || b.srv.Session(&ua.RequestHeader{AuthenticationToken: nid}) == nil {
			delete(b.sessions, k)
		}
	}
	ps := b.sessions[key]
	if ps == nil {
		ps = map[uint64]*continuation{}
		b.sessions[key] = ps
	}
	return ps
}

// page returns the first page of refs, storing the rest in a new
// continuation point when they do not fit: BadNoContinuationPoints when
// the session holds limit points already.
func (b *browseService) page(ps map[uint64]*continuation, refs []*ua.ReferenceDescription, perPage int) *ua.BrowseResult {
	if perPage <= 0 || len(refs) <= perPage {
		return &ua.BrowseResult{StatusCode: ua.StatusOK, References: refs}
	}
	if b.refuseAll.Load() || b.limit > 0 && len(ps) >= b.limit {
		b.refused.Add(1)
		return &ua.BrowseResult{StatusCode: ua.StatusBadNoContinuationPoints}
	}
	b.nextID++
	ps[b.nextID] = &continuation{refs: refs[perPage:], perPage: perPage}
	cp := make([]byte, 8)
	binary.LittleEndian.PutUint64(cp, b.nextID)
	return &ua.BrowseResult{StatusCode: ua.StatusOK, References: refs[:perPage], ContinuationPoint: cp}
}

func (b *browseService) browse(_ *uasc.SecureChannel, r ua.Request, _ uint32) (ua.Response, error) {
	req, ok := r.(*ua.BrowseRequest)
	if !ok {
		return nil, ua.StatusBadRequestTypeInvalid
	}
	results := make([]*ua.BrowseResult, len(req.NodesToBrowse))
	refs := make([][]*ua.ReferenceDescription, len(req.NodesToBrowse))
	// Browse outside mu: the namespace has its own lock.
	for i, bd := range req.NodesToBrowse {
		if bd == nil || bd.NodeID == nil {
			results[i] = &ua.BrowseResult{StatusCode: ua.StatusBadNodeIDInvalid}
			continue
		}
		ns, err := b.srv.Namespace(int(bd.NodeID.Namespace()))
		if err != nil {
			results[i] = &ua.BrowseResult{StatusCode: ua.StatusBadNodeIDUnknown}
			continue
		}
		res := ns.Browse(bd)
		if res.StatusCode != ua.StatusOK {
			results[i] = res
			continue
		}
		namesFromNodes(b.srv, res.References)
		refs[i] = res.References
	}
	b.mu.Lock()
	ps := b.points(req)
	for i := range results {
		if results[i] == nil {
			results[i] = b.page(ps, refs[i], int(req.RequestedMaxReferencesPerNode))
		}
	}
	b.mu.Unlock()
	return &ua.BrowseResponse{ResponseHeader: responseHeader(req.Header(), ua.StatusOK), Results: results, DiagnosticInfos: []*ua.DiagnosticInfo{}}, nil
}

func (b *browseService) browseNext(_ *uasc.SecureChannel, r ua.Request, _ uint32) (ua.Response, error) {
	req, ok := r.(*ua.BrowseNextRequest)
	if !ok {
		return nil, ua.StatusBadRequestTypeInvalid
	}
	results := make([]*ua.BrowseResult, len(req.ContinuationPoints))
	b.mu.Lock()
	defer b.mu.Unlock()
	ps := b.points(req)
	for i, cp := range req.ContinuationPoints {
		var c *continuation
		var key uint64
		if len(cp) == 8 {
			key = binary.LittleEndian.Uint64(cp)
			c = ps[key]
		}
		if c == nil {
			results[i] = &ua.BrowseResult{StatusCode: ua.StatusBadContinuationPointInvalid}
			continue
		}
		delete(ps, key)
		if req.ReleaseContinuationPoints {
			results[i] = &ua.BrowseResult{StatusCode: ua.StatusOK}
			continue
		}
		// The point just ended, so its successor always fits the limit.
		results[i] = b.page(ps, c.refs, c.perPage)
	}
	return &ua.BrowseNextResponse{ResponseHeader: responseHeader(req.Header(), ua.StatusOK), Results: results, DiagnosticInfos: []*ua.DiagnosticInfo{}}, nil
}

// held returns the continuation points all sessions hold.
func (b *browseService) held() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, ps := range b.sessions {
		n += len(ps)
	}
	return n
}
