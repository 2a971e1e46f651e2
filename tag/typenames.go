package tag

// BuiltinType is an OPC UA built-in type id (OPC UA Part 6 §5.1.2): the
// type of a variant's value.
type BuiltinType uint8

// The built-in types, with their ids.
const (
	TypeNull BuiltinType = iota
	TypeBoolean
	TypeSByte
	TypeByte
	TypeInt16
	TypeUInt16
	TypeInt32
	TypeUInt32
	TypeInt64
	TypeUInt64
	TypeFloat
	TypeDouble
	TypeString
	TypeDateTime
	TypeGUID
	TypeByteString
	TypeXMLElement
	TypeNodeID
	TypeExpandedNodeID
	TypeStatusCode
	TypeQualifiedName
	TypeLocalizedText
	TypeExtensionObject
	TypeDataValue
	TypeVariant
	TypeDiagnosticInfo
)

// builtinTypeNames is the one table of the built-in types' names (the
// names msg.meta.opcua_data_type carries), indexed by id.
var builtinTypeNames = [...]string{
	TypeNull:            "Null",
	TypeBoolean:         "Boolean",
	TypeSByte:           "SByte",
	TypeByte:            "Byte",
	TypeInt16:           "Int16",
	TypeUInt16:          "UInt16",
	TypeInt32:           "Int32",
	TypeUInt32:          "UInt32",
	TypeInt64:           "Int64",
	TypeUInt64:          "UInt64",
	TypeFloat:           "Float",
	TypeDouble:          "Double",
	TypeString:          "String",
	TypeDateTime:        "DateTime",
	TypeGUID:            "Guid",
	TypeByteString:      "ByteString",
	TypeXMLElement:      "XmlElement",
	TypeNodeID:          "NodeId",
	TypeExpandedNodeID:  "ExpandedNodeId",
	TypeStatusCode:      "StatusCode",
	TypeQualifiedName:   "QualifiedName",
	TypeLocalizedText:   "LocalizedText",
	TypeExtensionObject: "ExtensionObject",
	TypeDataValue:       "DataValue",
	TypeVariant:         "Variant",
	TypeDiagnosticInfo:  "DiagnosticInfo",
}

// String returns the OPC UA name of t ("Double", "UInt64", "Null", ...), or
// "" for an id that is no built-in type.
func (t BuiltinType) String() string {
	if int(t) < len(builtinTypeNames) {
		return builtinTypeNames[t]
	}
	return ""
}
