package sim

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/server"
	"github.com/gopcua/opcua/server/attrs"
	"github.com/gopcua/opcua/ua"
)

// LegacyDictionary is the OPC Binary schema of the simulator's structure
// Batch, served only through the legacy DataTypeDictionary (as servers
// before OPC UA 1.04 do): an enumeration, a nested structure in an array
// (a length field), an optional field (a mask of bits) and a union (a
// switch field).
const LegacyDictionary = `<?xml version="1.0" encoding="utf-8"?>
<opc:TypeDictionary xmlns:opc="http://opcfoundation.org/BinarySchema/" xmlns:ua="http://opcfoundation.org/UA/" xmlns:tns="urn:edgetag:sim" DefaultByteOrder="LittleEndian" TargetNamespace="urn:edgetag:sim">
  <opc:Import Namespace="http://opcfoundation.org/UA/" Location="Opc.Ua.BinarySchema.bsd"/>
  <opc:EnumeratedType Name="BatchState" LengthInBits="32">
    <opc:EnumeratedValue Name="Idle" Value="0"/>
    <opc:EnumeratedValue Name="Running" Value="1"/>
    <opc:EnumeratedValue Name="Done" Value="2"/>
  </opc:EnumeratedType>
  <opc:StructuredType Name="Dose" BaseType="ua:ExtensionObject">
    <opc:Field Name="Material" TypeName="opc:String"/>
    <opc:Field Name="Kg" TypeName="opc:Double"/>
  </opc:StructuredType>
  <opc:StructuredType Name="Reading" BaseType="ua:Union">
    <opc:Field Name="SwitchField" TypeName="opc:UInt32"/>
    <opc:Field Name="Count" TypeName="opc:Int32" SwitchField="SwitchField" SwitchValue="1"/>
    <opc:Field Name="Text" TypeName="opc:String" SwitchField="SwitchField" SwitchValue="2"/>
  </opc:StructuredType>
  <opc:StructuredType Name="Batch" BaseType="ua:ExtensionObject">
    <opc:Field Name="NoteSpecified" TypeName="opc:Bit"/>
    <opc:Field Name="Reserved1" TypeName="opc:Bit" Length="31"/>
    <opc:Field Name="Id" TypeName="opc:String"/>
    <opc:Field Name="State" TypeName="tns:BatchState"/>
    <opc:Field Name="Tick" TypeName="opc:UInt64"/>
    <opc:Field Name="NoOfDoses" TypeName="opc:Int32"/>
    <opc:Field Name="Doses" TypeName="tns:Dose" LengthField="NoOfDoses"/>
    <opc:Field Name="Last" TypeName="tns:Reading"/>
    <opc:Field Name="Note" TypeName="opc:String" SwitchField="NoteSpecified"/>
  </opc:StructuredType>
</opc:TypeDictionary>`

// rawStruct is a structure body the simulator encodes itself; gopcua's
// server writes it as the body of its ExtensionObject.
type rawStruct []byte

// Encode returns the body.
func (r rawStruct) Encode() ([]byte, error) { return r, nil }

// BatchBody is the binary body of the simulator's Batch value at tick,
// encoded by hand after LegacyDictionary: Id "B-<tick>", State tick%3,
// Tick, two Doses (water tick/10 kg, salt 0.5 kg), Last the union's Count
// (tick) on even ticks and its Text ("odd") on odd ones, and Note
// ("checked") only when tick%4 == 0.
func BatchBody(tick uint64) []byte {
	var b []byte
	str := func(s string) {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	var mask uint32
	if tick%4 == 0 {
		mask = 1
	}
	b = binary.LittleEndian.AppendUint32(b, mask)
	str("B-" + strconv.FormatUint(tick, 10))
	b = binary.LittleEndian.AppendUint32(b, uint32(tick%3))
	b = binary.LittleEndian.AppendUint64(b, tick)
	b = binary.LittleEndian.AppendUint32(b, 2)
	str("water")
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(float64(tick)/10))
	str("salt")
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(0.5))
	if tick%2 == 0 {
		b = binary.LittleEndian.AppendUint32(b, 1)
		b = binary.LittleEndian.AppendUint32(b, uint32(int32(tick)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, 2)
		str("odd")
	}
	if mask != 0 {
		str("checked")
	}
	return b
}

// batchLineField is the field revision 2 of Batch adds at its end.
const batchLineField = `<opc:Field Name="Line" TypeName="opc:String"/>`

// legacyDictionary is the dictionary of Batch's revision (see
// Config.LegacyBatchRevision).
func legacyDictionary(revision int) string {
	if revision < 2 {
		return LegacyDictionary
	}
	note := `<opc:Field Name="Note" TypeName="opc:String" SwitchField="NoteSpecified"/>`
	return strings.Replace(LegacyDictionary, note, note+"\n    "+batchLineField, 1)
}

// BatchBodyRevision is BatchBody for Batch's revision: revision 2 ends
// with the field Line, "L1".
func BatchBodyRevision(tick uint64, revision int) []byte {
	b := BatchBody(tick)
	if revision >= 2 {
		b = binary.LittleEndian.AppendUint32(b, 2)
		b = append(b, "L1"...)
	}
	return b
}

// legacyRef is a reference to a node, for nodes built here.
func legacyRef(refType uint32, forward bool, target *ua.NodeID, name string, class ua.NodeClass) *ua.ReferenceDescription {
	return &ua.ReferenceDescription{
		ReferenceTypeID: ua.NewNumericNodeID(0, refType),
		IsForward:       forward,
		NodeID:          ua.NewExpandedNodeID(target, "", 0),
		BrowseName:      &ua.QualifiedName{Name: name},
		DisplayName:     attrs.DisplayName(name, ""),
		NodeClass:       class,
		TypeDefinition:  ua.NewTwoByteExpandedNodeID(0),
	}
}

// legacyStructures adds Plant/Legacy/Batch (data type Batch, changing every
// tick), Plant/Legacy/Recipe (a writable Batch, BatchBody(0) until
// written) and, for them, the data type node without a DataTypeDefinition,
// its Default Binary encoding, and the DataTypeDictionary with its
// DataTypeDescription.
func (p *plant) legacyStructures(root *server.Node, revision int) {
	ns := p.ns.ID()
	dtID := ua.NewStringNodeID(ns, "Types.Batch")
	encID := ua.NewStringNodeID(ns, "Types.Batch.DefaultBinary")
	descID := ua.NewStringNodeID(ns, "Dictionary.Batch")
	dictID := ua.NewStringNodeID(ns, "Dictionary")
	node := func(nid *ua.NodeID, class ua.NodeClass, name string, extra server.Attributes, refs server.References, val func() *ua.DataValue) {
		a := server.Attributes{
			ua.AttributeIDNodeClass:   server.DataValueFromValue(int32(class)),
			ua.AttributeIDBrowseName:  server.DataValueFromValue(&ua.QualifiedName{NamespaceIndex: ns, Name: name}),
			ua.AttributeIDDisplayName: server.DataValueFromValue(attrs.DisplayName(name, "")),
		}
		for k, v := range extra {
			a[k] = v
		}
		p.ns.AddNode(server.NewNode(nid, a, refs, val))
	}
	constant := func(v any) func() *ua.DataValue {
		dv := server.DataValueFromValue(v)
		return func() *ua.DataValue { return dv }
	}
	node(dtID, ua.NodeClassDataType, "Batch",
		server.Attributes{ua.AttributeIDIsAbstract: server.DataValueFromValue(false)},
		server.References{
			legacyRef(id.HasSubtype, false, ua.NewNumericNodeID(0, id.Structure), "Structure", ua.NodeClassDataType),
			legacyRef(id.HasEncoding, true, encID, "Default Binary", ua.NodeClassObject),
		}, nil)
	node(encID, ua.NodeClassObject, "Default Binary", nil,
		server.References{
			legacyRef(id.HasTypeDefinition, true, ua.NewNumericNodeID(0, id.DataTypeEncodingType), "DataTypeEncodingType", ua.NodeClassObjectType),
			legacyRef(id.HasEncoding, false, dtID, "Batch", ua.NodeClassDataType),
			legacyRef(id.HasDescription, true, descID, "Batch", ua.NodeClassVariable),
		}, nil)
	node(dictID, ua.NodeClassVariable, "EdgetagSim",
		server.Attributes{ua.AttributeIDDataType: server.DataValueFromValue(ua.NewNumericNodeID(0, id.ByteString))},
		server.References{
			legacyRef(id.HasTypeDefinition, true, ua.NewNumericNodeID(0, id.DataTypeDictionaryType), "DataTypeDictionaryType", ua.NodeClassVariableType),
			legacyRef(id.HasComponent, true, descID, "Batch", ua.NodeClassVariable),
		}, constant([]byte(legacyDictionary(revision))))
	node(descID, ua.NodeClassVariable, "Batch",
		server.Attributes{ua.AttributeIDDataType: server.DataValueFromValue(ua.NewNumericNodeID(0, id.String))},
		server.References{
			legacyRef(id.HasTypeDefinition, true, ua.NewNumericNodeID(0, id.DataTypeDescriptionType), "DataTypeDescriptionType", ua.NodeClassVariableType),
			legacyRef(id.HasComponent, false, dictID, "EdgetagSim", ua.NodeClassVariable),
		}, constant("Batch"))

	folder := p.object(root, "Plant.Legacy", "Legacy")
	enc := ua.NewExpandedNodeID(encID, "", 0)
	batch := func(t uint64, _ time.Time) any {
		return &ua.ExtensionObject{EncodingMask: ua.ExtensionObjectBinary, TypeID: enc, Value: rawStruct(BatchBodyRevision(t, revision))}
	}
	p.vars = append(p.vars, p.structVariable(folder, "Plant.Legacy.Batch", "Batch", dtID, byte(ua.AccessLevelTypeCurrentRead), batch))
	// Recipe holds Batch 0 until a client writes another Batch.
	rec := p.structVariable(folder, "Plant.Legacy.Recipe", "Recipe", dtID,
		byte(ua.AccessLevelTypeCurrentRead|ua.AccessLevelTypeCurrentWrite), func(uint64, time.Time) any { return batch(0, time.Time{}) })
	p.commands.writable[rec.key] = &writable{v: rec, typ: ua.TypeIDExtensionObject, encoding: encID}
}

// structVariable adds a scalar variable of structured data type dt below
// folder; next gives its value (an ExtensionObject) at a tick.
func (p *plant) structVariable(folder *server.Node, path, name string, dt *ua.NodeID, access byte, next func(uint64, time.Time) any) *variable {
	ns := p.ns.ID()
	v := &variable{id: ua.NewStringNodeID(ns, path), next: next}
	v.key = v.id.String()
	now := time.Now().UTC()
	v.set(v.next(0, now), now)
	a := server.Attributes{
		ua.AttributeIDNodeClass:       server.DataValueFromValue(int32(ua.NodeClassVariable)),
		ua.AttributeIDBrowseName:      server.DataValueFromValue(&ua.QualifiedName{NamespaceIndex: ns, Name: name}),
		ua.AttributeIDDisplayName:     server.DataValueFromValue(attrs.DisplayName(name, "")),
		ua.AttributeIDDescription:     server.DataValueFromValue(&ua.LocalizedText{}),
		ua.AttributeIDDataType:        server.DataValueFromValue(dt),
		ua.AttributeIDValueRank:       server.DataValueFromValue(int32(-1)),
		ua.AttributeIDAccessLevel:     server.DataValueFromValue(access),
		ua.AttributeIDUserAccessLevel: server.DataValueFromValue(access),
		ua.AttributeIDHistorizing:     server.DataValueFromValue(false),
	}
	typeRef := *p.varType
	v.node = server.NewNode(v.id, a, server.References{&typeRef}, func() *ua.DataValue { return v.cur.Load() })
	p.ns.AddNode(v.node)
	folder.AddRef(v.node, id.HasComponent, true)
	return v
}
