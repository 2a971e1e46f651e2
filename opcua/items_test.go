package opcua

import (
	"bytes"
	"testing"

	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/tag"
)

// TestItemNodeID checks that an item gives back exactly the node id it was
// made from, whether it keeps the id object or makes it again from its
// string form, and that it keeps the object only when it must.
func TestItemNodeID(t *testing.T) {
	t.Parallel()
	numeric := ua.NewNumericNodeID(2, 7) // small enough for four bytes: not what the parser makes
	tests := []struct {
		name string
		id   *ua.NodeID
		poll bool
		keep bool
	}{
		{name: "string", id: ua.NewStringNodeID(2, "Plant.Scale.Tag00042")},
		{name: "string namespace 0", id: ua.NewStringNodeID(0, "Tag")},
		{name: "string with semicolon and equals", id: ua.NewStringNodeID(3, "a;b=c")},
		{name: "two byte", id: ua.NewTwoByteNodeID(85)},
		{name: "four byte", id: ua.NewFourByteNodeID(2, 7)},
		{name: "numeric", id: ua.NewNumericNodeID(2, 70000)},
		{name: "guid", id: ua.NewGUIDNodeID(2, "72962B91-FA75-4AE6-8D28-B404DC7DAF63")},
		{name: "opaque", id: ua.NewByteStringNodeID(2, []byte{1, 2, 3})},
		{name: "numeric in a longer encoding", id: numeric, keep: true},
		{name: "string with outer spaces", id: ua.NewStringNodeID(2, " Tag "), keep: true},
		{name: "empty string", id: ua.NewStringNodeID(2, ""), keep: true},
		{name: "poll keeps every id", id: ua.NewStringNodeID(2, "Tag"), poll: true, keep: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			node := &tag.Node{ID: FormatNodeID(tt.id)}
			ss := &session{items: []item{{}, {node: node, id: keepNodeID(tt.id, node.ID, tt.poll)}}}
			if kept := ss.items[1].id != nil; kept != tt.keep {
				t.Errorf("id kept = %v, want %v", kept, tt.keep)
			}
			want, err := tt.id.Encode()
			if err != nil {
				t.Fatal(err)
			}
			got, err := ss.nodeID(1).Encode()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("nodeID encodes as %x, want %x (%s)", got, want, node.ID)
			}
		})
	}
}
