package opcua

import (
	"errors"
	"fmt"
	"time"

	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/tag"
)

// Limits of the structure decoder: a hostile or corrupt body fails with an
// error instead of exhausting the stack or memory.
const (
	// maxStructBodyBytes bounds one structure body.
	maxStructBodyBytes = 16 << 20
	// maxStructArrayLen bounds the elements of one array field. An array
	// also never has more elements than bytes left in the body.
	maxStructArrayLen = 1 << 20
	// maxStructDepth bounds nested structures (and ExtensionObjects inside
	// them), like maxValueDepth bounds nested variants.
	maxStructDepth = maxValueDepth
)

// StructError is a body that could not be decoded: the structure type and
// the field (a dotted path from the top structure; "" for the body as a
// whole) where decoding stopped, and why.
type StructError struct {
	Type  string
	Field string
	Err   error
}

func (e *StructError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("structure %s: %v", e.Type, e.Err)
	}
	return fmt.Sprintf("structure %s field %s: %v", e.Type, e.Field, e.Err)
}

func (e *StructError) Unwrap() error { return e.Err }

var (
	errStructTooDeep   = errors.New("structures nested too deep")
	errStructTooLarge  = errors.New("body too large")
	errStructArrayLen  = errors.New("array length out of range")
	errStructUnionCase = errors.New("union switch value has no field")
	errStructTrailing  = errors.New("bytes left after the last field")
)

// ExtensionResolver finds the definition of a structure by the encoding id
// of an ExtensionObject found inside a body (a field of an abstract type
// such as Structure or BaseDataType); nil finds none.
type ExtensionResolver func(encodingID string) *StructDef

// DecodeStructure decodes the binary body of a structure of type def into a
// tag.Object with the fields in definition order: nested structures are
// tag.Object, arrays of structures []tag.Object, enumerations their Int32
// number, optional fields that are absent have no key, a union has only its
// chosen field (none when its switch is 0), and built-in types take the
// same Go types as Value gives them. ExtensionObjects inside the body whose
// encoding resolve knows are decoded too; others stay tag.ExtensionObject.
// It never panics; an error is a *StructError naming type and field.
func DecodeStructure(def *StructDef, body []byte, resolve ExtensionResolver) (tag.Object, error) {
	return DecodeStructureWith(def, body, resolve, DecodeOptions{})
}

// DecodeOptions change how DecodeStructureWith publishes some fields.
type DecodeOptions struct {
	// Enums is the form of enumeration fields: EnumsNumber ("", the
	// default), EnumsName or EnumsBoth (see those).
	Enums string
	// Unnamed is called for every enumeration number that has no name in
	// its enumeration, when Enums is not EnumsNumber (may be nil).
	Unnamed func(e *EnumDef, v int64)
}

// DecodeStructureWith is DecodeStructure with enumeration fields in the
// form opts.Enums says.
func DecodeStructureWith(def *StructDef, body []byte, resolve ExtensionResolver, opts DecodeOptions) (obj tag.Object, err error) {
	var namer *enumNamer
	if opts.Enums == EnumsName || opts.Enums == EnumsBoth {
		namer = &enumNamer{form: opts.Enums, unnamed: opts.Unnamed}
	}
	return decodeStructure(def, body, resolve, namer)
}

func decodeStructure(def *StructDef, body []byte, resolve ExtensionResolver, enums *enumNamer) (obj tag.Object, err error) {
	if def == nil {
		return tag.Object{}, &StructError{Err: errors.New("no definition")}
	}
	if len(body) > maxStructBodyBytes {
		return tag.Object{}, &StructError{Type: def.Name, Err: errStructTooLarge}
	}
	d := structDecoder{buf: ua.NewBuffer(body), resolve: resolve, enums: enums, top: def.Name}
	defer func() {
		// gopcua's decoders of built-in types can panic on corrupt input
		// (a negative Variant array length): a bad body, not a crash.
		if r := recover(); r != nil {
			obj, err = tag.Object{}, &StructError{Type: def.Name, Field: d.path, Err: fmt.Errorf("corrupt body: %v", r)}
		}
	}()
	obj, err = d.object(def, 0, "")
	if err != nil {
		return tag.Object{}, err
	}
	if d.buf.Pos() != len(body) {
		return tag.Object{}, &StructError{Type: def.Name, Err: fmt.Errorf("%w: %d", errStructTrailing, len(body)-d.buf.Pos())}
	}
	return obj, nil
}

// structDecoder reads one body.
type structDecoder struct {
	buf     *ua.Buffer
	resolve ExtensionResolver
	enums   *enumNamer // nil: enumerations stay numbers
	top     string
	path    string // field being decoded, for errors
}

func (d *structDecoder) fail(err error) error {
	return &StructError{Type: d.top, Field: d.path, Err: err}
}

func (d *structDecoder) remaining() int {
	return d.buf.Len()
}

// object decodes one structure of type def at nesting depth.
func (d *structDecoder) object(def *StructDef, depth int, prefix string) (tag.Object, error) {
	if depth >= maxStructDepth {
		d.path = prefix
		return tag.Object{}, d.fail(errStructTooDeep)
	}
	obj := tag.Object{TypeName: def.Name}
	switch def.Kind {
	case StructUnion:
		d.path = prefix
		sw := d.buf.ReadUint32()
		if err := d.buf.Error(); err != nil {
			return obj, d.fail(fmt.Errorf("union switch: %w", err))
		}
		if sw == 0 {
			return obj, nil
		}
		if int(sw) > len(def.Fields) {
			return obj, d.fail(fmt.Errorf("%w: %d of %d", errStructUnionCase, sw, len(def.Fields)))
		}
		f := &def.Fields[sw-1]
		v, err := d.field(f, depth, join(prefix, f.Name))
		if err != nil {
			return obj, err
		}
		obj.Fields = []tag.Field{{Name: f.Name, Value: v}}
		return obj, nil
	case StructOptional:
		d.path = prefix
		mask := d.buf.ReadUint32()
		if err := d.buf.Error(); err != nil {
			return obj, d.fail(fmt.Errorf("optional fields mask: %w", err))
		}
		obj.Fields = make([]tag.Field, 0, len(def.Fields))
		bit := 0
		for i := range def.Fields {
			f := &def.Fields[i]
			if f.Optional {
				present := bit < 32 && mask&(1<<bit) != 0
				bit++
				if !present {
					continue
				}
			}
			v, err := d.field(f, depth, join(prefix, f.Name))
			if err != nil {
				return obj, err
			}
			obj.Fields = append(obj.Fields, tag.Field{Name: f.Name, Value: v})
		}
		return obj, nil
	}
	obj.Fields = make([]tag.Field, 0, len(def.Fields))
	for i := range def.Fields {
		f := &def.Fields[i]
		v, err := d.field(f, depth, join(prefix, f.Name))
		if err != nil {
			return obj, err
		}
		obj.Fields = append(obj.Fields, tag.Field{Name: f.Name, Value: v})
	}
	return obj, nil
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// field decodes one field: scalar, array or matrix.
func (d *structDecoder) field(f *FieldDef, depth int, path string) (any, error) {
	d.path = path
	switch {
	case f.ValueRank == 1:
		n, err := d.arrayLen()
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, nil
		}
		return d.array(f, n, depth, path)
	case f.ValueRank > 1:
		return d.matrix(f, depth, path)
	}
	return d.scalar(f, depth, path)
}

// arrayLen reads an Int32 array length: -1 for a null array, otherwise
// bounded by maxStructArrayLen and by the bytes left (every element takes
// at least one byte).
func (d *structDecoder) arrayLen() (int, error) {
	n := d.buf.ReadInt32()
	if err := d.buf.Error(); err != nil {
		return 0, d.fail(fmt.Errorf("array length: %w", err))
	}
	if n == -1 {
		return -1, nil
	}
	if n < 0 || int(n) > maxStructArrayLen || int(n) > d.remaining() {
		return 0, d.fail(fmt.Errorf("%w: %d", errStructArrayLen, n))
	}
	return int(n), nil
}

// matrix decodes a multi-dimensional array field: its Int32 dimensions,
// then the elements flattened, into a tag.Matrix.
func (d *structDecoder) matrix(f *FieldDef, depth int, path string) (any, error) {
	nd, err := d.arrayLen()
	if err != nil {
		return nil, err
	}
	if nd < 0 {
		return nil, nil
	}
	m := tag.Matrix{Dimensions: make([]int, nd)}
	total := 1
	for i := range m.Dimensions {
		dim := d.buf.ReadInt32()
		if dim < 0 || int(dim) > maxStructArrayLen {
			return nil, d.fail(fmt.Errorf("%w: dimension %d", errStructArrayLen, dim))
		}
		m.Dimensions[i] = int(dim)
		total *= int(dim)
		if total > maxStructArrayLen {
			return nil, d.fail(fmt.Errorf("%w: %d elements", errStructArrayLen, total))
		}
	}
	if err := d.buf.Error(); err != nil {
		return nil, d.fail(err)
	}
	if total > d.remaining() {
		return nil, d.fail(fmt.Errorf("%w: %d elements", errStructArrayLen, total))
	}
	m.Elements = make([]any, total)
	for i := range m.Elements {
		p := path
		if f.Struct != nil {
			// Errors inside a structure element name it by its flat
			// (row-major) index.
			p = fmt.Sprintf("%s[%d]", path, i)
		}
		v, err := d.scalar(f, depth, p)
		if err != nil {
			return nil, err
		}
		m.Elements[i] = v
	}
	return m, nil
}

// array decodes n elements of a one-dimensional array field into the same
// typed slice Value gives an array of that type ([]float64, []string, ...),
// []tag.Object for structures and []any for types Value also gives []any.
func (d *structDecoder) array(f *FieldDef, n int, depth int, path string) (any, error) {
	b := d.buf
	if f.Struct != nil && !f.Subtyped {
		out := make([]tag.Object, n)
		for i := range out {
			o, err := d.object(f.Struct, depth+1, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = o
		}
		return out, nil
	}
	var x any
	switch f.Type {
	case ua.TypeIDBoolean:
		x = readN(n, b.ReadBool)
	case ua.TypeIDSByte:
		x = readN(n, b.ReadInt8)
	case ua.TypeIDByte:
		x = readN(n, b.ReadByte)
	case ua.TypeIDInt16:
		x = readN(n, b.ReadInt16)
	case ua.TypeIDUint16:
		x = readN(n, b.ReadUint16)
	case ua.TypeIDInt32:
		x = readN(n, b.ReadInt32)
	case ua.TypeIDUint32:
		x = readN(n, b.ReadUint32)
	case ua.TypeIDInt64:
		x = readN(n, b.ReadInt64)
	case ua.TypeIDUint64:
		x = readN(n, b.ReadUint64)
	case ua.TypeIDFloat:
		x = readN(n, b.ReadFloat32)
	case ua.TypeIDDouble:
		x = readN(n, b.ReadFloat64)
	case ua.TypeIDString:
		x = readN(n, b.ReadString)
	case ua.TypeIDDateTime:
		x = readN(n, b.ReadTime)
	case ua.TypeIDByteString:
		x = readN(n, func() []byte { return cloneBytes(b.ReadBytes()) })
	case ua.TypeIDXMLElement:
		x = readN(n, func() ua.XMLElement { return ua.XMLElement(b.ReadString()) })
	case ua.TypeIDStatusCode:
		x = readN(n, func() ua.StatusCode { return ua.StatusCode(b.ReadUint32()) })
	case ua.TypeIDGUID:
		x = readN(n, func() *ua.GUID { return readStruct(b, new(ua.GUID)) })
	case ua.TypeIDNodeID:
		x = readN(n, func() *ua.NodeID { return readStruct(b, new(ua.NodeID)) })
	case ua.TypeIDExpandedNodeID:
		x = readN(n, func() *ua.ExpandedNodeID { return readStruct(b, new(ua.ExpandedNodeID)) })
	case ua.TypeIDQualifiedName:
		x = readN(n, func() *ua.QualifiedName { return readStruct(b, new(ua.QualifiedName)) })
	case ua.TypeIDLocalizedText:
		x = readN(n, func() *ua.LocalizedText { return readStruct(b, new(ua.LocalizedText)) })
	default:
		out := make([]any, n)
		for i := range out {
			v, err := d.scalar(f, depth, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	if err := b.Error(); err != nil {
		return nil, d.fail(err)
	}
	if f.Enum != nil && d.enums.active() {
		return d.enums.convert(f.Enum, x), nil
	}
	return convert(x, depth+1), nil
}

// readN reads n values with read; the caller checks the buffer's error.
func readN[T any](n int, read func() T) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = read()
	}
	return out
}

// readStruct decodes one gopcua type with its own decoder.
func readStruct[T any](b *ua.Buffer, v *T) *T {
	b.ReadStruct(v)
	return v
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// scalar decodes one value of field f's type.
func (d *structDecoder) scalar(f *FieldDef, depth int, path string) (any, error) {
	if f.Struct != nil && !f.Subtyped {
		return d.object(f.Struct, depth+1, path)
	}
	b := d.buf
	var x any
	switch f.Type {
	case ua.TypeIDBoolean:
		x = b.ReadBool()
	case ua.TypeIDSByte:
		x = b.ReadInt8()
	case ua.TypeIDByte:
		x = b.ReadByte()
	case ua.TypeIDInt16:
		x = b.ReadInt16()
	case ua.TypeIDUint16:
		x = b.ReadUint16()
	case ua.TypeIDInt32:
		x = b.ReadInt32()
	case ua.TypeIDUint32:
		x = b.ReadUint32()
	case ua.TypeIDInt64:
		x = b.ReadInt64()
	case ua.TypeIDUint64:
		x = b.ReadUint64()
	case ua.TypeIDFloat:
		x = b.ReadFloat32()
	case ua.TypeIDDouble:
		x = b.ReadFloat64()
	case ua.TypeIDString:
		x = b.ReadString()
	case ua.TypeIDDateTime:
		x = b.ReadTime().UTC()
	case ua.TypeIDGUID:
		x = readStruct(b, new(ua.GUID))
	case ua.TypeIDByteString:
		x = cloneBytes(b.ReadBytes())
	case ua.TypeIDXMLElement:
		x = ua.XMLElement(b.ReadString())
	case ua.TypeIDNodeID:
		x = readStruct(b, new(ua.NodeID))
	case ua.TypeIDExpandedNodeID:
		x = readStruct(b, new(ua.ExpandedNodeID))
	case ua.TypeIDStatusCode:
		x = ua.StatusCode(b.ReadUint32())
	case ua.TypeIDQualifiedName:
		x = readStruct(b, new(ua.QualifiedName))
	case ua.TypeIDLocalizedText:
		x = readStruct(b, new(ua.LocalizedText))
	case ua.TypeIDExtensionObject:
		x = readStruct(b, new(ua.ExtensionObject))
	case ua.TypeIDDataValue:
		x = readStruct(b, new(ua.DataValue))
	case ua.TypeIDVariant:
		x = readStruct(b, new(ua.Variant))
	case ua.TypeIDDiagnosticInfo:
		x = readStruct(b, new(ua.DiagnosticInfo))
	default:
		return nil, d.fail(fmt.Errorf("unsupported field type id %d", f.Type))
	}
	if err := b.Error(); err != nil {
		return nil, d.fail(err)
	}
	switch t := x.(type) {
	case *ua.ExtensionObject:
		return d.extension(t, depth)
	case *ua.Variant:
		if eo, ok := t.Value().(*ua.ExtensionObject); ok {
			return d.extension(eo, depth)
		}
	case time.Time:
		return t, nil
	case int32:
		if f.Enum != nil && d.enums.active() {
			return d.enums.value(f.Enum, t), nil
		}
	}
	return convert(x, depth+1), nil
}

// extension converts an ExtensionObject found inside a body: decoded from
// its definition when resolve knows its encoding, otherwise like Value.
func (d *structDecoder) extension(eo *ua.ExtensionObject, depth int) (any, error) {
	raw, ok := eo.Value.(*rawBody)
	if !ok || d.resolve == nil || eo.TypeID == nil || eo.TypeID.NodeID == nil {
		return extensionObject(eo, depth+1), nil
	}
	def := d.resolve(FormatNodeID(eo.TypeID.NodeID))
	if def == nil {
		return extensionObject(eo, depth+1), nil
	}
	if depth+1 >= maxStructDepth {
		return nil, d.fail(errStructTooDeep)
	}
	inner := structDecoder{buf: ua.NewBuffer(raw.body), resolve: d.resolve, enums: d.enums, top: d.top}
	obj, err := inner.object(def, depth+1, d.path)
	if err != nil {
		return nil, err
	}
	if inner.buf.Pos() != len(raw.body) {
		return nil, d.fail(fmt.Errorf("%w: %d", errStructTrailing, len(raw.body)-inner.buf.Pos()))
	}
	return obj, nil
}
