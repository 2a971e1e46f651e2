package tag

import (
	"testing"
	"unsafe"
)

// TestNodeSize guards the size of a Node, which a source keeps for every
// variable: at 100,000 nodes each 16 bytes more cost 1.6 MB.
func TestNodeSize(t *testing.T) {
	t.Parallel()
	if s := unsafe.Sizeof(Node{}); s > 112 {
		t.Errorf("Node takes %d bytes, want at most 112", s)
	}
}
