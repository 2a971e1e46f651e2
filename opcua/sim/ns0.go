package sim

import (
	"encoding/xml"
	"sync"

	"github.com/gopcua/opcua/schema"
	"github.com/gopcua/opcua/server"
	"github.com/gopcua/opcua/ua"
)

// standardVariable is what the standard nodeset says of a namespace-0
// variable.
type standardVariable struct {
	id          *ua.NodeID
	browseName  string
	displayName string
	dataType    *ua.NodeID // nil when the nodeset names none
	valueRank   int32
	accessLevel uint8
}

// standardVariables parses the standard nodeset once per process.
var standardVariables = sync.OnceValue(func() []standardVariable {
	var set schema.UANodeSet
	if err := xml.Unmarshal(schema.OpcUaNodeSet2, &set); err != nil {
		return nil // compiled into gopcua: cannot happen; the fix is then skipped
	}
	aliases := map[string]string{}
	if set.Aliases != nil {
		for _, a := range set.Aliases.Alias {
			aliases[a.AliasAttr] = a.Value
		}
	}
	out := make([]standardVariable, 0, len(set.UAVariable))
	for _, v := range set.UAVariable {
		if v == nil || v.UAInstance == nil || v.UANode == nil {
			continue
		}
		nid, err := ua.ParseNodeID(v.NodeIdAttr)
		if err != nil || nid.Namespace() != 0 {
			continue
		}
		sv := standardVariable{id: nid, browseName: v.BrowseNameAttr, displayName: v.BrowseNameAttr,
			valueRank: int32(v.ValueRankAttr), accessLevel: uint8(v.AccessLevelAttr)}
		if len(v.DisplayName) > 0 {
			sv.displayName = v.DisplayName[0].Value
		}
		// An omitted ValueRank is -1 (scalar) and an omitted AccessLevel
		// is 1 (read); the schema decodes both as 0. The nodeset writes
		// no explicit ValueRank 0 for the Server object's variables.
		if sv.valueRank == 0 {
			sv.valueRank = -1
		}
		if sv.accessLevel == 0 {
			sv.accessLevel = uint8(ua.AccessLevelTypeCurrentRead)
		}
		dt := v.DataTypeAttr
		if a, ok := aliases[dt]; ok {
			dt = a
		}
		if dt != "" {
			if id, err := ua.ParseNodeID(dt); err == nil {
				sv.dataType = id
			}
		}
		out = append(out, sv)
	}
	return out
})

// fixStandardVariables gives the namespace-0 variables of gopcua's server
// (the Server object's status, capabilities and diagnostics) the browse
// name, data type, value rank and access level of the standard: gopcua
// imports them without data type or access level, and names some of its
// own ServerStatus nodes wrongly (State as "ServerStatus",
// ManufacturerName as "ProductName"). Browse results take the names from
// the nodes (see namesFromNodes), so they follow.
func fixStandardVariables(srv *server.Server) {
	for _, sv := range standardVariables() {
		n := srv.Node(sv.id)
		if n == nil {
			continue
		}
		_ = n.SetAttribute(ua.AttributeIDBrowseName, server.DataValueFromValue(&ua.QualifiedName{Name: sv.browseName}))
		_ = n.SetAttribute(ua.AttributeIDDisplayName, server.DataValueFromValue(ua.NewLocalizedText(sv.displayName)))
		if sv.dataType != nil {
			_ = n.SetAttribute(ua.AttributeIDDataType, server.DataValueFromValue(sv.dataType))
		}
		_ = n.SetAttribute(ua.AttributeIDValueRank, server.DataValueFromValue(sv.valueRank))
		_ = n.SetAttribute(ua.AttributeIDAccessLevel, server.DataValueFromValue(sv.accessLevel))
		_ = n.SetAttribute(ua.AttributeIDUserAccessLevel, server.DataValueFromValue(sv.accessLevel))
	}
}

// namesFromNodes replaces the names of references to namespace-0 nodes
// with the nodes' own: gopcua copies a node's names into a reference when
// the reference is made, before fixStandardVariables corrected them.
func namesFromNodes(srv *server.Server, refs []*ua.ReferenceDescription) {
	for _, r := range refs {
		if r == nil || r.NodeID == nil || r.NodeID.NodeID == nil || r.NodeID.NodeID.Namespace() != 0 {
			continue
		}
		if n := srv.Node(r.NodeID.NodeID); n != nil {
			if bn := n.BrowseName(); bn != nil {
				r.BrowseName = bn
			}
			if dn := n.DisplayName(); dn != nil {
				r.DisplayName = dn
			}
		}
	}
}
