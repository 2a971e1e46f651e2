package engine

import (
	"github.com/edgetag/edgetag/tag"
)

// United Manufacturing Hub's OPC UA input names a node by its browse path
// from the configured root, the root's own browse name included, every
// name made subject-safe and joined by '.': Plant.Line1.Press.Temperature.
// It then sets
//
//	opcua_tag_name  = the node's name             Temperature
//	opcua_tag_group = the path without the name   Plant.Line1.Press
//	opcua_tag_path  = the same as the group       Plant.Line1.Press
//
// stripping the name only where it ends the path. A node at the root (a
// variable configured directly) has group = its name and an empty path; so
// has a node whose folder path equals its name (UMH compares the group
// with the name). The bridge default `virtual_path = opcua_tag_path;
// tag_name = opcua_tag_name` thus never repeats the name in a subject.
//
// A tag.Node holds the folder path as Group (the root's name first) and
// the name as Name, so both values are one of its strings: no message
// allocates them.

// umhTagGroup returns opcua_tag_group of n.
func umhTagGroup(n *tag.Node) string {
	if n.Group == "" {
		return n.Name
	}
	return n.Group
}

// umhTagPath returns opcua_tag_path of n.
func umhTagPath(n *tag.Node) string {
	if n.Group == n.Name {
		return ""
	}
	return n.Group
}
