package engine

import (
	"strconv"
	"strings"
	"time"

	"github.com/edgetag/edgetag/tag"
)

// Meta keys the engine provides to scripts.
const (
	MetaSource          = "opcua_source"
	MetaEndpoint        = "opcua_endpoint"
	MetaNodeID          = "opcua_node_id"
	MetaTagName         = "opcua_tag_name"
	MetaTagGroup        = "opcua_tag_group"
	MetaTagPath         = "opcua_tag_path"
	MetaTagType         = "opcua_tag_type"
	MetaDataType        = "opcua_data_type"
	MetaStatusCode      = "opcua_status_code"
	MetaSourceTimestamp = "opcua_source_timestamp"
	MetaServerTimestamp = "opcua_server_timestamp"
	// UMH aliases, so pasted tag_processor blocks keep working.
	MetaAttrNodeID     = "opcua_attr_nodeid"
	MetaAttrBrowseName = "opcua_attr_browsename"
	MetaAttrDataType   = "opcua_attr_datatype"
	MetaAttrStatusCode = "opcua_attr_statuscode"
)

// Indexes of msg.meta's base entries: the engine keys in header order,
// then the node's Extra keys (see nodeState.extra).
const (
	idxSource = iota
	idxEndpoint
	idxNodeID
	idxTagName
	idxTagGroup
	idxTagPath
	idxTagType
	idxDataType
	idxStatus
	idxSourceTime
	idxServerTime
	idxAttrNodeID
	idxAttrBrowseName
	idxAttrDataType
	idxAttrStatus
	nodeMetaFixed
)

// fixedKeys are the engine keys by index.
var fixedKeys = [nodeMetaFixed]string{
	MetaSource, MetaEndpoint, MetaNodeID, MetaTagName, MetaTagGroup, MetaTagPath,
	MetaTagType, MetaDataType, MetaStatusCode, MetaSourceTimestamp, MetaServerTimestamp,
	MetaAttrNodeID, MetaAttrBrowseName, MetaAttrDataType, MetaAttrStatusCode,
}

// fixedIndex returns the index of an engine key among the fixed meta
// entries (idxTagType, ...), or -1.
func fixedIndex(k string) int {
	switch k {
	case MetaSource:
		return idxSource
	case MetaEndpoint:
		return idxEndpoint
	case MetaNodeID:
		return idxNodeID
	case MetaTagName:
		return idxTagName
	case MetaTagGroup:
		return idxTagGroup
	case MetaTagPath:
		return idxTagPath
	case MetaTagType:
		return idxTagType
	case MetaDataType:
		return idxDataType
	case MetaStatusCode:
		return idxStatus
	case MetaSourceTimestamp:
		return idxSourceTime
	case MetaServerTimestamp:
		return idxServerTime
	case MetaAttrNodeID:
		return idxAttrNodeID
	case MetaAttrBrowseName:
		return idxAttrBrowseName
	case MetaAttrDataType:
		return idxAttrDataType
	case MetaAttrStatusCode:
		return idxAttrStatus
	}
	return -1
}

// engineKey reports whether k is a meta key the engine sets itself.
func engineKey(k string) bool {
	switch k {
	case MetaSource, MetaEndpoint, MetaNodeID, MetaTagName, MetaTagGroup, MetaTagPath,
		MetaTagType, MetaDataType, MetaStatusCode, MetaSourceTimestamp, MetaServerTimestamp,
		MetaAttrNodeID, MetaAttrBrowseName, MetaAttrDataType, MetaAttrStatusCode:
		return true
	}
	return false
}

// sampleTypes returns opcua_tag_type and opcua_data_type of a sample: the
// node's DataType when known, else one derived from the Go value.
func sampleTypes(s *tag.Sample) (tagType, dataType string) {
	tagType, dataType = valueTypes(sampleValue(s))
	if s.Node.DataType != "" {
		dataType = s.Node.DataType
	}
	return tagType, dataType
}

// fillMeta points m at the node's meta for sample s and overrides the
// entries in which s differs from the node's first sample.
func (rt *jsRuntime) fillMeta(m *metaHandler, s *tag.Sample) {
	ns := rt.e.nodes.get(s, len(rt.e.stages))
	if rt.lookups++; rt.lookups == tickEvery {
		rt.lookups = 0
		rt.e.nodes.tick(tickEvery)
	}
	rt.ns = ns
	m.reset(s.Node, ns, s.SourceTime, s.ServerTime)
	tagType, dataType := sampleTypes(s)
	if tagType != ns.tagTypeName(s.Node) {
		m.override(idxTagType, rt.intern(tagType))
	}
	if dataType != ns.dataTypeName(s.Node) {
		v := rt.intern(dataType)
		m.override(idxDataType, v)
		m.override(idxAttrDataType, v)
	}
	if s.Status != 0 { // the node's meta holds Good
		v := rt.intern(rt.statusName(s.Status))
		m.override(idxStatus, v)
		m.override(idxAttrStatus, v)
	}
	if s.SourceTime.IsZero() {
		m.override(idxSourceTime, nil)
	}
	if s.ServerTime.IsZero() {
		m.override(idxServerTime, nil)
	}
	// A sample's own meta (an event's) is set as a stage would set it, so
	// the per-node reuse of ifs and stage effects (cacheable.go,
	// stagecache.go) sees those keys changed and never reuses a result
	// that reads them.
	for _, h := range s.Meta {
		m.Set(h.Key, rt.vm.ToValue(h.Value))
	}
}

// statusName returns "Good" for status 0, else the OPC UA name of the
// status code (BadTimeout, UncertainLastUsableValue, ...), or its hex form
// when it has no name. Names are cached per runtime.
func (rt *jsRuntime) statusName(code uint32) string {
	if code == 0 {
		return "Good"
	}
	if s, ok := rt.statuses[code]; ok {
		return s
	}
	s := rt.e.statusName(code)
	if len(rt.statuses) < 1024 {
		rt.statuses[code] = s
	}
	return s
}

// statusName is Config.StatusName, "Good" for status 0 and the hex form
// when the config names none.
func (e *Engine) statusName(code uint32) string {
	if code == 0 {
		return "Good"
	}
	if e.statusNames != nil {
		if s := e.statusNames(code); s != "" {
			return s
		}
	}
	return "0x" + strings.ToUpper(strconv.FormatUint(uint64(code)|1<<32, 16)[1:])
}

// valueTypes derives opcua_tag_type (number|bool|string|array|object|
// datetime) and a fallback OPC UA data type name from a sample value.
func valueTypes(v any) (tagType, dataType string) {
	switch x := v.(type) {
	case nil:
		return "object", tag.TypeNull.String()
	case bool:
		return "bool", tag.TypeBoolean.String()
	case int8:
		return "number", tag.TypeSByte.String()
	case uint8:
		return "number", tag.TypeByte.String()
	case int16:
		return "number", tag.TypeInt16.String()
	case uint16:
		return "number", tag.TypeUInt16.String()
	case int32:
		return "number", tag.TypeInt32.String()
	case uint32:
		return "number", tag.TypeUInt32.String()
	case int64:
		return "number", tag.TypeInt64.String()
	case uint64:
		return "number", tag.TypeUInt64.String()
	case int:
		return "number", tag.TypeInt64.String()
	case uint:
		return "number", tag.TypeUInt64.String()
	case float32:
		return "number", tag.TypeFloat.String()
	case float64:
		return "number", tag.TypeDouble.String()
	case string:
		return "string", tag.TypeString.String()
	case time.Time:
		return "datetime", tag.TypeDateTime.String()
	case []byte:
		return "string", tag.TypeByteString.String()
	case tag.LocalizedText:
		return "string", tag.TypeLocalizedText.String()
	case tag.QualifiedName:
		return "string", tag.TypeQualifiedName.String()
	case tag.NodeID:
		return "string", tag.TypeNodeID.String()
	case tag.GUID:
		return "string", tag.TypeGUID.String()
	case tag.XMLElement:
		return "string", tag.TypeXMLElement.String()
	case tag.StatusCode:
		return "number", tag.TypeStatusCode.String()
	case tag.ExtensionObject:
		return "object", tag.TypeExtensionObject.String()
	case tag.Matrix:
		return "array", tag.TypeVariant.String()
	case map[string]any:
		return "object", tag.TypeExtensionObject.String()
	case tag.Object:
		if x.TypeName != "" {
			return "object", x.TypeName
		}
		return "object", tag.TypeExtensionObject.String()
	case []tag.Object:
		return "array", tag.TypeExtensionObject.String()
	case []float64:
		return "array", tag.TypeDouble.String()
	case []float32:
		return "array", tag.TypeFloat.String()
	case []int64:
		return "array", tag.TypeInt64.String()
	case []int32:
		return "array", tag.TypeInt32.String()
	case []int16:
		return "array", tag.TypeInt16.String()
	case []int8:
		return "array", tag.TypeSByte.String()
	case []uint64:
		return "array", tag.TypeUInt64.String()
	case []uint32:
		return "array", tag.TypeUInt32.String()
	case []uint16:
		return "array", tag.TypeUInt16.String()
	case []bool:
		return "array", tag.TypeBoolean.String()
	case []string:
		return "array", tag.TypeString.String()
	case []time.Time:
		return "array", tag.TypeDateTime.String()
	case [][]byte:
		return "array", tag.TypeByteString.String()
	case []any:
		return "array", tag.TypeVariant.String()
	}
	return "object", tag.TypeVariant.String()
}
