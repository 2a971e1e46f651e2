package opcua

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/tag"
)

// EncodeStructure encodes v, a tag.Object or a map[string]any (a JSON
// object as encoding/json decodes it), as the binary body of a structure of
// type def: the inverse of DecodeStructure. Fields are taken by name in the
// definition's order; a missing field that is not optional is an error, as
// is a union with more than one field set (none encodes switch 0), and a
// key the definition does not have. Numbers may be any Go number type or a
// json.Number and must fit the field's type exactly; a DateTime field takes
// a time.Time or an RFC 3339 string; a ByteString field a []byte or a
// base64 string (as JSON carries it); an enumeration field its number or
// its value's name; a LocalizedText field a string or {"text", "locale"};
// a QualifiedName field "name" or "<ns>:name"; a Guid field its string
// form; a Variant field a scalar, a JSON number there being an Int64 when
// integral and a Double otherwise. Errors name the field.
//
// The write path builds an ExtensionObject with TypeID def.EncodingID and
// this body.
func EncodeStructure(def *StructDef, v any) ([]byte, error) {
	if def == nil {
		return nil, errors.New("encode structure: no definition")
	}
	e := structEncoder{buf: ua.NewBuffer(nil), top: def.Name}
	if err := e.object(def, v, 0, ""); err != nil {
		return nil, err
	}
	if err := e.buf.Error(); err != nil {
		return nil, &StructError{Type: def.Name, Err: err}
	}
	return e.buf.Bytes(), nil
}

type structEncoder struct {
	buf *ua.Buffer
	top string
}

func (e *structEncoder) fail(path string, err error) error {
	return &StructError{Type: e.top, Field: path, Err: err}
}

// fieldPath names the field (or array element) being encoded; its string
// form ("axis.x", "tools[1]") is built only when needed: for an error, or
// as the prefix of a nested structure.
type fieldPath struct {
	prefix string // the path of the enclosing structure
	name   string
	index  int // element index, -1 for the field itself
}

// at is the path of element i of the field.
func (p fieldPath) at(i int) fieldPath {
	p.index = i
	return p
}

func (p fieldPath) String() string {
	s := join(p.prefix, p.name)
	if p.index >= 0 {
		s += "[" + strconv.Itoa(p.index) + "]"
	}
	return s
}

// fieldsOf returns the named values of a tag.Object or a map.
func fieldsOf(v any) (map[string]any, bool) {
	switch t := v.(type) {
	case tag.Object:
		m := make(map[string]any, len(t.Fields))
		for _, f := range t.Fields {
			if _, dup := m[f.Name]; !dup {
				m[f.Name] = f.Value
			}
		}
		return m, true
	case map[string]any:
		return t, true
	}
	return nil, false
}

func (e *structEncoder) object(def *StructDef, v any, depth int, prefix string) error {
	if depth >= maxStructDepth {
		return e.fail(prefix, errStructTooDeep)
	}
	m, ok := fieldsOf(v)
	if !ok {
		return e.fail(prefix, fmt.Errorf("want an object for %s, got %T", def.Name, v))
	}
	for k := range m {
		if !slicesContainsField(def.Fields, k) {
			return e.fail(join(prefix, k), fmt.Errorf("%s has no field %q", def.Name, k))
		}
	}
	switch def.Kind {
	case StructUnion:
		chosen := -1
		for i := range def.Fields {
			if _, ok := m[def.Fields[i].Name]; ok {
				if chosen >= 0 {
					return e.fail(prefix, fmt.Errorf("union %s: more than one field set (%s, %s)", def.Name, def.Fields[chosen].Name, def.Fields[i].Name))
				}
				chosen = i
			}
		}
		e.buf.WriteUint32(uint32(chosen + 1))
		if chosen < 0 {
			return nil
		}
		f := &def.Fields[chosen]
		return e.field(f, m[f.Name], depth, fieldPath{prefix: prefix, name: f.Name, index: -1})
	case StructOptional:
		var mask uint32
		bit := 0
		for i := range def.Fields {
			if !def.Fields[i].Optional {
				continue
			}
			if _, ok := m[def.Fields[i].Name]; ok && bit < 32 {
				mask |= 1 << bit
			}
			bit++
		}
		e.buf.WriteUint32(mask)
	}
	for i := range def.Fields {
		f := &def.Fields[i]
		x, ok := m[f.Name]
		if !ok {
			if f.Optional {
				continue
			}
			return e.fail(join(prefix, f.Name), errors.New("missing required field"))
		}
		if err := e.field(f, x, depth, fieldPath{prefix: prefix, name: f.Name, index: -1}); err != nil {
			return err
		}
	}
	return nil
}

func slicesContainsField(fs []FieldDef, name string) bool {
	for i := range fs {
		if fs[i].Name == name {
			return true
		}
	}
	return false
}

func (e *structEncoder) field(f *FieldDef, v any, depth int, path fieldPath) error {
	if f.ValueRank < 1 {
		return e.scalar(f, v, depth, path)
	}
	if m, ok := v.(tag.Matrix); ok && f.ValueRank > 1 {
		e.buf.WriteInt32(int32(len(m.Dimensions)))
		for _, d := range m.Dimensions {
			e.buf.WriteInt32(int32(d))
		}
		for i, x := range m.Elements {
			if err := e.scalar(f, x, depth, path.at(i)); err != nil {
				return err
			}
		}
		return nil
	}
	if f.ValueRank > 1 {
		return e.fail(path.String(), fmt.Errorf("want a matrix, got %T", v))
	}
	if v == nil {
		e.buf.WriteInt32(-1)
		return nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice || (f.Type != ua.TypeIDByte && rv.Type() == byteSliceType) {
		return e.fail(path.String(), fmt.Errorf("want an array, got %T", v))
	}
	if rv.Len() > maxStructArrayLen {
		return e.fail(path.String(), fmt.Errorf("%w: %d", errStructArrayLen, rv.Len()))
	}
	e.buf.WriteInt32(int32(rv.Len()))
	for i := 0; i < rv.Len(); i++ {
		if err := e.scalar(f, rv.Index(i).Interface(), depth, path.at(i)); err != nil {
			return err
		}
	}
	return nil
}

var errEncodeType = errors.New("value does not fit the field's type")

// enumNumber accepts each form an enumeration is published in (see
// Config.Enums), so a value read can be written back as it came: the number,
// the name, or the object {"value": n, "name": ...} of enums: both (its
// value wins; the name is not checked against it). Anything else is
// returned unchanged for the type check to refuse.
func enumNumber(en *EnumDef, v any) any {
	if fields, ok := fieldsOf(v); ok {
		if n, ok := fields["value"]; ok {
			return n
		}
		return v
	}
	if name, ok := v.(string); ok {
		for n, vn := range en.Values {
			if vn == name {
				return n
			}
		}
	}
	return v
}

// intBits is the width of each integer type.
var intBits = map[ua.TypeID]uint{
	ua.TypeIDSByte: 8, ua.TypeIDInt16: 16, ua.TypeIDInt32: 32, ua.TypeIDInt64: 64,
	ua.TypeIDByte: 8, ua.TypeIDUint16: 16, ua.TypeIDUint32: 32, ua.TypeIDUint64: 64,
}

func (e *structEncoder) scalar(f *FieldDef, v any, depth int, path fieldPath) error {
	if f.Struct != nil && !f.Subtyped {
		return e.object(f.Struct, v, depth+1, path.String())
	}
	if f.Enum != nil {
		v = enumNumber(f.Enum, v)
	}
	b := e.buf
	bad := func() error {
		return e.fail(path.String(), fmt.Errorf("%w: %T for %s", errEncodeType, v, TypeName(f.Type)))
	}
	switch f.Type {
	case ua.TypeIDBoolean:
		x, ok := v.(bool)
		if !ok {
			return bad()
		}
		b.WriteBool(x)
	case ua.TypeIDSByte, ua.TypeIDInt16, ua.TypeIDInt32, ua.TypeIDInt64:
		n, ok := toInt64(v)
		bits := intBits[f.Type]
		if !ok || bits < 64 && (n < -(1<<(bits-1)) || n >= 1<<(bits-1)) {
			return bad()
		}
		switch f.Type {
		case ua.TypeIDSByte:
			b.WriteInt8(int8(n))
		case ua.TypeIDInt16:
			b.WriteInt16(int16(n))
		case ua.TypeIDInt32:
			b.WriteInt32(int32(n))
		default:
			b.WriteInt64(n)
		}
	case ua.TypeIDByte, ua.TypeIDUint16, ua.TypeIDUint32, ua.TypeIDUint64:
		n, ok := toUint64(v)
		bits := intBits[f.Type]
		if !ok || bits < 64 && n >= 1<<bits {
			return bad()
		}
		switch f.Type {
		case ua.TypeIDByte:
			b.WriteByte(byte(n))
		case ua.TypeIDUint16:
			b.WriteUint16(uint16(n))
		case ua.TypeIDUint32:
			b.WriteUint32(uint32(n))
		default:
			b.WriteUint64(n)
		}
	case ua.TypeIDFloat, ua.TypeIDDouble:
		x, ok := toFloat64(v)
		if !ok {
			return bad()
		}
		if f.Type == ua.TypeIDFloat {
			b.WriteFloat32(float32(x))
		} else {
			b.WriteFloat64(x)
		}
	case ua.TypeIDString:
		x, ok := v.(string)
		if !ok {
			return bad()
		}
		b.WriteString(x)
	case ua.TypeIDXMLElement:
		switch x := v.(type) {
		case string:
			b.WriteString(x)
		case tag.XMLElement:
			b.WriteString(string(x))
		default:
			return bad()
		}
	case ua.TypeIDDateTime:
		switch x := v.(type) {
		case time.Time:
			b.WriteTime(x)
		case string:
			t, err := time.Parse(time.RFC3339Nano, x)
			if err != nil {
				return e.fail(path.String(), err)
			}
			b.WriteTime(t)
		default:
			return bad()
		}
	case ua.TypeIDByteString:
		switch x := v.(type) {
		case []byte:
			b.WriteByteString(x)
		case string:
			var d []byte
			if err := json.Unmarshal([]byte(strconv.Quote(x)), &d); err != nil {
				return e.fail(path.String(), fmt.Errorf("ByteString: %w", err))
			}
			b.WriteByteString(d)
		default:
			return bad()
		}
	case ua.TypeIDStatusCode:
		switch x := v.(type) {
		case tag.StatusCode:
			b.WriteUint32(uint32(x))
		default:
			n, ok := toUint64(v)
			if !ok || n > math.MaxUint32 {
				return bad()
			}
			b.WriteUint32(uint32(n))
		}
	case ua.TypeIDNodeID:
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case tag.NodeID:
			s = string(x)
		default:
			return bad()
		}
		id, err := ua.ParseNodeID(s)
		if err != nil {
			return e.fail(path.String(), err)
		}
		b.WriteStruct(id)
	case ua.TypeIDQualifiedName:
		var qn ua.QualifiedName
		switch x := v.(type) {
		case tag.QualifiedName:
			qn = ua.QualifiedName{NamespaceIndex: x.NamespaceIndex, Name: x.Name}
		case string:
			// "<ns>:name" or "name", as a write of a QualifiedName node.
			qn.Name = x
			if ns, rest, ok := strings.Cut(x, ":"); ok {
				if n, err := strconv.ParseUint(ns, 10, 16); err == nil {
					qn = ua.QualifiedName{NamespaceIndex: uint16(n), Name: rest}
				}
			}
		default:
			return bad()
		}
		b.WriteStruct(&qn)
	case ua.TypeIDLocalizedText:
		var lt *ua.LocalizedText
		switch x := v.(type) {
		case tag.LocalizedText:
			lt = ua.NewLocalizedTextWithLocale(x.Text, x.Locale)
		case string:
			lt = ua.NewLocalizedText(x)
		case map[string]any:
			// {"text": ..., "locale": ...} as JSON carries it.
			text, ok := x["text"].(string)
			locale, lok := x["locale"].(string)
			if !ok || (x["locale"] != nil && !lok) || len(x) > 2 || len(x) == 2 && x["locale"] == nil {
				return bad()
			}
			lt = ua.NewLocalizedTextWithLocale(text, locale)
		default:
			return bad()
		}
		b.WriteStruct(lt)
	case ua.TypeIDGUID:
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case tag.GUID:
			s = string(x)
		default:
			return bad()
		}
		if !validGUID(s) {
			return e.fail(path.String(), fmt.Errorf("%q is not a GUID (8-4-4-4-12 hex digits)", s))
		}
		b.WriteStruct(ua.NewGUID(s))
	case ua.TypeIDVariant:
		if n, ok := v.(json.Number); ok {
			// A JSON number in a Variant field: an integer is an Int64,
			// anything else a Double.
			if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
				v = i
			} else if f, err := n.Float64(); err == nil {
				v = f
			} else {
				return e.fail(path.String(), fmt.Errorf("%s is not a number a Variant can hold", n))
			}
		}
		vv, err := ua.NewVariant(v)
		if err != nil {
			return e.fail(path.String(), err)
		}
		b.WriteStruct(vv)
	default:
		return e.fail(path.String(), fmt.Errorf("encoding %s fields is not supported", TypeName(f.Type)))
	}
	if err := b.Error(); err != nil {
		return e.fail(path.String(), err)
	}
	return nil
}

func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return int64(x), x <= math.MaxInt64
	case float64:
		return int64(x), x == math.Trunc(x) && x >= math.MinInt64 && x < math.MaxInt64
	case float32:
		return toInt64(float64(x))
	case json.Number:
		n, err := strconv.ParseInt(string(x), 10, 64)
		return n, err == nil
	}
	return 0, false
}

func toUint64(v any) (uint64, bool) {
	switch x := v.(type) {
	case uint:
		return uint64(x), true
	case uint8:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint32:
		return uint64(x), true
	case uint64:
		return x, true
	case json.Number:
		n, err := strconv.ParseUint(string(x), 10, 64)
		return n, err == nil
	case float64:
		return uint64(x), x == math.Trunc(x) && x >= 0 && x < math.MaxUint64
	case float32:
		return toUint64(float64(x))
	}
	n, ok := toInt64(v)
	return uint64(n), ok && n >= 0
}

func toFloat64(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	if n, ok := toInt64(v); ok {
		return float64(n), true
	}
	if n, ok := toUint64(v); ok {
		return float64(n), true
	}
	return 0, false
}

// StructureExtensionObject encodes v as a structure of type def (see
// EncodeStructure) and wraps it as the ExtensionObject a Write request
// carries: binary encoding, TypeID the definition's Default Binary
// encoding.
func StructureExtensionObject(def *StructDef, v any) (*ua.ExtensionObject, error) {
	if def == nil || def.EncodingID == "" {
		return nil, errors.New("encode structure: no definition with a binary encoding")
	}
	enc, err := ua.ParseNodeID(def.EncodingID)
	if err != nil {
		return nil, fmt.Errorf("encode structure %s: encoding id: %w", def.Name, err)
	}
	body, err := EncodeStructure(def, v)
	if err != nil {
		return nil, err
	}
	return &ua.ExtensionObject{
		EncodingMask: ua.ExtensionObjectBinary,
		TypeID:       ua.NewExpandedNodeID(enc, "", 0),
		Value:        &rawBody{body: body},
	}, nil
}
