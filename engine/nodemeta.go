package engine

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gopcua/opcua/ua"

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

// maxNodeCache bounds a runtime's per-node cache; when it is full the cache
// starts over (a site with more nodes pays a rebuild now and then).
const maxNodeCache = 1 << 16

// nodeMeta is the per-node part of msg.meta, built once per node and
// runtime: the JS string values of the node's constant keys. Keys whose
// value depends on the sample (type, status, timestamps) are not in it.
type nodeMeta struct {
	head []metaEntry // source, endpoint, node id, tag name, group, path
	attr []metaEntry // opcua_attr_nodeid, opcua_attr_browsename
	// extra holds tag.Node.Extra in key order; keys that the engine sets
	// itself are not overridden by Extra.
	extra []metaEntry
}

// nodeMetaFor returns the cached meta of n on this runtime.
func (rt *jsRuntime) nodeMetaFor(n *tag.Node) *nodeMeta {
	if nm, ok := rt.nodes[n]; ok {
		return nm
	}
	if len(rt.nodes) >= maxNodeCache {
		clear(rt.nodes)
	}
	c := func(k, v string) metaEntry {
		return metaEntry{key: k, kind: entryConst, str: v, val: rt.intern(v)}
	}
	nm := &nodeMeta{
		head: []metaEntry{
			c(MetaSource, n.Source),
			c(MetaEndpoint, n.Endpoint),
			c(MetaNodeID, n.ID),
			c(MetaTagName, n.Name),
			c(MetaTagGroup, n.Group),
			c(MetaTagPath, n.Path),
		},
		attr: []metaEntry{
			c(MetaAttrNodeID, n.ID),
			c(MetaAttrBrowseName, n.BrowseName),
		},
	}
	if len(n.Extra) > 0 {
		keys := make([]string, 0, len(n.Extra))
		for k := range n.Extra {
			if !engineKey(k) {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := n.Extra[k]
			nm.extra = append(nm.extra, metaEntry{key: k, kind: entryConst, str: v, val: rt.vm.ToValue(v)})
		}
	}
	rt.nodes[n] = nm
	return nm
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

// fillMeta sets the meta entries for sample s, in header order: the node's
// constant keys, type, data type, status, timestamps, the UMH aliases, then
// Extra.
func (rt *jsRuntime) fillMeta(m *metaHandler, s *tag.Sample) {
	nm := rt.nodeMetaFor(s.Node)
	e := append(m.entries[:0], nm.head...)
	tagType, dataType := valueTypes(s.Value)
	if s.Node.DataType != "" {
		dataType = s.Node.DataType
	}
	dt := metaEntry{kind: entryConst, str: dataType, val: rt.intern(dataType)}
	status := rt.statusName(s.Status)
	st := metaEntry{kind: entryConst, str: status, val: rt.intern(status)}
	e = append(e,
		metaEntry{key: MetaTagType, kind: entryConst, str: tagType, val: rt.intern(tagType)},
		metaEntry{key: MetaDataType, kind: dt.kind, str: dt.str, val: dt.val},
		metaEntry{key: MetaStatusCode, kind: st.kind, str: st.str, val: st.val},
	)
	if !s.SourceTime.IsZero() {
		e = append(e, metaEntry{key: MetaSourceTimestamp, kind: entrySourceTime})
	}
	if !s.ServerTime.IsZero() {
		e = append(e, metaEntry{key: MetaServerTimestamp, kind: entryServerTime})
	}
	e = append(e, nm.attr...)
	e = append(e,
		metaEntry{key: MetaAttrDataType, kind: dt.kind, str: dt.str, val: dt.val},
		metaEntry{key: MetaAttrStatusCode, kind: st.kind, str: st.str, val: st.val},
	)
	e = append(e, nm.extra...)
	m.entries = e
	m.src, m.srv = s.SourceTime, s.ServerTime
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
	s := statusName(code)
	if len(rt.statuses) < 1024 {
		rt.statuses[code] = s
	}
	return s
}

func statusName(code uint32) string {
	d, ok := ua.StatusCodes[ua.StatusCode(code)]
	if !ok {
		// The low 16 bits carry info bits (overflow, limits, ...).
		d, ok = ua.StatusCodes[ua.StatusCode(code&0xFFFF0000)]
	}
	if ok && d.Name != "" {
		return strings.TrimPrefix(d.Name, "Status")
	}
	return "0x" + strings.ToUpper(strconv.FormatUint(uint64(code)|1<<32, 16)[1:])
}

// valueTypes derives opcua_tag_type (number|bool|string|array|object|
// datetime) and a fallback OPC UA data type name from a sample value.
func valueTypes(v any) (tagType, dataType string) {
	switch v.(type) {
	case nil:
		return "object", "Null"
	case bool:
		return "bool", "Boolean"
	case int8:
		return "number", "SByte"
	case uint8:
		return "number", "Byte"
	case int16:
		return "number", "Int16"
	case uint16:
		return "number", "UInt16"
	case int32:
		return "number", "Int32"
	case uint32:
		return "number", "UInt32"
	case int64:
		return "number", "Int64"
	case uint64:
		return "number", "UInt64"
	case int:
		return "number", "Int64"
	case uint:
		return "number", "UInt64"
	case float32:
		return "number", "Float"
	case float64:
		return "number", "Double"
	case string:
		return "string", "String"
	case time.Time:
		return "datetime", "DateTime"
	case []byte:
		return "string", "ByteString"
	case tag.LocalizedText:
		return "string", "LocalizedText"
	case tag.QualifiedName:
		return "string", "QualifiedName"
	case tag.NodeID:
		return "string", "NodeId"
	case tag.GUID:
		return "string", "Guid"
	case tag.XMLElement:
		return "string", "XmlElement"
	case tag.StatusCode:
		return "number", "StatusCode"
	case tag.ExtensionObject:
		return "object", "ExtensionObject"
	case tag.Matrix:
		return "array", "Variant"
	case map[string]any:
		return "object", "ExtensionObject"
	case []float64:
		return "array", "Double"
	case []float32:
		return "array", "Float"
	case []int64:
		return "array", "Int64"
	case []int32:
		return "array", "Int32"
	case []int16:
		return "array", "Int16"
	case []int8:
		return "array", "SByte"
	case []uint64:
		return "array", "UInt64"
	case []uint32:
		return "array", "UInt32"
	case []uint16:
		return "array", "UInt16"
	case []bool:
		return "array", "Boolean"
	case []string:
		return "array", "String"
	case []time.Time:
		return "array", "DateTime"
	case [][]byte:
		return "array", "ByteString"
	case []any:
		return "array", "Variant"
	}
	return "object", "Variant"
}
