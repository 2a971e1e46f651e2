package opcua

// withRootName puts the browse name of the browsed root first in the
// folder path of each of its variables, and returns vars. United
// Manufacturing Hub's OPC UA input builds a node's path from the configured
// root, the root's own name included (configured Plant: Plant.Line1.Press
// for Plant/Line1/Press/Temperature), and its opcua_tag_group and
// opcua_tag_path are that path; tag.Node.Group follows it so that a pasted
// UMH tag_processor gives the same subjects. A variable configured directly
// is not browsed and has no folder path: it is a node at the root. The
// include and exclude patterns of a browse still match the path below the
// root.
func withRootName(vars []Variable, root string) []Variable {
	if root == "" {
		return vars
	}
	for i := range vars {
		p := make([]string, 0, len(vars[i].Path)+1)
		vars[i].Path = append(append(p, root), vars[i].Path...)
	}
	return vars
}
