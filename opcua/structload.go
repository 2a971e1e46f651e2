package opcua

import (
	"context"
	"errors"
	"fmt"

	gopcua "github.com/gopcua/opcua"
	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/tag"
)

// maxStructTypes bounds how many data types one loading pass (at connect,
// or for the items a retry found) reads definitions of: structures, their
// field types, enumerations.
const maxStructTypes = 4096

// typeInfo is what a field or node of one data type is decoded as.
type typeInfo struct {
	builtin ua.TypeID  // the built-in type of the encoding
	st      *StructDef // set for a concrete structure (encoded inline in a body)
	en      *EnumDef   // set for an enumeration (builtin Int32)
	// abstract marks an abstract structure type: a field of it holds an
	// ExtensionObject of some concrete subtype.
	abstract bool
}

// structLoader reads DataType definitions from a server. It is used by one
// goroutine at a time.
type structLoader struct {
	c *gopcua.Client
	// request returns the context of one request.
	request func(ctx context.Context) (context.Context, context.CancelFunc)
	types   map[string]*typeInfo    // by data type node id; an entry in progress has st set but Fields nil
	dicts   map[string]*schemaTypes // legacy dictionaries by node id
	loaded  int
}

// builtinByName maps built-in type names back to their ids.
var builtinByName = func() map[string]ua.TypeID {
	m := map[string]ua.TypeID{}
	for i := tag.BuiltinType(0); i < 64; i++ {
		if n := i.String(); n != "" {
			m[n] = ua.TypeID(i)
		}
	}
	return m
}()

// load returns how values of data type dt are decoded, reading its
// definition (and those of its field types) from the server the first time.
func (l *structLoader) load(ctx context.Context, dt *ua.NodeID, depth int) (*typeInfo, error) {
	if dt == nil {
		return nil, errors.New("no data type")
	}
	key := FormatNodeID(dt)
	if ti, ok := l.types[key]; ok {
		return ti, nil
	}
	if dt.Namespace() == 0 && dt.Type() != ua.NodeIDTypeString {
		switch dt.IntID() {
		case id.Structure, id.Union, id.OptionSet:
			ti := &typeInfo{builtin: ua.TypeIDExtensionObject, abstract: true}
			l.types[key] = ti
			return ti, nil
		}
	}
	if name, ok := knownDataType(dt); ok {
		ti := &typeInfo{builtin: builtinByName[name]}
		if name == "" {
			ti.builtin = ua.TypeIDVariant // Number, Integer, UInteger: abstract, so a Variant
		}
		l.types[key] = ti
		return ti, nil
	}
	if depth >= maxStructDepth {
		return nil, fmt.Errorf("data type %s: %w", key, errStructTooDeep)
	}
	if l.loaded >= maxStructTypes {
		return nil, fmt.Errorf("data type %s: more than %d data types", key, maxStructTypes)
	}
	l.loaded++

	rctx, cancel := l.request(ctx)
	resp, err := l.c.Read(rctx, &ua.ReadRequest{NodesToRead: []*ua.ReadValueID{
		{NodeID: dt, AttributeID: ua.AttributeIDBrowseName},
		{NodeID: dt, AttributeID: ua.AttributeIDIsAbstract},
		{NodeID: dt, AttributeID: ua.AttributeIDDataTypeDefinition},
	}})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("data type %s: read definition: %w", key, err)
	}
	if len(resp.Results) != 3 {
		return nil, fmt.Errorf("data type %s: read definition: %d results for 3 attributes", key, len(resp.Results))
	}
	name := key
	if r := resp.Results[0]; r != nil && r.Status == ua.StatusOK && r.Value != nil {
		if qn, ok := r.Value.Value().(*ua.QualifiedName); ok && qn != nil && qn.Name != "" {
			name = qn.Name
		}
	}
	abstract := false
	if r := resp.Results[1]; r != nil && r.Status == ua.StatusOK && r.Value != nil {
		abstract, _ = r.Value.Value().(bool)
	}
	var def any
	if r := resp.Results[2]; r != nil && r.Status == ua.StatusOK && r.Value != nil {
		if eo, ok := r.Value.Value().(*ua.ExtensionObject); ok && eo != nil {
			def = eo.Value
		}
	}
	switch d := def.(type) {
	case *ua.StructureDefinition:
		if d == nil {
			break
		}
		if abstract {
			ti := &typeInfo{builtin: ua.TypeIDExtensionObject, abstract: true}
			l.types[key] = ti
			return ti, nil
		}
		return l.structure(ctx, key, name, dt, d, depth)
	case *ua.EnumDefinition:
		if d == nil {
			break
		}
		en := &EnumDef{Name: name, TypeID: key, Values: make(map[int64]string, len(d.Fields))}
		for _, f := range d.Fields {
			if f != nil {
				en.Values[f.Value] = f.Name
			}
		}
		ti := &typeInfo{builtin: ua.TypeIDInt32, en: en}
		l.types[key] = ti
		return ti, nil
	}
	// No definition: a subtype of a built-in type (or of an enumeration)
	// is encoded as its supertype.
	super, err := l.supertype(ctx, dt)
	if err != nil {
		return nil, fmt.Errorf("data type %s (%s): %w", key, name, err)
	}
	sti, err := l.load(ctx, super, depth+1)
	if err != nil {
		return nil, err
	}
	if sti.st != nil || sti.abstract {
		// A structure without DataTypeDefinition: a server older than
		// OPC UA 1.04 describes it in a legacy dictionary.
		st, err := l.legacy(ctx, dt)
		if err != nil {
			return nil, fmt.Errorf("data type %s (%s): %w", key, name, err)
		}
		st.Name, st.TypeID = name, key
		ti := &typeInfo{builtin: ua.TypeIDExtensionObject, st: st}
		l.types[key] = ti
		return ti, nil
	}
	ti := &typeInfo{builtin: sti.builtin, en: sti.en}
	if sti.en != nil || (super.Namespace() == 0 && super.IntID() == id.Enumeration) {
		// An enumeration without DataTypeDefinition (OPC UA 1.03): its
		// names are in its EnumStrings or EnumValues property; a subtype
		// without either keeps its supertype's names.
		en, err := l.enumProperties(ctx, dt, key, name)
		if err != nil {
			return nil, fmt.Errorf("enumeration %s (%s): %w", key, name, err)
		}
		if en != nil {
			ti.en = en
		}
	}
	l.types[key] = ti
	return ti, nil
}

// enumProperties reads the names of enumeration dt from its EnumStrings
// property (LocalizedText[], the name of value i at index i) or its
// EnumValues property (EnumValueType[], for numbers that are not 0..n-1).
// It returns nil when dt has neither.
func (l *structLoader) enumProperties(ctx context.Context, dt *ua.NodeID, key, name string) (*EnumDef, error) {
	refs, err := l.browse(ctx, dt, id.HasProperty, ua.BrowseDirectionForward)
	if err != nil {
		return nil, fmt.Errorf("browse properties: %w", err)
	}
	var prop *ua.NodeID
	for _, r := range refs {
		if r.BrowseName != nil && (r.BrowseName.Name == "EnumStrings" || r.BrowseName.Name == "EnumValues") &&
			r.NodeID != nil && r.NodeID.NodeID != nil {
			prop = r.NodeID.NodeID
			break
		}
	}
	if prop == nil {
		return nil, nil
	}
	rctx, cancel := l.request(ctx)
	resp, err := l.c.Read(rctx, &ua.ReadRequest{NodesToRead: []*ua.ReadValueID{{NodeID: prop, AttributeID: ua.AttributeIDValue}}})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", FormatNodeID(prop), err)
	}
	if len(resp.Results) != 1 || resp.Results[0] == nil || resp.Results[0].Status != ua.StatusOK || resp.Results[0].Value == nil {
		return nil, fmt.Errorf("read %s: no value", FormatNodeID(prop))
	}
	en := &EnumDef{Name: name, TypeID: key, Values: map[int64]string{}}
	switch v := resp.Results[0].Value.Value().(type) {
	case []*ua.LocalizedText:
		for i, t := range v {
			if t != nil && t.Text != "" {
				en.Values[int64(i)] = t.Text
			}
		}
	case []*ua.ExtensionObject:
		for _, eo := range v {
			if eo == nil {
				continue
			}
			if ev, ok := eo.Value.(*ua.EnumValueType); ok && ev != nil && ev.DisplayName != nil {
				en.Values[ev.Value] = ev.DisplayName.Text
			}
		}
	default:
		return nil, fmt.Errorf("%s is %T, want LocalizedText[] or EnumValueType[]", FormatNodeID(prop), v)
	}
	return en, nil
}

// structure builds the definition of a structure from its
// StructureDefinition, loading its field types.
func (l *structLoader) structure(ctx context.Context, key, name string, dt *ua.NodeID, d *ua.StructureDefinition, depth int) (*typeInfo, error) {
	st := &StructDef{Name: name, TypeID: key}
	subtyped := false
	switch d.StructureType {
	case ua.StructureTypeStructureWithOptionalFields:
		st.Kind = StructOptional
	case ua.StructureTypeUnion:
		st.Kind = StructUnion
	case ua.StructureTypeStructureWithSubtypedValues:
		subtyped = true
	case ua.StructureTypeUnionWithSubtypedValues:
		st.Kind, subtyped = StructUnion, true
	}
	// Registered before the fields load, so a structure that refers to
	// itself (through an array) finds its own definition.
	ti := &typeInfo{builtin: ua.TypeIDExtensionObject, st: st}
	l.types[key] = ti
	enc := d.DefaultEncodingID
	if enc == nil || (enc.Namespace() == 0 && enc.IntID() == 0) {
		var err error
		if enc, err = l.binaryEncoding(ctx, dt); err != nil {
			delete(l.types, key)
			return nil, fmt.Errorf("data type %s (%s): %w", key, name, err)
		}
	}
	st.EncodingID = FormatNodeID(enc)
	fields := make([]FieldDef, 0, len(d.Fields))
	for _, f := range d.Fields {
		if f == nil {
			continue
		}
		fd := FieldDef{Name: f.Name, ValueRank: f.ValueRank}
		if fd.ValueRank < -1 || fd.ValueRank == 0 {
			// Any / OneOrMoreDimensions are not allowed for fields;
			// read them as one-dimensional arrays.
			fd.ValueRank = 1
		}
		if subtyped {
			fd.Subtyped = f.IsOptional
		} else {
			fd.Optional = f.IsOptional && st.Kind == StructOptional
		}
		fti, err := l.load(ctx, f.DataType, depth+1)
		if err != nil {
			delete(l.types, key)
			return nil, fmt.Errorf("structure %s field %s: %w", name, f.Name, err)
		}
		fd.Type, fd.Enum = fti.builtin, fti.en
		if fti.st != nil && !fd.Subtyped {
			fd.Struct = fti.st
		}
		if fd.Subtyped && fti.builtin != ua.TypeIDExtensionObject {
			fd.Type = ua.TypeIDVariant
		}
		fields = append(fields, fd)
	}
	st.Fields = fields
	return ti, nil
}

// binaryEncoding finds the Default Binary encoding of data type dt through
// its HasEncoding references.
func (l *structLoader) binaryEncoding(ctx context.Context, dt *ua.NodeID) (*ua.NodeID, error) {
	refs, err := l.browse(ctx, dt, id.HasEncoding, ua.BrowseDirectionForward)
	if err != nil {
		return nil, fmt.Errorf("browse encodings: %w", err)
	}
	for _, r := range refs {
		if r.BrowseName != nil && r.BrowseName.Name == "Default Binary" && r.NodeID != nil && r.NodeID.NodeID != nil {
			return r.NodeID.NodeID, nil
		}
	}
	return nil, errors.New("no Default Binary encoding")
}

// supertype returns the data type dt is a subtype of.
func (l *structLoader) supertype(ctx context.Context, dt *ua.NodeID) (*ua.NodeID, error) {
	refs, err := l.browse(ctx, dt, id.HasSubtype, ua.BrowseDirectionInverse)
	if err != nil {
		return nil, fmt.Errorf("browse supertype: %w", err)
	}
	for _, r := range refs {
		if r.NodeID != nil && r.NodeID.NodeID != nil {
			return r.NodeID.NodeID, nil
		}
	}
	return nil, errors.New("no DataTypeDefinition and no supertype")
}

// browse returns the references of one type from node.
func (l *structLoader) browse(ctx context.Context, node *ua.NodeID, refType uint32, dir ua.BrowseDirection) ([]*ua.ReferenceDescription, error) {
	rctx, cancel := l.request(ctx)
	defer cancel()
	resp, err := l.c.Browse(rctx, &ua.BrowseRequest{
		View: &ua.ViewDescription{ViewID: ua.NewTwoByteNodeID(0)},
		NodesToBrowse: []*ua.BrowseDescription{{
			NodeID:          node,
			BrowseDirection: dir,
			ReferenceTypeID: ua.NewNumericNodeID(0, refType),
			IncludeSubtypes: false,
			ResultMask:      uint32(ua.BrowseResultMaskAll),
		}},
	})
	if err != nil {
		return nil, err
	}
	if len(resp.Results) != 1 || resp.Results[0] == nil {
		return nil, errors.New("no browse result")
	}
	if st := resp.Results[0].StatusCode; st != ua.StatusOK {
		return nil, st
	}
	return resp.Results[0].References, nil
}

// legacy returns the definition of structure dt from the server's legacy
// DataTypeDictionary: its Default Binary encoding → HasDescription → the
// DataTypeDescription (value: the type's name in the dictionary) → its
// parent DataTypeDictionary (value: the OPC Binary schema).
func (l *structLoader) legacy(ctx context.Context, dt *ua.NodeID) (*StructDef, error) {
	enc, err := l.binaryEncoding(ctx, dt)
	if err != nil {
		return nil, err
	}
	refs, err := l.browse(ctx, enc, id.HasDescription, ua.BrowseDirectionForward)
	if err != nil || len(refs) == 0 || refs[0].NodeID == nil || refs[0].NodeID.NodeID == nil {
		return nil, fmt.Errorf("%w (encoding %s has no description: %v)", errNoDictionary, FormatNodeID(enc), err)
	}
	desc := refs[0].NodeID.NodeID
	refs, err = l.browse(ctx, desc, id.HasComponent, ua.BrowseDirectionInverse)
	if err != nil || len(refs) == 0 || refs[0].NodeID == nil || refs[0].NodeID.NodeID == nil {
		return nil, fmt.Errorf("description %s is in no dictionary: %v", FormatNodeID(desc), err)
	}
	dict := refs[0].NodeID.NodeID
	rctx, cancel := l.request(ctx)
	resp, err := l.c.Read(rctx, &ua.ReadRequest{NodesToRead: []*ua.ReadValueID{
		{NodeID: desc, AttributeID: ua.AttributeIDValue},
		{NodeID: dict, AttributeID: ua.AttributeIDValue},
	}})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("read dictionary %s: %w", FormatNodeID(dict), err)
	}
	if len(resp.Results) != 2 || resp.Results[0] == nil || resp.Results[0].Value == nil {
		return nil, fmt.Errorf("read description %s: no value", FormatNodeID(desc))
	}
	typeName, _ := resp.Results[0].Value.Value().(string)
	if typeName == "" {
		return nil, fmt.Errorf("description %s names no type", FormatNodeID(desc))
	}
	dkey := FormatNodeID(dict)
	types, ok := l.dicts[dkey]
	if !ok {
		r := resp.Results[1]
		if r == nil || r.Status != ua.StatusOK || r.Value == nil {
			return nil, fmt.Errorf("read dictionary %s: no value", dkey)
		}
		doc, _ := r.Value.Value().([]byte)
		schema, err := parseBinarySchema(doc)
		if err != nil {
			return nil, fmt.Errorf("dictionary %s: %w", dkey, err)
		}
		types = newSchemaTypes(schema)
		l.dicts[dkey] = types
	}
	st, err := types.structure(typeName, 0)
	if err != nil {
		return nil, fmt.Errorf("dictionary %s: %w", dkey, err)
	}
	st.EncodingID = FormatNodeID(enc)
	return st, nil
}
