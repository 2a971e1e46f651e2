package opcua

import (
	"context"
	"slices"
	"time"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/tag"
)

// structures are the structure definitions of one session's server, by
// the node id of their Default Binary encoding, and what decoding them
// has cost. Used by the session's goroutine only.
type structures struct {
	byEncoding map[string]*StructDef
	// enumNodes holds the enumeration of each item (by handle) whose
	// DataType is an enumeration, when enumerations are published as
	// names (enums is active); otherwise it is empty.
	enumNodes map[int]*EnumDef
	// enums converts enumeration numbers to the configured form; nil
	// when they stay numbers.
	enums *enumNamer
	// warned holds the structure types whose failure was logged: one log
	// line per type, then only the counter.
	warned map[string]bool
	// undecoded counts values whose body could not be decoded (published
	// as tag.ExtensionObject with the raw body instead).
	undecoded func()
	log       zerolog.Logger
	// started is the server's start time as this session read it.
	started time.Time
	// cache is the definitions cache the session decodes from; a value
	// that does not decode marks it stale (may be nil).
	cache *structCache
}

// active reports whether sample values need any work: structures to
// decode or enumeration nodes to name.
func (s *structures) active() bool {
	return s != nil && (len(s.byEncoding) > 0 || len(s.enumNodes) > 0)
}

// value converts the value of item h, node id node: structures decoded,
// and the value of an enumeration node in the configured form.
func (s *structures) value(h int, node string, v any) any {
	if len(s.byEncoding) > 0 {
		v = s.decodeNode(node, v)
	}
	if e := s.enumNodes[h]; e != nil {
		v = s.enums.convert(e, v)
	}
	return v
}

// unnamedEnum counts a number its enumeration has no name for, and logs
// it once per enumeration type (then only the counter).
func (s *structures) unnamedEnum(count func()) func(e *EnumDef, v int64) {
	return func(e *EnumDef, v int64) {
		if count != nil {
			count()
		}
		if k := "enum:" + e.TypeID + ":" + e.Name; !s.warned[k] { // a legacy dictionary's enumeration has no TypeID
			s.warned[k] = true
			s.log.Warn().Str("data_type", e.Name).Str("data_type_id", e.TypeID).Int64("value", v).
				Msg("enumeration value has no name; published as its number (further ones of this type are only counted)")
		}
	}
}

// structCache is the definitions one session loaded, kept by the Source for
// the next session while the server's namespaces, build and start time are
// unchanged and every value decoded from them; otherwise they are loaded
// anew (structCacheFor).
type structCache struct {
	types      map[string]*typeInfo
	dicts      map[string]*schemaTypes
	namespaces []string
	build      string
	// started is the server's ServerStatus.StartTime (zero when the
	// server does not tell): a restarted server may have loaded another
	// model under the same namespaces and build.
	started time.Time
	// stale is set when a value did not decode from these definitions:
	// the server's model may have changed under the same namespaces,
	// build and start time, so the next session reads them again. Set
	// and read by the sessions' goroutines, one after the other.
	stale bool
}

// resolve returns the StructDef of an encoding id, or nil.
func (s *structures) resolve(encodingID string) *StructDef {
	if s == nil {
		return nil
	}
	return s.byEncoding[encodingID]
}

// decode replaces structures in a converted value (a tag.ExtensionObject
// holding a body, an array of them, or a tag.Matrix of them) by their
// decoded tag.Object (an array of structures of one type becomes
// []tag.Object; a matrix keeps its dimensions). A body that does
// not decode stays a tag.ExtensionObject with its type id and raw body,
// and is counted and logged once per type.
func (s *structures) decode(v any) any {
	return s.decodeNode("", v)
}

// decodeNode is decode for a value of node (named in the warning about a
// body that does not decode).
func (s *structures) decodeNode(node string, v any) any {
	switch t := v.(type) {
	case tag.ExtensionObject:
		return s.decodeOne(node, t)
	case tag.Matrix:
		var out []any // decoded elements, once one decoded
		for i, e := range t.Elements {
			eo, ok := e.(tag.ExtensionObject)
			if !ok {
				continue
			}
			if o, isObj := s.decodeOne(node, eo).(tag.Object); isObj {
				if out == nil {
					out = slices.Clone(t.Elements)
				}
				out[i] = o
			}
		}
		if out == nil {
			return v
		}
		return tag.Matrix{Dimensions: t.Dimensions, Elements: out}
	case []any:
		var out []any // decoded elements, once one decoded
		all := true   // every element a tag.Object so far
		for i, e := range t {
			eo, ok := e.(tag.ExtensionObject)
			if !ok {
				all = false
				continue
			}
			d := s.decodeOne(node, eo)
			o, isObj := d.(tag.Object)
			if !isObj {
				all = false
				continue
			}
			if out == nil {
				out = slices.Clone(t)
			}
			out[i] = o
		}
		switch {
		case out == nil:
			return v
		case all:
			objs := make([]tag.Object, len(out))
			for i := range out {
				objs[i] = out[i].(tag.Object)
			}
			return objs
		}
		// Some did not decode: the array keeps them as they are.
		return out
	}
	return v
}

func (s *structures) decodeOne(node string, eo tag.ExtensionObject) any {
	if eo.Body == nil {
		return eo
	}
	def := s.byEncoding[eo.TypeID]
	if def == nil {
		return eo
	}
	obj, err := decodeStructure(def, eo.Body, s.resolve, s.enums)
	if err != nil {
		if s.undecoded != nil {
			s.undecoded()
		}
		if s.cache != nil {
			s.cache.stale = true
		}
		if !s.warned[def.TypeID] {
			s.warned[def.TypeID] = true
			s.log.Warn().Err(err).Str("node", node).Str("data_type", def.Name).Str("data_type_id", def.TypeID).
				Msg("structure value not decoded; published with its raw body (further failures of this type are only counted)")
		}
		return eo
	}
	return obj
}

// structCacheFor returns the definitions cache for a server with these
// namespaces, build and start time: cache itself when they are unchanged
// since it was loaded (a reconnect to the same running server), otherwise
// a new, empty one (the server's model may have changed: every definition
// is read again). A server that does not tell its start time (zero) is
// judged by namespaces and build alone. A cache marked stale (a value did
// not decode from it) is never reused.
func structCacheFor(cache *structCache, namespaces []string, build string, started time.Time) *structCache {
	if cache != nil && !cache.stale && build == cache.build && slices.Equal(namespaces, cache.namespaces) && started.Equal(cache.started) {
		return cache
	}
	return &structCache{types: map[string]*typeInfo{}, dicts: map[string]*schemaTypes{}, namespaces: namespaces, build: build, started: started}
}

// structHandles returns the items among handles whose data type may be a
// structure: ExtensionObject, or unknown (a node configured directly); and
// Int32, which an enumeration is, when enumerations are named.
func (ss *session) structHandles(handles []int) []int {
	named := ss.structs.enums.active()
	var out []int
	for _, h := range handles {
		if dt := ss.items[h].node.DataType; dt == "ExtensionObject" || dt == "" || (named && dt == "Int32") {
			out = append(out, h)
		}
	}
	return out
}

// loadStructures loads the definitions of the structured data types of
// items handles (those whose data type is ExtensionObject or unknown) and
// registers their encodings with gopcua, so that their values arrive with
// their bodies. It is called before the items are monitored or read: at
// connect for all items, and for items found by a retry. Definitions are
// kept for the next session while the server's namespaces, build and start
// time are unchanged and every value decoded (structCacheFor). With
// enumerations named, items of type Int32 whose DataType is an enumeration
// get their names too (structures.enumNodes). A type whose definition
// cannot be loaded is logged; its values stay tag.ExtensionObject. Only a
// failed request on the connection is returned.
func (ss *session) loadStructures(ctx context.Context, build string, handles []int) error {
	src := ss.src
	if ss.structs == nil {
		started, err := ss.serverStarted(ctx)
		if err != nil {
			return err
		}
		ss.structs = &structures{
			byEncoding: map[string]*StructDef{},
			enumNodes:  map[int]*EnumDef{},
			warned:     map[string]bool{},
			undecoded:  func() { src.status.undecodedStructures.Add(1) },
			log:        ss.log,
			started:    started,
		}
		if form := src.cfg.Enums; form == EnumsName || form == EnumsBoth {
			ss.structs.enums = &enumNamer{form: form}
			ss.structs.enums.unnamed = ss.structs.unnamedEnum(func() { src.status.unnamedEnumValues.Add(1) })
		}
	}
	cache := structCacheFor(src.structs, ss.namespaces, build, ss.structs.started)
	if src.structs != nil && cache != src.structs {
		ss.log.Info().Msg("structure definitions are read again: the server's namespaces, build or start time changed, or a value did not decode")
	}
	src.structs = cache
	ss.structs.cache = cache
	handles = ss.structHandles(handles)
	if len(handles) == 0 {
		return nil
	}
	// The DataType attribute of those items.
	dts := make([]*ua.NodeID, len(handles))
	batch := func(lo, hi int) []*ua.ReadValueID {
		r := make([]*ua.ReadValueID, hi-lo)
		for i := range r {
			r[i] = &ua.ReadValueID{NodeID: ss.nodeID(handles[lo+i]), AttributeID: ua.AttributeIDDataType}
		}
		return r
	}
	err := ss.readBatched(ctx, len(handles), batch, ua.TimestampsToReturnNeither, func(lo int, res []*ua.DataValue) error {
		for i, dv := range res {
			if dv != nil && dv.Status == ua.StatusOK && dv.Value != nil {
				if id, ok := dv.Value.Value().(*ua.NodeID); ok {
					dts[lo+i] = id
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	l := &structLoader{c: ss.c, request: ss.requestCtx, types: cache.types, dicts: cache.dicts}
	loaded := map[string]*typeInfo{} // by data type id; nil for one that failed
	for i, dt := range dts {
		if !vendorDataType(dt) {
			continue
		}
		key := FormatNodeID(dt)
		ti, seen := loaded[key]
		if !seen {
			var err error
			ti, err = l.load(ctx, dt, 0)
			if err != nil {
				if lerr := ss.lostErr(); lerr != nil {
					return lerr
				}
				// Warned once per session and type; a retry that fails
				// the same way logs at debug level.
				ev := ss.log.Debug()
				if k := "load:" + key; !ss.structs.warned[k] {
					ss.structs.warned[k] = true
					ev = ss.log.Warn()
				}
				ev.Err(err).Str("data_type_id", key).
					Msg("structure or enumeration definition not loaded; its values are published as type_id without a body, or as numbers")
				ti = nil
			}
			loaded[key] = ti
			if ti != nil && ti.st != nil {
				ss.addStruct(ti.st)
			}
		}
		if ti != nil && ti.en != nil && ss.structs.enums.active() {
			ss.structs.enumNodes[handles[i]] = ti.en
		}
	}
	// Structures inside those (fields of abstract types hold any concrete
	// structure) are decodable once loaded, so register all concrete ones.
	for _, ti := range cache.types {
		if ti.st != nil && ti.st.Fields != nil {
			ss.addStruct(ti.st)
		}
	}
	if ss.live != nil {
		ss.live.shareStructs(cache.types)
	}
	if n, e := len(ss.structs.byEncoding), len(ss.structs.enumNodes); n > 0 || e > 0 {
		ss.log.Info().Int("structures", n).Int("enumeration_nodes", e).Int("nodes_checked", len(handles)).Msg("structure definitions loaded")
	}
	return nil
}

// serverStarted reads the server's ServerStatus.StartTime; zero when the
// server does not give it. Only a lost connection is an error.
func (ss *session) serverStarted(ctx context.Context) (time.Time, error) {
	rctx, cancel := ss.requestCtx(ctx)
	resp, err := ss.c.Read(rctx, &ua.ReadRequest{NodesToRead: []*ua.ReadValueID{
		{NodeID: ua.NewNumericNodeID(0, id.Server_ServerStatus_StartTime), AttributeID: ua.AttributeIDValue},
	}, TimestampsToReturn: ua.TimestampsToReturnNeither})
	cancel()
	if err != nil {
		if lerr := ss.lostErr(); lerr != nil {
			return time.Time{}, lerr
		}
		ss.log.Debug().Err(err).Msg("server start time not read; structure definitions are kept while namespaces and build are unchanged")
		return time.Time{}, nil
	}
	if len(resp.Results) == 1 && resp.Results[0] != nil && resp.Results[0].Status == ua.StatusOK && resp.Results[0].Value != nil {
		if t, ok := resp.Results[0].Value.Value().(time.Time); ok {
			return t, nil
		}
	}
	return time.Time{}, nil
}

// addStruct registers def's encoding for this session and with gopcua.
func (ss *session) addStruct(def *StructDef) {
	if def.EncodingID == "" || ss.structs.byEncoding[def.EncodingID] != nil {
		return
	}
	enc, err := ua.ParseNodeID(def.EncodingID)
	if err == nil {
		err = registerRawEncoding(enc)
	}
	if err != nil {
		ss.log.Debug().Err(err).Str("data_type", def.Name).Msg("structure encoding left to gopcua")
		return
	}
	ss.structs.byEncoding[def.EncodingID] = def
}

// vendorDataType reports whether a variable's data type is one whose
// definition is loaded: not namespace 0, whose structures gopcua decodes
// itself (Range, EUInformation, ... become maps as before).
func vendorDataType(dt *ua.NodeID) bool {
	return dt != nil && dt.Namespace() != 0
}
