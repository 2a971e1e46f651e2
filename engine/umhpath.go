package engine

import (
	"fmt"

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

// nodeGroupFromMeta returns the folder path (tag.Node.Group) of a node of
// name whose opcua_tag_group and opcua_tag_path are given as meta (an
// `edgetag process` input line), the inverse of umhTagGroup and
// umhTagPath. Either may be absent. Values that UMH's rule cannot produce
// (a path that differs from the group, or a group other than the name with
// an empty path) are an error naming both.
func nodeGroupFromMeta(name, group string, hasGroup bool, path string, hasPath bool) (string, error) {
	switch {
	case hasPath && path != "":
		if hasGroup && group != path {
			return "", fmt.Errorf("input meta %s %q and %s %q disagree: UMH sets both to the folder path of the node", MetaTagGroup, group, MetaTagPath, path)
		}
		return path, nil
	case hasPath: // a node at the root
		if hasGroup && group != name && group != "" {
			return "", fmt.Errorf("input meta %s %q with an empty %s: UMH sets the group of a node at the root to its name %q", MetaTagGroup, group, MetaTagPath, name)
		}
		return "", nil
	case hasGroup && group != name:
		return group, nil
	}
	return "", nil
}
