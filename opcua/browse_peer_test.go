package opcua

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"
)

// Browse against an independent server: node-opcua's own Server object has
// stateful continuation points, enumerations, Duration/UtcTime subtypes and
// structures, which gopcua's server does not.
func TestBrowseNodeOPCUA(t *testing.T) {
	p := sharedPeer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := Connect(ctx, peerConfig(t, p.Endpoint), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close(context.Background()) }()

	server := ua.NewNumericNodeID(0, id.Server)
	whole, err := Browse(ctx, c, server, BrowseOptions{MaxDepth: 3}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	paged, err := Browse(ctx, c, server, BrowseOptions{MaxDepth: 3, PerRequest: 2, Concurrency: 3}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(browsePaths(whole), ",") != strings.Join(browsePaths(paged), ",") {
		t.Fatalf("paged browse differs:\n%v\n%v", browsePaths(whole), browsePaths(paged))
	}
	types := map[string]string{}
	for _, v := range whole {
		types[strings.Join(browsePaths([]Variable{v}), "")] = v.DataType
	}
	want := map[string]string{
		"ServerStatus":                                         "ExtensionObject", // ServerStatusDataType → Structure
		"ServerStatus/State":                                   "Int32",           // ServerState enumeration
		"ServerStatus/StartTime":                               "DateTime",        // UtcTime
		"ServerStatus/BuildInfo":                               "ExtensionObject",
		"ServerCapabilities/MinSupportedSampleRate":            "Double", // Duration
		"ServerCapabilities/MaxBrowseContinuationPoints":       "UInt16",
		"NamespaceArray":                                       "String",
		"ServerStatus/BuildInfo/ProductName":                   "String",
		"ServerCapabilities/OperationLimits/MaxNodesPerRead":   "UInt32",
		"ServerCapabilities/OperationLimits/MaxNodesPerBrowse": "UInt32",
	}
	for path, dt := range want {
		got, ok := types[path]
		if !ok {
			t.Errorf("%s not browsed", path)
			continue
		}
		if got != dt {
			t.Errorf("%s: data type %q, want %q", path, got, dt)
		}
	}
	// Properties of variables are metadata, not tags.
	for p := range types {
		if strings.HasSuffix(p, "/EURange") || strings.HasSuffix(p, "/EngineeringUnits") {
			t.Errorf("variable property browsed: %s", p)
		}
	}
}
