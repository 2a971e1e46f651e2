package sim

import (
	"context"
	"sync"
	"time"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/server"
	"github.com/gopcua/opcua/server/attrs"
	"github.com/gopcua/opcua/ua"
	"github.com/gopcua/opcua/uasc"
)

// Plant/Commands holds what clients may change, for tests of writes and
// method calls (node ids ns=1;s=Plant.Commands.<name>):
//
//	<Type>           one writable variable per built-in scalar type
//	                 (Boolean .. Double, String, DateTime, Guid, ByteString,
//	                 XmlElement, NodeId, ExpandedNodeId, StatusCode,
//	                 QualifiedName, LocalizedText), value unchanged until
//	                 written
//	DoubleArray, Int32Array, StringArray, ByteArray  writable arrays
//	ReadOnly         a Double that is not writable (BadNotWritable)
//
// With Config.LegacyStructures, Plant/Legacy/Recipe (a Batch structure) is
// writable too: an ExtensionObject of Batch's encoding (structureWritten).
//	Add              a method: Add(a Double, b Double) -> Double on the
//	                 object Plant.Commands
//
// Writes are checked as real servers do: a value whose type or array-ness
// differs from the variable's is BadTypeMismatch; a write to any other
// existing node is BadNotWritable, to an unknown node BadNodeIdUnknown.
// Every accepted write notifies the variable's subscribers at once.
// gopcua's own Write service checks no types, and its Call service
// supports no methods: the simulator replaces both.

// CommandsObject and AddMethod are the node ids of the simulator's method.
const (
	CommandsObject = "ns=1;s=Plant.Commands"
	AddMethod      = "ns=1;s=Plant.Commands.Add"
)

// writable is one writable variable of Plant/Commands.
type writable struct {
	v     *variable
	typ   ua.TypeID
	array bool
	// encoding is set for a structure (typ ExtensionObject): the Default
	// Binary encoding id a written ExtensionObject must carry.
	encoding *ua.NodeID
}

// commands serves Write and Call for Plant/Commands.
type commands struct {
	srv      *server.Server
	writable map[string]*writable // node id string -> variable
	object   *ua.NodeID
	add      *ua.NodeID
	writes   sync.Mutex // serializes writes, so a write's notification follows its value
}

// build adds Plant/Commands below root.
func (c *commands) build(p *plant, root *server.Node) {
	c.writable = map[string]*writable{}
	obj := p.object(root, "Plant.Commands", "Commands")
	c.object = ua.NewStringNodeID(p.ns.ID(), "Plant.Commands")
	rw := byte(ua.AccessLevelTypeCurrentRead | ua.AccessLevelTypeCurrentWrite)
	add := func(name string, typ ua.TypeID, array bool, initial any) {
		rank := int32(-1)
		if array {
			rank = 1
		}
		v := p.newVariable(obj, "Plant.Commands."+name, name, uint32(typ), rank, rw, func(uint64, time.Time) any { return initial })
		c.writable[v.key] = &writable{v: v, typ: typ, array: array}
	}
	add("Boolean", ua.TypeIDBoolean, false, false)
	add("SByte", ua.TypeIDSByte, false, int8(0))
	add("Byte", ua.TypeIDByte, false, uint8(0))
	add("Int16", ua.TypeIDInt16, false, int16(0))
	add("UInt16", ua.TypeIDUint16, false, uint16(0))
	add("Int32", ua.TypeIDInt32, false, int32(0))
	add("UInt32", ua.TypeIDUint32, false, uint32(0))
	add("Int64", ua.TypeIDInt64, false, int64(0))
	add("UInt64", ua.TypeIDUint64, false, uint64(0))
	add("Float", ua.TypeIDFloat, false, float32(0))
	add("Double", ua.TypeIDDouble, false, float64(0))
	add("String", ua.TypeIDString, false, "")
	add("DateTime", ua.TypeIDDateTime, false, time.Unix(0, 0).UTC())
	add("Guid", ua.TypeIDGUID, false, &ua.GUID{Data4: make([]byte, 8)})
	add("ByteString", ua.TypeIDByteString, false, []byte{})
	add("XmlElement", ua.TypeIDXMLElement, false, ua.XMLElement(""))
	add("NodeId", ua.TypeIDNodeID, false, ua.NewNumericNodeID(0, 0))
	add("ExpandedNodeId", ua.TypeIDExpandedNodeID, false, ua.NewNumericExpandedNodeID(0, 0))
	add("StatusCode", ua.TypeIDStatusCode, false, ua.StatusOK)
	add("QualifiedName", ua.TypeIDQualifiedName, false, &ua.QualifiedName{})
	add("LocalizedText", ua.TypeIDLocalizedText, false, ua.NewLocalizedText(""))
	add("DoubleArray", ua.TypeIDDouble, true, []float64{})
	add("Int32Array", ua.TypeIDInt32, true, []int32{})
	add("StringArray", ua.TypeIDString, true, []string{})
	add("ByteArray", ua.TypeIDByte, true, []uint8{})
	p.newVariable(obj, "Plant.Commands.ReadOnly", "ReadOnly", id.Double, -1, byte(ua.AccessLevelTypeCurrentRead),
		func(uint64, time.Time) any { return 1.5 })

	c.add = ua.NewStringNodeID(p.ns.ID(), "Plant.Commands.Add")
	m := server.NewNode(c.add, server.Attributes{
		ua.AttributeIDNodeClass:      server.DataValueFromValue(int32(ua.NodeClassMethod)),
		ua.AttributeIDBrowseName:     server.DataValueFromValue(&ua.QualifiedName{NamespaceIndex: p.ns.ID(), Name: "Add"}),
		ua.AttributeIDDisplayName:    server.DataValueFromValue(attrs.DisplayName("Add", "")),
		ua.AttributeIDExecutable:     server.DataValueFromValue(true),
		ua.AttributeIDUserExecutable: server.DataValueFromValue(true),
	}, nil, nil)
	p.ns.AddNode(m)
	obj.AddRef(m, id.HasComponent, true)
	arg := func(name string) *ua.ExtensionObject {
		return ua.NewExtensionObject(&ua.Argument{Name: name, DataType: ua.NewNumericNodeID(0, id.Double), ValueRank: -1,
			ArrayDimensions: []uint32{}, Description: ua.NewLocalizedText("")})
	}
	prop := func(name string, args []*ua.ExtensionObject) {
		n := server.NewNode(ua.NewStringNodeID(p.ns.ID(), "Plant.Commands.Add."+name), server.Attributes{
			ua.AttributeIDNodeClass:   server.DataValueFromValue(int32(ua.NodeClassVariable)),
			ua.AttributeIDBrowseName:  server.DataValueFromValue(&ua.QualifiedName{Name: name}),
			ua.AttributeIDDisplayName: server.DataValueFromValue(attrs.DisplayName(name, "")),
			ua.AttributeIDDataType:    server.DataValueFromValue(ua.NewNumericNodeID(0, id.Argument)),
			ua.AttributeIDValueRank:   server.DataValueFromValue(int32(1)),
			ua.AttributeIDAccessLevel: server.DataValueFromValue(byte(ua.AccessLevelTypeCurrentRead)),
		}, nil, func() *ua.DataValue { return server.DataValueFromValue(args) })
		p.ns.AddNode(n)
		m.AddRef(n, id.HasProperty, true)
	}
	prop("InputArguments", []*ua.ExtensionObject{arg("a"), arg("b")})
	prop("OutputArguments", []*ua.ExtensionObject{arg("sum")})
}

// register installs the Write and Call handlers; it must run before
// srv.Start.
func (c *commands) register(srv *server.Server) {
	c.srv = srv
	srv.RegisterHandler(id.WriteRequest_Encoding_DefaultBinary, c.write)
	srv.RegisterHandler(id.CallRequest_Encoding_DefaultBinary, c.call)
}

func (c *commands) write(_ *uasc.SecureChannel, r ua.Request, _ uint32) (ua.Response, error) {
	req, ok := r.(*ua.WriteRequest)
	if !ok {
		return nil, ua.StatusBadRequestTypeInvalid
	}
	results := make([]ua.StatusCode, len(req.NodesToWrite))
	for i, wv := range req.NodesToWrite {
		results[i] = c.writeOne(wv)
	}
	return &ua.WriteResponse{ResponseHeader: responseHeader(req.Header(), ua.StatusOK), Results: results, DiagnosticInfos: []*ua.DiagnosticInfo{}}, nil
}

func (c *commands) writeOne(wv *ua.WriteValue) ua.StatusCode {
	if wv == nil || wv.NodeID == nil {
		return ua.StatusBadNodeIDInvalid
	}
	w, ok := c.writable[wv.NodeID.String()]
	if !ok {
		if c.srv.Node(wv.NodeID) == nil {
			return ua.StatusBadNodeIDUnknown
		}
		return ua.StatusBadNotWritable
	}
	if wv.AttributeID != ua.AttributeIDValue {
		return ua.StatusBadNotWritable
	}
	if wv.Value == nil || wv.Value.Value == nil {
		return ua.StatusBadTypeMismatch
	}
	v := wv.Value.Value
	if v.Type() != w.typ || (v.EncodingMask()&ua.VariantArrayValues != 0) != w.array || v.ArrayDimensions() != nil && len(v.ArrayDimensions()) > 1 {
		return ua.StatusBadTypeMismatch
	}
	if w.encoding != nil {
		if st := structureWritten(v, w.encoding); st != ua.StatusOK {
			return st
		}
	}
	c.writes.Lock()
	defer c.writes.Unlock()
	now := time.Now().UTC()
	w.v.set(v.Value(), now)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	notifier{mis: c.srv.MonitoredItemService}.notify(ctx, []*variable{w.v}, now.Add(100*time.Millisecond))
	return ua.StatusOK
}

// structureWritten checks a structured value written: an ExtensionObject
// of encoding enc whose body was kept. gopcua decodes the body of an
// encoding it knows only (edgetag registers the encodings it loaded, so in
// the process of an edgetag with the built-in simulator the body is kept);
// a body it dropped is BadDataEncodingUnsupported rather than an empty
// value stored.
func structureWritten(v *ua.Variant, enc *ua.NodeID) ua.StatusCode {
	eo, ok := v.Value().(*ua.ExtensionObject)
	switch {
	case !ok || eo == nil || eo.TypeID == nil || eo.TypeID.NodeID == nil:
		return ua.StatusBadTypeMismatch
	case !eo.TypeID.NodeID.Equal(enc):
		return ua.StatusBadTypeMismatch
	case eo.Value == nil:
		return ua.StatusBadDataEncodingUnsupported
	}
	return ua.StatusOK
}

func (c *commands) call(_ *uasc.SecureChannel, r ua.Request, _ uint32) (ua.Response, error) {
	req, ok := r.(*ua.CallRequest)
	if !ok {
		return nil, ua.StatusBadRequestTypeInvalid
	}
	results := make([]*ua.CallMethodResult, len(req.MethodsToCall))
	for i, m := range req.MethodsToCall {
		results[i] = c.callOne(m)
	}
	return &ua.CallResponse{ResponseHeader: responseHeader(req.Header(), ua.StatusOK), Results: results, DiagnosticInfos: []*ua.DiagnosticInfo{}}, nil
}

func (c *commands) callOne(m *ua.CallMethodRequest) *ua.CallMethodResult {
	res := &ua.CallMethodResult{InputArgumentResults: []ua.StatusCode{}, InputArgumentDiagnosticInfos: []*ua.DiagnosticInfo{}, OutputArguments: []*ua.Variant{}}
	switch {
	case m == nil || m.MethodID == nil || c.srv.Node(m.MethodID) == nil:
		res.StatusCode = ua.StatusBadMethodInvalid
		return res
	case m.ObjectID == nil || c.srv.Node(m.ObjectID) == nil:
		res.StatusCode = ua.StatusBadNodeIDUnknown
		return res
	case !m.MethodID.Equal(c.add) || !m.ObjectID.Equal(c.object):
		res.StatusCode = ua.StatusBadMethodInvalid
		return res
	case len(m.InputArguments) < 2:
		res.StatusCode = ua.StatusBadArgumentsMissing
		return res
	case len(m.InputArguments) > 2:
		res.StatusCode = ua.StatusBadTooManyArguments
		return res
	}
	var sum float64
	for _, a := range m.InputArguments {
		f, ok := a.Value().(float64)
		st := ua.StatusOK
		if !ok {
			st = ua.StatusBadTypeMismatch
			res.StatusCode = ua.StatusBadInvalidArgument
		}
		res.InputArgumentResults = append(res.InputArgumentResults, st)
		sum += f
	}
	if res.StatusCode != ua.StatusOK {
		return res
	}
	res.InputArgumentResults = []ua.StatusCode{}
	res.OutputArguments = []*ua.Variant{ua.MustVariant(sum)}
	return res
}
