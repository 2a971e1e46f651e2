package opcua

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/internal/jsonkind"
	"github.com/edgetag/edgetag/tag"
)

// Commands write and read structured values with the same definitions the
// session decodes samples with (structures.go): the session shares what it
// loaded, and a command on a node no item uses loads the definition on
// demand through the same loader, bounded by maxStructTypes per session and
// cached until the session ends.

// commandStructs are the structure definitions commands use. The session's
// own cache belongs to its goroutine, so commands keep theirs: seeded from
// the session's after every loading pass, extended on demand.
type commandStructs struct {
	// shared is the session's latest snapshot of its definitions, merged
	// under mu on the next use. The session only stores it, so it never
	// waits for a command (mu is held while a definition loads).
	shared atomic.Pointer[map[string]*typeInfo]

	mu         sync.Mutex
	loader     *structLoader         // types and dicts by node id; its count bounds loading
	byEncoding map[string]*StructDef // concrete structures by Default Binary encoding id
	warned     map[string]bool       // types whose undecodable values were logged
}

func newCommandStructs(l *liveSession) *commandStructs {
	return &commandStructs{
		loader:     &structLoader{c: l.c, request: l.requestCtx, types: map[string]*typeInfo{}, dicts: map[string]*schemaTypes{}},
		byEncoding: map[string]*StructDef{},
		warned:     map[string]bool{},
	}
}

// shareStructs hands the definitions of the session's cache to commands.
// It runs on the session's goroutine, which owns types, and copies them
// (the cache only grows during a session, so a later snapshot holds an
// earlier one).
func (l *liveSession) shareStructs(types map[string]*typeInfo) {
	snap := make(map[string]*typeInfo, len(types))
	for k, ti := range types {
		if ti.st != nil && ti.st.Fields == nil {
			continue // still loading (not after a finished pass)
		}
		snap[k] = ti
	}
	l.structs.shared.Store(&snap)
}

// mergeShared adds what the session shared since the last use. Callers
// hold mu.
func (cs *commandStructs) mergeShared() {
	p := cs.shared.Swap(nil)
	if p == nil {
		return
	}
	for k, ti := range *p {
		if _, ok := cs.loader.types[k]; !ok {
			cs.loader.types[k] = ti
		}
		if ti.st != nil {
			cs.add(ti.st)
		}
	}
}

// add registers def's encoding for commands and with gopcua (so that
// values read back keep their bodies). Callers hold mu.
func (cs *commandStructs) add(def *StructDef) {
	if def.EncodingID == "" || cs.byEncoding[def.EncodingID] != nil {
		return
	}
	if enc, err := ua.ParseNodeID(def.EncodingID); err == nil {
		// An encoding gopcua decodes itself (namespace 0) stays gopcua's;
		// encodingBody reads its body back by encoding it again.
		_ = registerRawEncoding(enc)
	}
	cs.byEncoding[def.EncodingID] = def
}

// errNotStructure is structFor's error for a data type that is a structure
// without a concrete definition (Structure itself, an abstract type).
var errNotStructure = errors.New("not a concrete structure")

// structFor returns the definition of structured data type dt, loading it
// (and its field types) from the server when commands do not have it yet.
// A type that is not a structure returns nil, nil; an abstract structure
// type errNotStructure.
func (l *liveSession) structFor(ctx context.Context, dt *ua.NodeID) (*StructDef, error) {
	cs := l.structs
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.mergeShared()
	before := len(cs.loader.types)
	ti, err := cs.loader.load(ctx, dt, 0)
	if err != nil {
		return nil, err
	}
	if len(cs.loader.types) != before {
		// Structures inside this one (fields of abstract types hold any
		// concrete structure) are read back decodable too.
		for _, t := range cs.loader.types {
			if t.st != nil && t.st.Fields != nil {
				cs.add(t.st)
			}
		}
	}
	switch {
	case ti.st != nil:
		cs.add(ti.st)
		return ti.st, nil
	case ti.abstract:
		return nil, errNotStructure
	}
	return nil, nil
}

// resolveLocked finds a definition by encoding id; callers hold mu.
func (cs *commandStructs) resolveLocked(encodingID string) *StructDef {
	return cs.byEncoding[encodingID]
}

// decodeStructs replaces structures in a value read (a tag.ExtensionObject
// with its body, or an array of them) by their decoded tag.Object, as
// samples are decoded. It returns the value and the structure's type name
// ("" when nothing was decoded).
func (l *liveSession) decodeStructs(v any) (any, string) {
	cs := l.structs
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.mergeShared()
	if len(cs.byEncoding) == 0 {
		return v, ""
	}
	s := structures{byEncoding: cs.byEncoding, warned: cs.warned, log: l.log}
	out := s.decode(v)
	switch t := out.(type) {
	case tag.Object:
		return out, t.TypeName
	case []tag.Object:
		if len(t) > 0 {
			return out, t[0].TypeName
		}
	}
	return out, ""
}

// undecodedStruct reports whether v, a value read, holds a structure whose
// body commands cannot decode yet (its encoding not registered: gopcua
// dropped the body, or no definition is loaded).
func (l *liveSession) undecodedStruct(v any) bool {
	cs := l.structs
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.mergeShared()
	check := func(e any) bool {
		eo, ok := e.(tag.ExtensionObject)
		return ok && (eo.Body == nil || cs.byEncoding[eo.TypeID] == nil)
	}
	switch t := v.(type) {
	case tag.ExtensionObject:
		return check(t)
	case []any:
		for _, e := range t {
			if check(e) {
				return true
			}
		}
	}
	return false
}

// structWrite is a structured value ready to write.
type structWrite struct {
	def     *StructDef
	variant *ua.Variant
	// written is the value as the server will decode it: the encoded
	// bodies decoded again (a tag.Object, or []tag.Object).
	written any
}

// structVariant converts a JSON object (value rank -1), an array of
// objects (rank 1 or 0) or either (rank -2) to the variant of
// ExtensionObjects a node of structure def takes. Errors are
// CodeTypeMismatch naming the field by its JSON path ($.axis.x,
// $[1].tools[0].id): a missing required field, an unknown field, a union
// with two fields, a value that does not fit its field.
func (l *liveSession) structVariant(raw json.RawMessage, def *StructDef, valueRank int32) (*structWrite, *CommandError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, cmdErr(CodeInvalidRequest, "no value")
	}
	isArray := raw[0] == '['
	switch {
	case valueRank >= 2:
		return nil, cmdErr(CodeTypeMismatch, "writing %d-dimensional arrays is not supported", valueRank)
	case valueRank == -1 && isArray:
		return nil, cmdErr(CodeTypeMismatch, "the node holds one %s structure, not an array", def.Name)
	case (valueRank == 1 || valueRank == 0) && !isArray:
		return nil, cmdErr(CodeTypeMismatch, "the node holds an array of %s structures, not one", def.Name)
	}
	if !isArray && raw[0] != '{' {
		return nil, cmdErr(CodeTypeMismatch, "%s is not a JSON object, which a %s structure needs", clip(raw), def.Name)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, cmdErr(CodeInvalidRequest, "%s: %v", clip(raw), err)
	}
	cs := l.structs
	one := func(v any, path string) (*ua.ExtensionObject, tag.Object, *CommandError) {
		if _, ok := v.(map[string]any); !ok {
			return nil, tag.Object{}, cmdErr(CodeTypeMismatch, "%s: want a %s object, got %s", path, def.Name, jsonkind.Of(v))
		}
		eo, err := StructureExtensionObject(def, v)
		if err != nil {
			return nil, tag.Object{}, structCmdErr(err, path)
		}
		cs.mu.Lock()
		obj, err := DecodeStructure(def, eo.Value.(*rawBody).body, cs.resolveLocked)
		cs.mu.Unlock()
		if err != nil {
			return nil, tag.Object{}, cmdErr(CodeTypeMismatch, "%s: encoded %s does not decode again: %v", path, def.Name, err)
		}
		return eo, obj, nil
	}
	if !isArray {
		eo, obj, cerr := one(v, "$")
		if cerr != nil {
			return nil, cerr
		}
		vr, cerr := variant(eo)
		if cerr != nil {
			return nil, cerr
		}
		return &structWrite{def: def, variant: vr, written: obj}, nil
	}
	elems := v.([]any)
	if len(elems) > maxStructArrayLen {
		return nil, cmdErr(CodeOutOfRange, "%d structures are more than %d in one array", len(elems), maxStructArrayLen)
	}
	eos := make([]*ua.ExtensionObject, len(elems))
	objs := make([]tag.Object, len(elems))
	for i, e := range elems {
		eo, obj, cerr := one(e, fmt.Sprintf("$[%d]", i))
		if cerr != nil {
			return nil, cerr
		}
		eos[i], objs[i] = eo, obj
	}
	vr, cerr := variant(eos)
	if cerr != nil {
		return nil, cerr
	}
	return &structWrite{def: def, variant: vr, written: objs}, nil
}

// structValue converts the JSON value of a write to node m, whose data
// type resolved to ExtensionObject, with the definition of its data type
// (loaded on first use). A data type without a definition is
// CodeTypeMismatch naming it and why.
func (l *liveSession) structValue(ctx context.Context, raw json.RawMessage, m *nodeMeta) (*structWrite, *CommandError) {
	def, err := l.structFor(ctx, m.DataType)
	switch {
	case errors.Is(err, errNotStructure):
		return nil, cmdErr(CodeTypeMismatch, "data type %s is an abstract structure type; writing it is not supported", FormatNodeID(m.DataType))
	case err != nil && (ctx.Err() != nil || l.lost.Err() != nil):
		return nil, requestErr(ctx, l, err, "load the definition of data type "+FormatNodeID(m.DataType))
	case err != nil:
		return nil, cmdErr(CodeTypeMismatch, "the definition of data type %s could not be loaded: %v", FormatNodeID(m.DataType), err)
	case def == nil:
		return nil, cmdErr(CodeTypeMismatch, "data type %s has no structure definition", FormatNodeID(m.DataType))
	}
	return l.structVariant(raw, def, m.ValueRank)
}

// decodedStruct reports whether v is a decoded structure (or array of
// them).
func decodedStruct(v any) bool {
	switch v.(type) {
	case tag.Object, []tag.Object:
		return true
	}
	return false
}

// readValue converts one read result as readValue does and decodes the
// structures in it with the commands' definitions; DataType is then the
// structure's name.
func (l *liveSession) readValue(node string, dv *ua.DataValue) ReadValue {
	rv := readValue(node, dv)
	if rv.Err == nil && rv.Value != nil {
		if v, name := l.decodeStructs(rv.Value); name != "" {
			rv.Value, rv.DataType = v, name
		}
	}
	return rv
}

// structCmdErr turns an encoding error into the command error naming the
// field by its JSON path below root ("$" or "$[i]").
func structCmdErr(err error, root string) *CommandError {
	var se *StructError
	if !errors.As(err, &se) {
		return cmdErr(CodeTypeMismatch, "%s: %v", root, err)
	}
	path := root
	if se.Field != "" {
		path = root + "." + se.Field
	}
	msg := se.Err.Error()
	if errors.Is(se.Err, errEncodeType) {
		// "value does not fit the field's type: json.Number for Byte"
		// speaks of Go types; say it in JSON's terms.
		msg = strings.ReplaceAll(msg, "json.Number", "number")
		msg = strings.ReplaceAll(msg, "map[string]interface {}", "object")
		msg = strings.ReplaceAll(msg, "[]interface {}", "array")
		msg = strings.ReplaceAll(msg, "<nil>", "null")
	}
	return cmdErr(CodeTypeMismatch, "%s: %s", path, msg)
}

// diffValues returns the path of the first difference between two decoded
// values (tag.Objects, arrays of them, field values), "" when they are
// equal.
func diffValues(a, b any, path string) string {
	switch x := a.(type) {
	case tag.Object:
		y, ok := b.(tag.Object)
		if !ok {
			return path
		}
		for i, f := range x.Fields {
			if i >= len(y.Fields) || y.Fields[i].Name != f.Name {
				return path + "." + f.Name
			}
			if d := diffValues(f.Value, y.Fields[i].Value, path+"."+f.Name); d != "" {
				return d
			}
		}
		if len(y.Fields) > len(x.Fields) {
			return path + "." + y.Fields[len(x.Fields)].Name
		}
		return ""
	case []tag.Object:
		y, ok := b.([]tag.Object)
		if !ok || len(x) != len(y) {
			return path
		}
		for i := range x {
			if d := diffValues(x[i], y[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(a, b) {
		return path
	}
	return ""
}
