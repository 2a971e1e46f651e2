package sim

//go:generate go run ./internal/ns0gen ns0_table.go

import (
	"github.com/gopcua/opcua/server"
	"github.com/gopcua/opcua/ua"
)

// standardVariable is what the standard nodeset says of a variable of
// namespace 0.
type standardVariable struct {
	id          uint32
	browseName  string
	dataType    uint32 // 0 when the nodeset names none
	valueRank   int32
	accessLevel uint8
}

// fixStandardVariables gives the variables below gopcua's Server object
// (status, capabilities, diagnostics) the browse name, data type, value
// rank and access level of the standard (serverVariables, generated from
// the nodeset gopcua carries, so no start parses it again): gopcua imports
// them without data type or access level, and names some of its own
// ServerStatus nodes wrongly (State as "ServerStatus", ManufacturerName as
// "ProductName"). Browse results take the names from the nodes (see
// namesFromNodes), so they follow.
func fixStandardVariables(srv *server.Server) {
	for _, sv := range serverVariables {
		n := srv.Node(ua.NewNumericNodeID(0, sv.id))
		if n == nil {
			continue
		}
		_ = n.SetAttribute(ua.AttributeIDBrowseName, server.DataValueFromValue(&ua.QualifiedName{Name: sv.browseName}))
		_ = n.SetAttribute(ua.AttributeIDDisplayName, server.DataValueFromValue(ua.NewLocalizedText(sv.browseName)))
		if sv.dataType != 0 {
			_ = n.SetAttribute(ua.AttributeIDDataType, server.DataValueFromValue(ua.NewNumericNodeID(0, sv.dataType)))
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
