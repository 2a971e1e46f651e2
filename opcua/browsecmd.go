package opcua

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"
	"github.com/rs/zerolog"
)

// Output formats of PrintTree and BrowseEndpoint.
const (
	FormatText = "text"
	FormatYAML = "yaml"
)

// BrowseEndpoint connects with cfg, browses root and prints the tree
// (format "text") or a nodes: block to paste (format "yaml", its ids
// nsu= for namespaces other than 0) to w. root may be given in any form
// ParseNodeID accepts, nsu= included. When root is "" the Objects folder
// is browsed without the Server object (hundreds of diagnostic variables
// before the plant) unless all is set. Arrays show as such (Double[]).
// The session is closed before it returns.
func BrowseEndpoint(ctx context.Context, cfg Config, root string, all bool, opt BrowseOptions, w io.Writer, format string, log zerolog.Logger) error {
	if format == "" {
		format = FormatText
	}
	if format != FormatText && format != FormatYAML {
		return fmt.Errorf("browse %s: unknown format %q (text or yaml)", cfg.Endpoint, format)
	}
	c, err := Connect(ctx, cfg, log)
	if err != nil {
		return fmt.Errorf("browse %s: %w", cfg.Endpoint, err)
	}
	defer func() {
		if err := c.Close(context.WithoutCancel(ctx)); err != nil {
			log.Debug().Err(err).Str("endpoint", cfg.Endpoint).Msg("close browse session")
		}
	}()
	rootID := ua.NewNumericNodeID(0, id.ObjectsFolder)
	var nsa []string
	if format == FormatYAML || strings.HasPrefix(strings.TrimSpace(root), "nsu=") {
		if nsa, err = c.NamespaceArray(ctx); err != nil {
			return fmt.Errorf("browse %s: read namespace array: %w", cfg.Endpoint, err)
		}
	}
	if root != "" {
		if rootID, err = ParseNodeID(root, nsa); err != nil {
			return fmt.Errorf("browse %s: %w", cfg.Endpoint, err)
		}
	} else if !all {
		opt.Skip = append(opt.Skip, ua.NewNumericNodeID(0, id.Server))
	}
	opt.ValueRanks = true
	rctx, cancel := context.WithTimeout(ctx, cfg.withDefaults().RequestTimeout)
	info, limits, err := readServerInfo(rctx, c)
	cancel()
	if err != nil {
		// The limits help; the browse works without them.
		log.Debug().Err(err).Str("endpoint", cfg.Endpoint).Msg("read server limits")
	}
	if opt.ContinuationPoints == 0 {
		opt.ContinuationPoints = limits.BrowseContinuationPoints
	}
	vars, err := Browse(ctx, c, rootID, opt, log)
	if err != nil {
		return fmt.Errorf("browse %s: %w", cfg.Endpoint, err)
	}
	if _, err := io.WriteString(w, serverSummary(info, limits)); err != nil {
		return fmt.Errorf("browse %s: %w", cfg.Endpoint, err)
	}
	if err := PrintTree(w, FormatNodeID(rootID), vars, TreeOptions{Format: format, Namespaces: nsa}); err != nil {
		return err
	}
	// The fields of the structures the variables hold (structbrowse.go).
	defs, enums, failed, err := loadBrowsedStructures(ctx, c, vars, cfg.withDefaults().RequestTimeout)
	if err != nil {
		return fmt.Errorf("browse %s: %w", cfg.Endpoint, err)
	}
	return printStructures(w, defs, enums, failed)
}

// serverSummary is the comment line BrowseEndpoint prints above the tree:
// the server, the fastest sampling it supports (what sampling_interval 0
// asks for) and its browse continuation points per session.
func serverSummary(info buildInfo, l serverLimits) string {
	name := info.String()
	if name == "" {
		name = "server"
	}
	sampling := "not announced"
	if l.MinSamplingInterval > 0 {
		sampling = l.MinSamplingInterval.String()
	}
	points := "no limit announced"
	if l.BrowseContinuationPoints > 0 {
		points = strconv.Itoa(l.BrowseContinuationPoints)
	}
	return fmt.Sprintf("# %s: fastest sampling %s (sampling_interval: 0), browse continuation points per session: %s\n",
		oneLine(name), sampling, points)
}

// TreeOptions shape PrintTree's output.
type TreeOptions struct {
	// Format is FormatText (default) or FormatYAML.
	Format string
	// Namespaces is the server's namespace array. With it, the yaml ids of
	// namespaces other than 0 are written nsu=<uri>;<identifier>, which
	// stay right when the server renumbers its namespaces; without it (or
	// for an index beyond it) they are written ns=<index>;<identifier>.
	Namespaces []string
}

// PrintTree writes the browsed variables of root to w, in tree order: the
// variables of a folder first (in the order browsed), then its
// subfolders, each folder once.
//
// Format "text" prints a tree: one line per folder (its browse name and a
// trailing '/', indented by depth) and per variable (browse name, data
// type with [] per array dimension, access as r/w/h for
// read/write/history, node id), columns aligned within each folder.
// Format "yaml" prints a nodes: block in the site-file shape, one
// "- id: ..." entry per variable with its browse path, data type and access
// as a comment, ready to paste under a source; a variable below a folder
// of root also gets the name: its browse from root gives it (see
// pastedName).
func PrintTree(w io.Writer, root string, vars []Variable, opt TreeOptions) error {
	bw := bufio.NewWriter(w)
	ordered := treeOrder(vars)
	switch opt.Format {
	case FormatText, "":
		fmt.Fprintf(bw, "# %d variables below %s\n", len(vars), root)
		tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
		var open []string // folders printed on the current branch
		for _, v := range ordered {
			common := 0
			for common < len(open) && common < len(v.Path) && open[common] == v.Path[common] {
				common++
			}
			open = open[:common]
			for d := common; d < len(v.Path); d++ {
				// No cells: columns are aligned per folder.
				fmt.Fprintf(tw, "%s%s/\n", strings.Repeat("  ", d), v.Path[d])
				open = append(open, v.Path[d])
			}
			fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\n", strings.Repeat("  ", len(v.Path)), v.BrowseName, typeName(v), accessString(v.AccessLevel), FormatNodeID(v.ID))
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("print browse tree: %w", err)
		}
	case FormatYAML:
		fmt.Fprintf(bw, "# %d variables below %s\n", len(vars), root)
		fmt.Fprintln(bw, "nodes:")
		for _, v := range ordered {
			p := strings.Join(append(append([]string{}, v.Path...), v.BrowseName), "/")
			fmt.Fprintf(bw, "  - id: %s  # %s (%s, %s)\n", yamlString(namespacedID(v.ID, opt.Namespaces)), oneLine(p), typeName(v), accessString(v.AccessLevel))
			if len(v.Path) > 0 {
				fmt.Fprintf(bw, "    name: %s\n", yamlString(pastedName(v)))
			}
		}
	default:
		return fmt.Errorf("print browse tree: unknown format %q (text or yaml)", opt.Format)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("print browse tree: %w", err)
	}
	return nil
}

// treeOrder returns vars grouped by folder, depth first: a folder's own
// variables in browse order, then its subfolders in the order their first
// variable was browsed. A breadth-first browse lists the variables of
// every folder at one depth before any deeper one; printed in that order
// the folders would repeat.
func treeOrder(vars []Variable) []Variable {
	type folder struct {
		vars []int
		subs []string
		sub  map[string]*folder
	}
	newFolder := func() *folder { return &folder{sub: map[string]*folder{}} }
	top := newFolder()
	for i, v := range vars {
		f := top
		for _, name := range v.Path {
			next := f.sub[name]
			if next == nil {
				next = newFolder()
				f.sub[name] = next
				f.subs = append(f.subs, name)
			}
			f = next
		}
		f.vars = append(f.vars, i)
	}
	out := make([]Variable, 0, len(vars))
	var walk func(f *folder)
	walk = func(f *folder) {
		for _, i := range f.vars {
			out = append(out, vars[i])
		}
		for _, name := range f.subs {
			walk(f.sub[name])
		}
	}
	walk(top)
	return out
}

// typeName is a variable's data type as printed: the built-in type, with
// [] for an array ([,] for two dimensions, and so on), "?" when unknown.
func typeName(v Variable) string {
	dt := v.DataType
	if dt == "" {
		dt = "?"
	}
	switch {
	case v.ValueRank >= 1:
		return dt + "[" + strings.Repeat(",", int(v.ValueRank)-1) + "]"
	case v.ValueRank == ValueRankOneOrMoreDimensions:
		return dt + "[...]"
	case v.ValueRank == ValueRankScalarOrOneDimension:
		return dt + " or " + dt + "[]"
	}
	return dt
}

// namespacedID formats id with its namespace URI (nsu=) when namespaces
// names its namespace index, else as FormatNodeID.
func namespacedID(id *ua.NodeID, namespaces []string) string {
	if id == nil || id.Namespace() == 0 || int(id.Namespace()) >= len(namespaces) || namespaces[id.Namespace()] == "" {
		return FormatNodeID(id)
	}
	return formatExpandedNodeID(&ua.ExpandedNodeID{NodeID: id, NamespaceURI: namespaces[id.Namespace()]})
}

// pastedName is the name: that gives a variable pasted as an explicit node
// the name and group a browse of the root gives it: its safe folder names
// and browse name, joined by dots (see NodeConfig.Name). Without it,
// explicit variables of different folders that share a browse name would
// be numbered (Speed, Speed_2).
func pastedName(v Variable) string {
	var b strings.Builder
	for _, p := range v.Path {
		b.WriteString(SafeName(p))
		b.WriteByte('.')
	}
	b.WriteString(SafeName(v.BrowseName))
	return b.String()
}

// accessString renders an AccessLevel: r (current read), w (current
// write), h (history read), "-" for none.
func accessString(a byte) string {
	var b []byte
	if a&byte(ua.AccessLevelTypeCurrentRead) != 0 {
		b = append(b, 'r')
	}
	if a&byte(ua.AccessLevelTypeCurrentWrite) != 0 {
		b = append(b, 'w')
	}
	if a&byte(ua.AccessLevelTypeHistoryRead) != 0 {
		b = append(b, 'h')
	}
	if len(b) == 0 {
		return "-"
	}
	return string(b)
}

// yamlString returns s as a YAML scalar: plain when that reads back as the
// same string, else double-quoted (JSON escaping is valid YAML).
func yamlString(s string) string {
	plain := s != "" && !strings.ContainsAny(s, "\"'#:{}[],&*!|>%@`\\\t\n\r") &&
		strings.TrimSpace(s) == s && !strings.HasPrefix(s, "-") && !strings.HasPrefix(s, "?")
	if strings.Contains(s, ": ") || strings.Contains(s, " #") {
		plain = false
	}
	// ns=2;s=... contains no ':' unless the identifier does; ids with a
	// colon (nsu=urn:...) are quoted by the rule above.
	if plain {
		return s
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// oneLine keeps a comment on one line.
func oneLine(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}
