package opcua

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gopcua/opcua/ua"
)

// The legacy DataTypeDictionary (OPC UA 1.03 and earlier, Part 5 Annex D
// and Part 3 5.8): servers without the DataTypeDefinition attribute
// describe their structures in an OPC Binary schema, an XML document held
// as a ByteString by a DataTypeDictionary variable. A type's Default
// Binary encoding refers (HasDescription) to a DataTypeDescription
// variable of that dictionary whose value is the type's name in it.

// maxDictionaryBytes bounds one dictionary document.
const maxDictionaryBytes = 8 << 20

// binarySchema is an opc:TypeDictionary document, as much of it as
// decoding needs.
type binarySchema struct {
	TargetNamespace string             `xml:"TargetNamespace,attr"`
	Structured      []schemaStructured `xml:"StructuredType"`
	Enumerated      []schemaEnumerated `xml:"EnumeratedType"`
	// prefixes maps the document's namespace prefixes (xmlns:x) to URIs.
	prefixes map[string]string
}

type schemaStructured struct {
	Name     string        `xml:"Name,attr"`
	BaseType string        `xml:"BaseType,attr"`
	Fields   []schemaField `xml:"Field"`
}

type schemaField struct {
	Name        string `xml:"Name,attr"`
	TypeName    string `xml:"TypeName,attr"`
	Length      string `xml:"Length,attr"`
	LengthField string `xml:"LengthField,attr"`
	SwitchField string `xml:"SwitchField,attr"`
	SwitchValue string `xml:"SwitchValue,attr"`
}

type schemaEnumerated struct {
	Name   string `xml:"Name,attr"`
	Values []struct {
		Name  string `xml:"Name,attr"`
		Value int64  `xml:"Value,attr"`
	} `xml:"EnumeratedValue"`
}

const (
	binarySchemaNS = "http://opcfoundation.org/BinarySchema/"
	uaTypesNS      = "http://opcfoundation.org/UA/"
)

// parseBinarySchema reads a dictionary document.
func parseBinarySchema(doc []byte) (*binarySchema, error) {
	if len(doc) > maxDictionaryBytes {
		return nil, fmt.Errorf("dictionary of %d bytes is larger than %d", len(doc), maxDictionaryBytes)
	}
	var s binarySchema
	if err := xml.Unmarshal(doc, &s); err != nil {
		return nil, fmt.Errorf("dictionary: %w", err)
	}
	// encoding/xml does not expose the prefix declarations through
	// struct tags; read them from the root element.
	s.prefixes = map[string]string{}
	dec := xml.NewDecoder(strings.NewReader(string(doc)))
	for {
		tok, err := dec.RawToken()
		if err != nil {
			return nil, fmt.Errorf("dictionary: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				if a.Name.Space == "xmlns" {
					s.prefixes[a.Name.Local] = a.Value
				}
			}
			break
		}
	}
	return &s, nil
}

// schemaBuiltins maps the OPC Binary and UA type names a field may have to
// built-in types.
var schemaBuiltins = map[string]ua.TypeID{
	"Boolean": ua.TypeIDBoolean, "SByte": ua.TypeIDSByte, "Byte": ua.TypeIDByte,
	"Int16": ua.TypeIDInt16, "UInt16": ua.TypeIDUint16, "Int32": ua.TypeIDInt32,
	"UInt32": ua.TypeIDUint32, "Int64": ua.TypeIDInt64, "UInt64": ua.TypeIDUint64,
	"Float": ua.TypeIDFloat, "Double": ua.TypeIDDouble, "String": ua.TypeIDString,
	"CharArray": ua.TypeIDString, "WideString": ua.TypeIDString, "DateTime": ua.TypeIDDateTime,
	"Guid": ua.TypeIDGUID, "ByteString": ua.TypeIDByteString, "XmlElement": ua.TypeIDXMLElement,
	"NodeId": ua.TypeIDNodeID, "ExpandedNodeId": ua.TypeIDExpandedNodeID,
	"StatusCode": ua.TypeIDStatusCode, "QualifiedName": ua.TypeIDQualifiedName,
	"LocalizedText": ua.TypeIDLocalizedText, "ExtensionObject": ua.TypeIDExtensionObject,
	"DataValue": ua.TypeIDDataValue, "Variant": ua.TypeIDVariant, "DiagnosticInfo": ua.TypeIDDiagnosticInfo,
}

// schemaTypes builds StructDefs from one dictionary, on demand and once
// per name.
type schemaTypes struct {
	s       *binarySchema
	structs map[string]*StructDef
	enums   map[string]*EnumDef
}

func newSchemaTypes(s *binarySchema) *schemaTypes {
	return &schemaTypes{s: s, structs: map[string]*StructDef{}, enums: map[string]*EnumDef{}}
}

// split returns the namespace URI and local name of a qualified type name
// ("tns:Machine", "opc:Int32").
func (t *schemaTypes) split(qname string) (string, string) {
	prefix, local, ok := strings.Cut(qname, ":")
	if !ok {
		return t.s.TargetNamespace, qname
	}
	return t.s.prefixes[prefix], local
}

// structure returns the definition of the structured type name of this
// dictionary.
func (t *schemaTypes) structure(name string, depth int) (*StructDef, error) {
	if def, ok := t.structs[name]; ok {
		return def, nil
	}
	if depth >= maxStructDepth {
		return nil, fmt.Errorf("type %s: %w", name, errStructTooDeep)
	}
	var st *schemaStructured
	for i := range t.s.Structured {
		if t.s.Structured[i].Name == name {
			st = &t.s.Structured[i]
			break
		}
	}
	if st == nil {
		return nil, fmt.Errorf("dictionary %s has no structured type %q", t.s.TargetNamespace, name)
	}
	def := &StructDef{Name: name}
	t.structs[name] = def // before the fields: a type may refer to itself
	if err := t.fields(def, st, depth); err != nil {
		delete(t.structs, name)
		return nil, fmt.Errorf("type %s: %w", name, err)
	}
	return def, nil
}

// fields turns the schema's fields into the definition's: bit fields in
// front make an optional-fields mask, a UInt32 switch with switch values
// a union, and an Int32 length field plus a field with LengthField an
// array.
func (t *schemaTypes) fields(def *StructDef, st *schemaStructured, depth int) error {
	bits := map[string]int{} // bit field name -> bit position
	nbits := 0
	lengthOf := map[string]bool{}
	unionSwitch := ""
	for _, f := range st.Fields {
		if f.LengthField != "" {
			lengthOf[f.LengthField] = true
		}
		if f.SwitchValue != "" {
			unionSwitch = f.SwitchField
		}
	}
	nextOptionalBit := 0
	for _, f := range st.Fields {
		ns, local := t.split(f.TypeName)
		if ns == binarySchemaNS && local == "Bit" {
			n := 1
			if f.Length != "" {
				v, err := strconv.Atoi(f.Length)
				if err != nil || v < 1 || v > 32 {
					return fmt.Errorf("field %s: bad bit length %q", f.Name, f.Length)
				}
				n = v
			}
			bits[f.Name] = nbits
			nbits += n
			continue
		}
		if lengthOf[f.Name] || f.Name == unionSwitch && unionSwitch != "" {
			continue
		}
		fd := FieldDef{Name: f.Name, ValueRank: -1}
		if f.LengthField != "" {
			fd.ValueRank = 1
		}
		switch {
		case f.SwitchValue != "":
			v, err := strconv.Atoi(f.SwitchValue)
			if err != nil || v != len(def.Fields)+1 {
				return fmt.Errorf("field %s: union switch value %q is not its position %d", f.Name, f.SwitchValue, len(def.Fields)+1)
			}
		case f.SwitchField != "":
			bit, ok := bits[f.SwitchField]
			if !ok {
				return fmt.Errorf("field %s: switch field %q is not a bit field", f.Name, f.SwitchField)
			}
			if bit != nextOptionalBit {
				return fmt.Errorf("field %s: optional bit %d is out of field order", f.Name, bit)
			}
			nextOptionalBit++
			fd.Optional = true
		}
		if err := t.fieldType(&fd, ns, local, depth); err != nil {
			return fmt.Errorf("field %s: %w", f.Name, err)
		}
		def.Fields = append(def.Fields, fd)
	}
	switch {
	case unionSwitch != "":
		def.Kind = StructUnion
	case nbits > 0:
		if nbits != 32 {
			return fmt.Errorf("optional-field mask of %d bits, want 32", nbits)
		}
		def.Kind = StructOptional
	}
	return nil
}

// fieldType resolves a field's type name.
func (t *schemaTypes) fieldType(fd *FieldDef, ns, local string, depth int) error {
	switch ns {
	case binarySchemaNS, uaTypesNS:
		if b, ok := schemaBuiltins[local]; ok {
			fd.Type = b
			return nil
		}
		return fmt.Errorf("type %s of namespace %s is not supported", local, ns)
	case t.s.TargetNamespace:
		if en := t.enum(local); en != nil {
			fd.Type, fd.Enum = ua.TypeIDInt32, en
			return nil
		}
		def, err := t.structure(local, depth+1)
		if err != nil {
			return err
		}
		fd.Type, fd.Struct = ua.TypeIDExtensionObject, def
		return nil
	}
	return fmt.Errorf("type %s of namespace %q is not in this dictionary", local, ns)
}

// enum returns the enumerated type name, or nil.
func (t *schemaTypes) enum(name string) *EnumDef {
	if en, ok := t.enums[name]; ok {
		return en
	}
	for _, e := range t.s.Enumerated {
		if e.Name == name {
			en := &EnumDef{Name: name, Values: make(map[int64]string, len(e.Values))}
			for _, v := range e.Values {
				en.Values[v.Value] = v.Name
			}
			t.enums[name] = en
			return en
		}
	}
	return nil
}

var errNoDictionary = errors.New("no DataTypeDefinition and no data type dictionary")
