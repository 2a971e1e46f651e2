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

// nodeMeta is msg.meta of a node as built once per node and runtime: the
// entries in header order with their JS string values. The entries that
// depend on the sample (type, data type, status, timestamps) hold the
// values of the first sample seen; a later sample that differs overrides
// them (see fillMeta), so a sample normally costs no copying at all.
type nodeMeta struct {
	entries  []metaEntry
	tagType  string
	dataType string
	status   uint32
	// conds caches the result of each condition's if for this node when
	// it provably depends only on the node's meta (see cacheable.go).
	conds []uint8
	// fx holds the recorded effect of each body stage on this node when
	// it provably depends only on the node's meta (see stagecache.go);
	// nil until a stage qualifies.
	fx []stageFx
	// subj is the node's last subject (see jsRuntime.subject).
	subj subjectCache
	// shared holds the node's last shared header slices (see
	// sharedHeaders); sharedNext is the one to replace next.
	shared     [2][]tag.Header
	sharedNext int
}

// Indexes of the sample-dependent entries in nodeMeta.entries.
const (
	idxTagType = 6 + iota
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

// nodeMetaFor returns the cached meta of the node of s on this runtime.
func (rt *jsRuntime) nodeMetaFor(s *tag.Sample) *nodeMeta {
	n := s.Node
	if nm, ok := rt.nodes[n]; ok {
		return nm
	}
	if len(rt.nodes) >= maxNodeCache {
		clear(rt.nodes)
	}
	c := func(k, v string) metaEntry {
		return metaEntry{key: k, kind: entryConst, str: v} // val is made on first read
	}
	tagType, dataType := sampleTypes(s)
	status := rt.statusName(s.Status)
	nm := &nodeMeta{tagType: tagType, dataType: dataType, status: s.Status, conds: make([]uint8, rt.e.conds)}
	nm.entries = append(make([]metaEntry, 0, nodeMetaFixed+len(n.Extra)),
		c(MetaSource, n.Source),
		c(MetaEndpoint, n.Endpoint),
		c(MetaNodeID, n.ID),
		c(MetaTagName, n.Name),
		c(MetaTagGroup, n.Group),
		c(MetaTagPath, n.Path),
		c(MetaTagType, tagType),
		c(MetaDataType, dataType),
		c(MetaStatusCode, status),
		metaEntry{key: MetaSourceTimestamp, kind: entrySourceTime},
		metaEntry{key: MetaServerTimestamp, kind: entryServerTime},
		c(MetaAttrNodeID, n.ID),
		c(MetaAttrBrowseName, n.BrowseName),
		c(MetaAttrDataType, dataType),
		c(MetaAttrStatusCode, status),
	)
	if len(n.Extra) > 0 {
		keys := make([]string, 0, len(n.Extra))
		for k := range n.Extra {
			if !engineKey(k) {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			e := c(k, n.Extra[k])
			e.final = finalKey(k)
			nm.entries = append(nm.entries, e)
		}
	}
	rt.nodes[n] = nm
	return nm
}

// fixedIndex returns the index of an engine key in nodeMeta.entries, or -1.
func fixedIndex(k string) int {
	switch k {
	case MetaSource:
		return 0
	case MetaEndpoint:
		return 1
	case MetaNodeID:
		return 2
	case MetaTagName:
		return 3
	case MetaTagGroup:
		return 4
	case MetaTagPath:
		return 5
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
	nm := rt.nodeMetaFor(s)
	rt.nm = nm
	m.reset(nm.entries, s.SourceTime, s.ServerTime)
	tagType, dataType := sampleTypes(s)
	if tagType != nm.tagType {
		m.override(idxTagType, rt.intern(tagType))
	}
	if dataType != nm.dataType {
		v := rt.intern(dataType)
		m.override(idxDataType, v)
		m.override(idxAttrDataType, v)
	}
	if s.Status != nm.status {
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
