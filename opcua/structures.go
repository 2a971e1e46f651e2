package opcua

import (
	"context"
	"slices"

	"github.com/gopcua/opcua/ua"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/tag"
)

// structures are the structure definitions of one session's server, by
// the node id of their Default Binary encoding, and what decoding them
// has cost. Used by the session's goroutine only.
type structures struct {
	byEncoding map[string]*StructDef
	// warned holds the structure types whose failure was logged: one log
	// line per type, then only the counter.
	warned map[string]bool
	// undecoded counts values whose body could not be decoded (published
	// as tag.ExtensionObject with the raw body instead).
	undecoded func()
	log       zerolog.Logger
}

// structCache is the definitions one session loaded, kept by the Source for
// the next session while the server's namespaces and build are unchanged
// (as resolvedSet keeps the nodes); otherwise they are loaded anew.
type structCache struct {
	types      map[string]*typeInfo
	dicts      map[string]*schemaTypes
	namespaces []string
	build      string
}

// resolve returns the StructDef of an encoding id, or nil.
func (s *structures) resolve(encodingID string) *StructDef {
	if s == nil {
		return nil
	}
	return s.byEncoding[encodingID]
}

// decode replaces structures in a converted value (a tag.ExtensionObject
// holding a body, or an array of them) by their decoded tag.Object (an
// array of structures of one type becomes []tag.Object). A body that does
// not decode stays a tag.ExtensionObject with its type id and raw body,
// and is counted and logged once per type.
func (s *structures) decode(v any) any {
	switch t := v.(type) {
	case tag.ExtensionObject:
		return s.decodeOne(t)
	case []any:
		var out []any // decoded elements, once one decoded
		all := true   // every element a tag.Object so far
		for i, e := range t {
			eo, ok := e.(tag.ExtensionObject)
			if !ok {
				all = false
				continue
			}
			d := s.decodeOne(eo)
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

func (s *structures) decodeOne(eo tag.ExtensionObject) any {
	if eo.Body == nil {
		return eo
	}
	def := s.byEncoding[eo.TypeID]
	if def == nil {
		return eo
	}
	obj, err := DecodeStructure(def, eo.Body, s.resolve)
	if err != nil {
		if s.undecoded != nil {
			s.undecoded()
		}
		if !s.warned[def.TypeID] {
			s.warned[def.TypeID] = true
			s.log.Warn().Err(err).Str("data_type", def.Name).Str("data_type_id", def.TypeID).
				Msg("structure value not decoded; published with its raw body (further failures of this type are only counted)")
		}
		return eo
	}
	return obj
}

// structCacheFor returns the definitions cache for a server with these
// namespaces and build: cache itself when they are unchanged since it was
// loaded, otherwise a new, empty one (the server's model may have changed,
// so every definition is read again).
func structCacheFor(cache *structCache, namespaces []string, build string) *structCache {
	if cache != nil && build == cache.build && slices.Equal(namespaces, cache.namespaces) {
		return cache
	}
	return &structCache{types: map[string]*typeInfo{}, dicts: map[string]*schemaTypes{}, namespaces: namespaces, build: build}
}

// structHandles returns the items among handles whose data type may be a
// structure: ExtensionObject, or unknown (a node configured directly).
func (ss *session) structHandles(handles []int) []int {
	var out []int
	for _, h := range handles {
		if dt := ss.items[h].node.DataType; dt == "ExtensionObject" || dt == "" {
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
// kept for the next session while the server's namespaces and build are
// unchanged. A type whose definition cannot be loaded is logged; its
// values stay tag.ExtensionObject. Only a failed request on the connection
// is returned.
func (ss *session) loadStructures(ctx context.Context, build string, handles []int) error {
	handles = ss.structHandles(handles)
	src := ss.src
	cache := structCacheFor(src.structs, ss.namespaces, build)
	src.structs = cache
	if ss.structs == nil {
		ss.structs = &structures{
			byEncoding: map[string]*StructDef{},
			warned:     map[string]bool{},
			undecoded:  func() { src.status.undecodedStructures.Add(1) },
			log:        ss.log,
		}
	}
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
	seen := map[string]bool{}
	for _, dt := range dts {
		if !vendorDataType(dt) || seen[FormatNodeID(dt)] {
			continue
		}
		seen[FormatNodeID(dt)] = true
		ti, err := l.load(ctx, dt, 0)
		if err != nil {
			if lerr := ss.lostErr(); lerr != nil {
				return lerr
			}
			// Warned once per session and type; a retry that fails the
			// same way logs at debug level.
			ev := ss.log.Debug()
			if k := "load:" + FormatNodeID(dt); !ss.structs.warned[k] {
				ss.structs.warned[k] = true
				ev = ss.log.Warn()
			}
			ev.Err(err).Str("data_type_id", FormatNodeID(dt)).
				Msg("structure definition not loaded; its values are published as type_id without a body")
			continue
		}
		if ti.st != nil {
			ss.addStruct(ti.st)
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
	if n := len(ss.structs.byEncoding); n > 0 {
		ss.log.Info().Int("structures", n).Int("nodes_checked", len(handles)).Msg("structure definitions loaded")
	}
	return nil
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
