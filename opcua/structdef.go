package opcua

import (
	"github.com/gopcua/opcua/ua"
)

// StructKind is how a structure's body is laid out (OPC UA Part 6, 5.2.7).
type StructKind uint8

const (
	// StructPlain encodes every field in order.
	StructPlain StructKind = iota
	// StructOptional starts with a UInt32 mask with one bit per optional
	// field (in field order); a field whose bit is clear is not encoded.
	StructOptional
	// StructUnion starts with a UInt32 switch: 0 for no field, otherwise
	// the 1-based index of the one field that follows.
	StructUnion
)

// String names the kind as the site file and browse output do.
func (k StructKind) String() string {
	switch k {
	case StructOptional:
		return "structure_with_optional_fields"
	case StructUnion:
		return "union"
	}
	return "structure"
}

// StructDef is the definition of one structured DataType as a session
// loaded it from the server (DataTypeDefinition, or the legacy
// DataTypeDictionary). Definitions are immutable once built and may be
// shared by goroutines.
type StructDef struct {
	// Name is the data type's browse name; it becomes opcua_data_type.
	Name string
	// TypeID and EncodingID are the data type's node id and its Default
	// Binary encoding's node id, in standard string form. EncodingID is ""
	// for a structure only ever met inline in another one.
	TypeID     string
	EncodingID string
	Kind       StructKind
	// Fields are all fields, those of the base types included, in
	// encoding order.
	Fields []FieldDef
}

// FieldDef is one field of a structure.
type FieldDef struct {
	Name string
	// Type is the field's value type: a built-in type, or the built-in
	// type an enumeration (Int32) or a subtype of a built-in type is
	// encoded as. It is ua.TypeIDExtensionObject for a nested structure,
	// which is then encoded inline from Struct (not as an ExtensionObject).
	Type ua.TypeID
	// Struct is set for a field whose type is a structure: its definition.
	Struct *StructDef
	// Enum is set for a field whose type is an enumeration.
	Enum *EnumDef
	// ValueRank is -1 for a scalar, 1 for a one-dimensional array, >1 for
	// a multi-dimensional one (encoded as its Int32 dimensions, then the
	// elements flattened).
	ValueRank int32
	// Optional marks a field of a StructOptional structure that may be
	// absent (then it has no key in the decoded object).
	Optional bool
	// Subtyped marks a field of a structure with subtyped values: it holds
	// any subtype of its type, so it is encoded as an ExtensionObject (a
	// structure) or a Variant rather than inline.
	Subtyped bool
}

// EnumDef is an enumeration's definition: its values' names by number.
// Values are decoded as their number (Int32); the names are what browse
// lists and what ValueName looks up.
type EnumDef struct {
	Name   string
	TypeID string
	Values map[int64]string
}

// ValueName returns the name of enumeration value v, or "" when it has none.
func (e *EnumDef) ValueName(v int64) string {
	if e == nil {
		return ""
	}
	return e.Values[v]
}
