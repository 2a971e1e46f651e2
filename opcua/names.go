package opcua

import (
	"cmp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/tag"
)

// SafeName makes a browse name subject-safe: Siemens quotes ("DB1"."Motor")
// are stripped, then every character outside [A-Za-z0-9_-] becomes '_'
// (one '_' per character, not per byte, so "Düse" is "D_se"). A name that
// would be empty becomes "_", so it is always a valid subject token.
// An already safe name is returned without allocating.
func SafeName(s string) string {
	safe := s != ""
	for i := 0; i < len(s); i++ {
		if !safeByte(s[i]) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '"':
			// Siemens quotes around DB and member names.
		case r < utf8.RuneSelf && safeByte(byte(r)):
			b.WriteByte(byte(r))
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

func safeByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

// NameNodes builds the tag.Node of every variable: ID in the ns=N form the
// server uses (an id configured as nsu=... is reported with its resolved
// index, which is what the server sends back), BrowseName as reported,
// Name = SafeName of the variable's configured Name, else of BrowseName, Group = the safe folder names joined by '.',
// Path = Group.Name (Name alone when Group is empty), DataType as browsed.
// The result is parallel to vars: same length, same order.
//
// Two variables that would get the same Path are told apart
// deterministically: among them, ordered by node id (standard string form,
// byte-wise), the first keeps its Path and the others get "_2", "_3", ...
// appended to their Name (and so to their Path), skipping any suffix whose
// Path another variable already has. The outcome depends only on the set of
// variables, not on the order the server returned them.
//
// The nodes live as long as the source, so what they can share they share:
// every node points at src (the source's name and endpoint), variables in
// one folder share one Group string, and Name (and BrowseName when it is
// already safe) is the tail of Path.
func NameNodes(src *tag.SourceInfo, vars []Variable) []*tag.Node {
	nodes, _ := nameNodes(src, vars)
	return nodes
}

// Rename is one variable NameNodes numbered because another variable has
// the same Path.
type Rename struct {
	// Kept is the node id of the variable that keeps Path.
	Kept string
	// Node is the node id of the renamed variable, Name its new name.
	Node, Name string
	// Path is the path both would have had.
	Path string
}

// nameNodes is NameNodes that also returns the renames it made, ordered by
// path and node id.
func nameNodes(src *tag.SourceInfo, vars []Variable) ([]*tag.Node, []Rename) {
	nodes := make([]*tag.Node, len(vars))
	byPath := make(map[string][]int, len(vars))
	groups := make(map[string]string)
	for i, v := range vars {
		n := &tag.Node{
			Src:        src,
			ID:         FormatNodeID(v.ID),
			BrowseName: v.BrowseName,
			Name:       SafeName(cmp.Or(v.Name, v.BrowseName)),
			Group:      safeGroup(v.Path, groups),
			DataType:   v.DataType,
		}
		n.Path = joinPath(n.Group, n.Name)
		nodes[i] = n
		byPath[n.Path] = append(byPath[n.Path], i)
	}
	var clashes []string
	for p, idx := range byPath {
		if len(idx) > 1 {
			clashes = append(clashes, p)
		}
	}
	var renames []Rename
	if len(clashes) > 0 {
		renames = renameClashes(nodes, byPath, clashes)
	}
	for _, n := range nodes {
		n.Name = n.Path[len(n.Path)-len(n.Name):]
		if n.BrowseName == n.Name {
			n.BrowseName = n.Name
		}
	}
	return nodes, renames
}

// renameClashes gives all but the first node of each clashing path a
// numbered Name (see NameNodes) and returns the renames.
func renameClashes(nodes []*tag.Node, byPath map[string][]int, clashes []string) []Rename {
	var renames []Rename
	sort.Strings(clashes)
	for _, p := range clashes {
		idx := byPath[p]
		sort.SliceStable(idx, func(a, b int) bool { return nodes[idx[a]].ID < nodes[idx[b]].ID })
		k := 2
		for _, i := range idx[1:] {
			n := nodes[i]
			base := n.Name
			for {
				name := base + "_" + strconv.Itoa(k)
				k++
				path := joinPath(n.Group, name)
				if _, taken := byPath[path]; taken {
					continue
				}
				renames = append(renames, Rename{Kept: nodes[idx[0]].ID, Node: n.ID, Name: name, Path: p})
				n.Name, n.Path = name, path
				byPath[path] = []int{i}
				break
			}
		}
	}
	return renames
}

// maxRenameLines bounds the renames logged one per line; the rest are
// summed up in one more line.
const maxRenameLines = 20

// logRenames logs the renames nameNodes made, each with both node ids, so
// that a tag published as Speed_2 can be traced to its node.
func logRenames(log zerolog.Logger, renames []Rename) {
	for i, r := range renames {
		if i == maxRenameLines {
			log.Warn().Int("more", len(renames)-i).Int("renamed", len(renames)).
				Msg("more nodes share a name with another node and were numbered; set name: on explicit nodes to choose their names")
			return
		}
		log.Warn().Str("node", r.Node).Str("kept_by", r.Kept).Str("path", r.Path).Str("name", r.Name).
			Msg("node shares its name with another node and was numbered; set name: on the node to choose its name")
	}
}

// safeGroup joins the safe form of each folder name with '.'. A group of
// more than one folder is made once: seen holds the groups made so far.
func safeGroup(path []string, seen map[string]string) string {
	switch len(path) {
	case 0:
		return ""
	case 1:
		return SafeName(path[0])
	}
	var b strings.Builder
	for i, p := range path {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(SafeName(p))
	}
	g := b.String()
	if s, ok := seen[g]; ok {
		return s
	}
	seen[g] = g
	return g
}

func joinPath(group, name string) string {
	if group == "" {
		return name
	}
	return group + "." + name
}

// splitName splits a configured node name (see NodeConfig.Name) into the
// group's parts and the name.
func splitName(name string) (group []string, last string) {
	parts := strings.Split(name, ".")
	return parts[:len(parts)-1], parts[len(parts)-1]
}
