package siteconfig

import (
	"math"
	"strings"

	"go.yaml.in/yaml/v3"
)

// streamSize is nats.jetstream.max_bytes: a size as byteSize, -1 for no
// limit, or "auto" (autoStreamSize): derived from the free disk under the
// embedded server's store directory when it starts (sink.BufferFromDisk),
// the fixed sink.DefaultMaxBytes with an external server.
type streamSize int64

// autoStreamSize is "auto"; no size written in a site file has its value.
const autoStreamSize streamSize = math.MinInt64

// autoWord is how a site file writes autoStreamSize.
const autoWord = "auto"

func (z *streamSize) decodeNode(d *decoder, n *yaml.Node, path string) {
	s, ok := d.scalar(n, path, "a size or auto")
	if !ok {
		return
	}
	if strings.EqualFold(strings.TrimSpace(s), autoWord) {
		*z = autoStreamSize
		return
	}
	v, ok := parseByteSize(s)
	if !ok {
		d.errorf(n, path, "must be a size in bytes such as 1073741824, 512MiB or 10GB, -1 for no limit, or auto, got %q", s)
		return
	}
	*z = streamSize(v)
}
