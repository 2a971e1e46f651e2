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

// BrowseEndpoint connects with cfg, browses root (Objects when "") and
// prints the tree (format "text") or a nodes: block to paste (format "yaml")
// to w. root may be given in any form ParseNodeID accepts, nsu= included.
// The session is closed before it returns.
func BrowseEndpoint(ctx context.Context, cfg Config, root string, opt BrowseOptions, w io.Writer, format string, log zerolog.Logger) error {
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
	if root != "" {
		var nsa []string
		if strings.HasPrefix(strings.TrimSpace(root), "nsu=") {
			if nsa, err = c.NamespaceArray(ctx); err != nil {
				return fmt.Errorf("browse %s: read namespace array: %w", cfg.Endpoint, err)
			}
		}
		if rootID, err = ParseNodeID(root, nsa); err != nil {
			return fmt.Errorf("browse %s: %w", cfg.Endpoint, err)
		}
	}
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
	if err := PrintTree(w, FormatNodeID(rootID), vars, format); err != nil {
		return err
	}
	// The fields of the structures the variables hold (structbrowse.go).
	defs, failed, err := loadBrowsedStructures(ctx, c, vars, cfg.withDefaults().RequestTimeout)
	if err != nil {
		return fmt.Errorf("browse %s: %w", cfg.Endpoint, err)
	}
	return printStructures(w, defs, failed)
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

// PrintTree writes the browsed variables of root to w.
//
// Format "text" prints a tree: one line per folder (its browse name and a
// trailing '/', indented by depth) and per variable (browse name, data type,
// access as r/w/h for read/write/history, node id), columns aligned within
// each folder.
// Format "yaml" prints a nodes: block in the site-file shape, one
// "- id: ..." entry per variable with its browse path, data type and access
// as a comment, ready to paste under a source; a variable below a folder
// of root also gets the name: its browse from root gives it (see
// pastedName).
func PrintTree(w io.Writer, root string, vars []Variable, format string) error {
	bw := bufio.NewWriter(w)
	switch format {
	case FormatText, "":
		fmt.Fprintf(bw, "# %d variables below %s\n", len(vars), root)
		tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
		var open []string // folders printed on the current branch
		for _, v := range vars {
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
			dt := v.DataType
			if dt == "" {
				dt = "?"
			}
			fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\n", strings.Repeat("  ", len(v.Path)), v.BrowseName, dt, accessString(v.AccessLevel), FormatNodeID(v.ID))
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("print browse tree: %w", err)
		}
	case FormatYAML:
		fmt.Fprintf(bw, "# %d variables below %s\n", len(vars), root)
		fmt.Fprintln(bw, "nodes:")
		for _, v := range vars {
			p := strings.Join(append(append([]string{}, v.Path...), v.BrowseName), "/")
			dt := v.DataType
			if dt == "" {
				dt = "?"
			}
			fmt.Fprintf(bw, "  - id: %s  # %s (%s, %s)\n", yamlString(FormatNodeID(v.ID)), oneLine(p), dt, accessString(v.AccessLevel))
			if len(v.Path) > 0 {
				fmt.Fprintf(bw, "    name: %s\n", yamlString(pastedName(v)))
			}
		}
	default:
		return fmt.Errorf("print browse tree: unknown format %q (text or yaml)", format)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("print browse tree: %w", err)
	}
	return nil
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
