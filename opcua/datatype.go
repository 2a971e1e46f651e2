package opcua

import (
	"context"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"
)

// wellKnownDataTypes maps namespace-0 data types that are not built-in
// types to the built-in type their values are encoded as.
var wellKnownDataTypes = map[uint32]string{
	id.BaseDataType:                   "Variant",
	id.Structure:                      "ExtensionObject",
	id.Enumeration:                    "Int32",
	id.Duration:                       "Double",
	id.UtcTime:                        "DateTime",
	293:                               "DateTime", // Date
	id.LocaleID:                       "String",
	id.NumericRange:                   "String",
	292:                               "String", // Time
	id.IntegerID:                      "UInt32",
	id.Counter:                        "UInt32",
	id.Index:                          "UInt32",
	id.VersionTime:                    "UInt32",
	id.Image:                          "ByteString",
	id.ImageBMP:                       "ByteString",
	id.ImageGIF:                       "ByteString",
	id.ImageJPG:                       "ByteString",
	id.ImagePNG:                       "ByteString",
	id.AudioDataType:                  "ByteString",
	id.ApplicationInstanceCertificate: "ByteString",
	id.ContinuationPoint:              "ByteString",
	id.SessionAuthenticationToken:     "NodeId",
	id.NormalizedString:               "String",
	id.DecimalString:                  "String",
	id.DurationString:                 "String",
	id.TimeString:                     "String",
	id.DateString:                     "String",
	id.ServerState:                    "Int32",
	id.NodeClass:                      "Int32",
	id.MessageSecurityMode:            "Int32",
	id.Number:                         "",
	id.Integer:                        "",
	id.UInteger:                       "",
}

// DataTypeName returns the built-in type name ("Double", "DateTime", ...)
// of a DataType attribute value when it is known without asking the server:
// the built-in types themselves and the common namespace-0 subtypes
// (Duration → Double, UtcTime → DateTime, enumerations → Int32, ...). It
// returns "" otherwise; Browse resolves the others through the server's
// HasSubtype references.
func DataTypeName(dt *ua.NodeID) string {
	name, _ := knownDataType(dt)
	return name
}

// knownDataType returns the built-in type name of a namespace-0 data type,
// and whether it is known without asking the server.
func knownDataType(dt *ua.NodeID) (string, bool) {
	if dt == nil || dt.Namespace() != 0 || dt.Type() == ua.NodeIDTypeString || dt.Type() == ua.NodeIDTypeGUID || dt.Type() == ua.NodeIDTypeByteString {
		return "", false
	}
	n := dt.IntID()
	if n >= 1 && n <= 25 {
		return TypeName(ua.TypeID(n)), true
	}
	name, ok := wellKnownDataTypes[n]
	return name, ok
}

// resolveDataTypes maps every distinct data type id to a built-in type
// name, walking up HasSubtype for types it does not know (vendor
// structures and enumerations) at most maxSubtypeHops times. Unresolved
// types map to "".
func (b *browser) resolveDataTypes(ctx context.Context, dataTypes []*ua.NodeID) map[string]string {
	names := map[string]string{}
	// current[k] is where the walk for origin k stands.
	current := map[string]*ua.NodeID{}
	for _, dt := range dataTypes {
		if dt == nil {
			continue
		}
		k := FormatNodeID(dt)
		if _, done := names[k]; done {
			continue
		}
		if _, walking := current[k]; walking {
			continue
		}
		if name, ok := knownDataType(dt); ok {
			names[k] = name
			continue
		}
		current[k] = dt
	}
	for hop := 0; hop < maxSubtypeHops && len(current) > 0; hop++ {
		origins := make([]string, 0, len(current))
		req := &ua.BrowseRequest{View: &ua.ViewDescription{ViewID: ua.NewTwoByteNodeID(0)}}
		for k, dt := range current {
			origins = append(origins, k)
			req.NodesToBrowse = append(req.NodesToBrowse, &ua.BrowseDescription{
				NodeID:          dt,
				BrowseDirection: ua.BrowseDirectionInverse,
				ReferenceTypeID: ua.NewNumericNodeID(0, id.HasSubtype),
				IncludeSubtypes: false,
				NodeClassMask:   uint32(ua.NodeClassDataType),
				ResultMask:      uint32(ua.BrowseResultMaskAll),
			})
		}
		resp, err := b.c.Browse(ctx, req)
		if err != nil || len(resp.Results) != len(origins) {
			b.log.Debug().Err(err).Msg("resolving data type supertypes failed")
			break
		}
		next := map[string]*ua.NodeID{}
		for i, r := range resp.Results {
			k := origins[i]
			if r == nil || r.StatusCode != ua.StatusOK || len(r.References) == 0 || r.References[0].NodeID == nil || r.References[0].NodeID.NodeID == nil {
				names[k] = ""
				continue
			}
			super := ua.NewNodeIDFromExpandedNodeID(r.References[0].NodeID)
			if name, ok := knownDataType(super); ok {
				names[k] = name
				continue
			}
			next[k] = super
		}
		current = next
	}
	for k := range current {
		names[k] = ""
	}
	return names
}
