package opcua

// Seams between the session side (connect, subscribe, poll, reconnect) and
// the address-space side (node ids, values, names, browse). These stubs are
// replaced by their implementations (nodeid.go, value.go, names.go, browse.go).

import (
	"context"
	"errors"
	"io"

	gopcua "github.com/gopcua/opcua"
	"github.com/gopcua/opcua/ua"
	"github.com/rs/zerolog"
)

var errTODO = errors.New("not implemented")

// BrowseOptions bound one recursive browse.
type BrowseOptions struct {
	MaxDepth int
	MaxNodes int
	Include  []string
	Exclude  []string
	// PerRequest bounds the nodes per Browse request and the references
	// requested per node (continuation points are followed).
	PerRequest int
	// Concurrency bounds browse requests in flight.
	Concurrency int
}

// Browse walks root over hierarchical references and returns its variables
// (root itself when it is a variable), cycle-safe, with progress logged for
// long browses. A node that cannot be browsed is logged and skipped.
func Browse(ctx context.Context, c *gopcua.Client, root *ua.NodeID, opt BrowseOptions, log zerolog.Logger) ([]Variable, error) {
	return nil, errTODO
}

// BrowseEndpoint connects with cfg, browses root (Objects when "") and
// prints the tree (format "text") or a nodes: block to paste (format "yaml").
func BrowseEndpoint(ctx context.Context, cfg Config, root string, opt BrowseOptions, w io.Writer, format string, log zerolog.Logger) error {
	return errTODO
}
