package opcua

import (
	"context"
	"fmt"
	"strings"
	"time"

	gopcua "github.com/gopcua/opcua"
	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"
)

// batchLimits are the request sizes used against one server.
type batchLimits struct {
	// Profile is the vendor profile the limits come from.
	Profile string
	Read    int // nodes per Read request
	Browse  int // nodes per Browse request
	Monitor int // items per CreateMonitoredItems request
	// PerSubscription is the most monitored items one subscription gets;
	// more items are spread over more subscriptions. It also bounds the
	// notifications of one PublishResponse: servers that send every
	// pending value of a subscription at once (gopcua's, for the initial
	// values) would otherwise exceed their message size.
	PerSubscription int
	// Deadband reports whether the server accepts data-change deadband
	// filters at all (Siemens S7-1200 rejects them).
	Deadband bool
	// BrowseContinuationPoints is how many browse continuation points a
	// session may hold (0 = not known: learned from refusals).
	BrowseContinuationPoints int
}

// profiles are the vendor profiles; the server's OperationLimits lower
// them further when smaller. Sizes stay well below 2 MiB messages.
//
//   - siemens-s7-1200: the firmware slows sharply above ~200 items per call
//     and rejects deadband filters.
//   - siemens-s7-1500: takes ~1000 items per call.
//   - kepware, ignition, prosys: handle large requests; keep them moderate.
//   - open62541: small embedded servers, often with small message limits.
//
// 10,000 items per subscription keep a PublishResponse that carries a
// value of each (about 30 bytes per Double with both timestamps) near
// 300 kB, far below the usual 2 MiB message limit.
var profiles = map[string]batchLimits{
	"default":         {Profile: "default", Read: 1000, Browse: 500, Monitor: 1000, PerSubscription: 10000, Deadband: true},
	"siemens-s7-1200": {Profile: "siemens-s7-1200", Read: 100, Browse: 50, Monitor: 100, PerSubscription: 1000, Deadband: false},
	"siemens-s7-1500": {Profile: "siemens-s7-1500", Read: 1000, Browse: 500, Monitor: 1000, PerSubscription: 10000, Deadband: true},
	"kepware":         {Profile: "kepware", Read: 2000, Browse: 1000, Monitor: 2000, PerSubscription: 10000, Deadband: true},
	"ignition":        {Profile: "ignition", Read: 2000, Browse: 1000, Monitor: 2000, PerSubscription: 10000, Deadband: true},
	"prosys":          {Profile: "prosys", Read: 2000, Browse: 1000, Monitor: 2000, PerSubscription: 10000, Deadband: true},
	"open62541":       {Profile: "open62541", Read: 500, Browse: 250, Monitor: 500, PerSubscription: 10000, Deadband: true},
}

// buildInfo is what the server says about itself.
type buildInfo struct {
	ProductName  string
	ProductURI   string
	Manufacturer string
	Version      string
}

func (b buildInfo) String() string {
	return strings.TrimSpace(b.Manufacturer + " " + b.ProductName + " " + b.Version)
}

// detectProfile maps a server's BuildInfo to a vendor profile name.
func detectProfile(b buildInfo) string {
	all := strings.ToLower(b.Manufacturer + " " + b.ProductName + " " + b.ProductURI)
	switch {
	case strings.Contains(all, "siemens") || strings.Contains(all, "simatic"):
		switch {
		case strings.Contains(all, "1200"):
			return "siemens-s7-1200"
		case strings.Contains(all, "1500"):
			return "siemens-s7-1500"
		}
		return "default"
	case strings.Contains(all, "kepware") || strings.Contains(all, "kepserver") || strings.Contains(all, "ptc inc"):
		return "kepware"
	case strings.Contains(all, "inductive automation") || strings.Contains(all, "ignition"):
		return "ignition"
	case strings.Contains(all, "prosys"):
		return "prosys"
	case strings.Contains(all, "open62541"):
		return "open62541"
	}
	return "default"
}

// serverLimits are the OperationLimits (and, for PerSubscription, the
// ServerCapabilities) a server reports (0 = no limit).
type serverLimits struct {
	Read, Browse, Monitor, PerSubscription int
	// BrowseContinuationPoints is ServerCapabilities.MaxBrowseContinuationPoints.
	BrowseContinuationPoints int
	// MinSamplingInterval is ServerCapabilities.MinSupportedSampleRate:
	// what sampling_interval 0 (fastest) gets at best (0 = not known).
	MinSamplingInterval time.Duration
}

// effectiveLimits combines the profile (forced by cfg or detected), the
// server's OperationLimits (a lower server limit wins) and the explicit
// overrides of cfg (which win over both).
func effectiveLimits(cfg Limits, info buildInfo, srv serverLimits) batchLimits {
	name := cfg.Profile
	if name == "" || name == "auto" {
		name = detectProfile(info)
	}
	l, ok := profiles[name]
	if !ok {
		l = profiles["default"]
	}
	lower := func(v *int, server int) {
		if server > 0 && server < *v {
			*v = server
		}
	}
	lower(&l.Read, srv.Read)
	lower(&l.Browse, srv.Browse)
	lower(&l.Monitor, srv.Monitor)
	lower(&l.PerSubscription, srv.PerSubscription)
	l.BrowseContinuationPoints = srv.BrowseContinuationPoints
	override := func(v *int, c int) {
		if c > 0 {
			*v = c
		}
	}
	override(&l.Read, cfg.MaxNodesPerRead)
	override(&l.Browse, cfg.MaxNodesPerBrowse)
	override(&l.Monitor, cfg.MaxMonitoredItemsPerCall)
	override(&l.PerSubscription, cfg.MaxMonitoredItemsPerSubscription)
	override(&l.BrowseContinuationPoints, cfg.MaxBrowseContinuationPoints)
	return l
}

// readServerInfo reads BuildInfo, OperationLimits,
// MaxBrowseContinuationPoints and MaxMonitoredItemsPerSubscription (a
// ServerCapabilities property since OPC UA 1.05; older servers answer
// BadNodeIdUnknown) in one request. Values
// the server does not provide stay zero; only a failed request is an error.
func readServerInfo(ctx context.Context, c *gopcua.Client) (buildInfo, serverLimits, error) {
	ids := []uint32{
		id.Server_ServerStatus_BuildInfo_ProductName,
		id.Server_ServerStatus_BuildInfo_ProductURI,
		id.Server_ServerStatus_BuildInfo_ManufacturerName,
		id.Server_ServerStatus_BuildInfo_SoftwareVersion,
		id.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead,
		id.Server_ServerCapabilities_OperationLimits_MaxNodesPerBrowse,
		id.Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall,
		id.Server_ServerCapabilities_MaxMonitoredItemsPerSubscription,
		id.Server_ServerCapabilities_MaxBrowseContinuationPoints,
		id.Server_ServerCapabilities_MinSupportedSampleRate,
	}
	req := &ua.ReadRequest{TimestampsToReturn: ua.TimestampsToReturnNeither}
	for _, i := range ids {
		req.NodesToRead = append(req.NodesToRead, &ua.ReadValueID{NodeID: ua.NewNumericNodeID(0, i), AttributeID: ua.AttributeIDValue})
	}
	res, err := c.Read(ctx, req)
	if err != nil {
		return buildInfo{}, serverLimits{}, fmt.Errorf("read build info and operation limits: %w", err)
	}
	str := func(i int) string {
		if i >= len(res.Results) || res.Results[i] == nil || res.Results[i].Status != ua.StatusOK || res.Results[i].Value == nil {
			return ""
		}
		s, _ := res.Results[i].Value.Value().(string)
		return s
	}
	num := func(i int) int {
		if i >= len(res.Results) || res.Results[i] == nil || res.Results[i].Status != ua.StatusOK || res.Results[i].Value == nil {
			return 0
		}
		switch v := res.Results[i].Value.Value().(type) {
		case uint32:
			return int(v)
		case uint16:
			return int(v)
		case int32:
			return int(v)
		}
		return 0
	}
	ms := func(i int) time.Duration {
		if i >= len(res.Results) || res.Results[i] == nil || res.Results[i].Status != ua.StatusOK || res.Results[i].Value == nil {
			return 0
		}
		if v, ok := res.Results[i].Value.Value().(float64); ok && v > 0 && v < 1e9 {
			return millis(v)
		}
		return 0
	}
	return buildInfo{ProductName: str(0), ProductURI: str(1), Manufacturer: str(2), Version: str(3)},
		serverLimits{Read: num(4), Browse: num(5), Monitor: num(6), PerSubscription: num(7), BrowseContinuationPoints: num(8),
			MinSamplingInterval: ms(9)}, nil
}

// batches calls fn for [lo, hi) ranges of at most size of n items, in
// order, and stops at the first error; size <= 0 is one batch.
func batches(n, size int, fn func(lo, hi int) error) error {
	if size <= 0 {
		size = n
	}
	for lo := 0; lo < n; lo += size {
		hi := min(lo+size, n)
		if err := fn(lo, hi); err != nil {
			return err
		}
	}
	return nil
}
