package siteconfig

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/edgetag/edgetag/opcua"
)

// A source's nodes_file lists node ids outside the site file, so a tag
// export of 100,000 ids need not be pasted into YAML. Two forms:
//
//   - a file whose name ends in .csv is CSV (encoding/csv, comma
//     separated) with a header row that has an id column and optionally a
//     name column (any case; other columns are ignored, so an export can
//     be used as it is); lines starting with '#' before the header row are
//     comments, after it they are rows (a name may start with '#');
//   - any other file holds one node id per line; blank lines and lines
//     whose first non-blank character is '#' are skipped.
//
// Each id becomes a node exactly like a nodes: entry with only id (and
// name) set. A relative path is resolved against the site file's
// directory. Problems are reported at the nodes file's own line.

// maxNodesFileEntries bounds the node ids one nodes_file may list; the
// file is read as it is checked, so memory stays proportional to it.
const maxNodesFileEntries = 1_000_000

// maxNodesFileLine bounds the length of one line of a nodes file.
const maxNodesFileLine = 64 << 10

// maxNodesFileProblems bounds the problems of one nodes file listed one
// per line; the rest are counted in one more line (a wrong file would
// otherwise give one line per row).
const maxNodesFileProblems = 20

// nodeEntry is one node id of a nodes file, with its line.
type nodeEntry struct {
	id, name string
	line     int
}

// nodeIndex finds node ids listed twice across a source's nodes: entries
// and its nodes_file.
type nodeIndex struct {
	// first maps an id to the index of its first node in the source's
	// Nodes.
	first map[string]int
	// yamlNodes is how many of the source's Nodes come from nodes:; the
	// others come from the nodes_file, whose lines are in fileLines.
	yamlNodes int
	fileLines []int
}

// add records node id at index i of the source p's Nodes; when the id is
// already listed it returns where, and true.
func (x *nodeIndex) add(c *converter, p, id string, i int) (string, bool) {
	if id == "" {
		return "", false
	}
	first, dup := x.first[id]
	if !dup {
		x.first[id] = i
		return "", false
	}
	if first < x.yamlNodes {
		return fmt.Sprintf("nodes[%d], line %d", first, lineOf(c.at(fmt.Sprintf("%s.nodes[%d].id", p, first)))), true
	}
	return fmt.Sprintf("line %d", x.fileLines[first-x.yamlNodes]), true
}

// nodesFile reads the nodes_file name of source p and appends its nodes to
// sc.Nodes, reporting each problem at its line of the nodes file.
func (c *converter) nodesFile(p, name string, sc *opcua.Config, seen *nodeIndex) {
	key := p + ".nodes_file"
	file := name
	if !filepath.IsAbs(file) {
		file = filepath.Join(filepath.Dir(c.file), file)
	}
	c.nodesFiles = append(c.nodesFiles, file)
	f, err := os.Open(file)
	if err != nil {
		c.errorf(key, "cannot read the nodes file: %v", err)
		return
	}
	defer f.Close()
	added, problems, unlisted := 0, 0, 0 // unlisted: the line of the first problem not listed
	problem := func(line int, format string, args ...any) {
		if problems++; problems <= maxNodesFileProblems {
			c.d.errs = append(c.d.errs, &Error{File: file, Line: line, Path: key, Msg: fmt.Sprintf(format, args...)})
		} else if problems == maxNodesFileProblems+1 {
			unlisted = line
		}
	}
	defer func() {
		if more := problems - maxNodesFileProblems; more > 0 {
			c.d.errs = append(c.d.errs, &Error{File: file, Line: unlisted, Path: key, Msg: fmt.Sprintf(
				"%d more problems from this line on are not listed: is this the file meant "+
					"(one node id per line, or CSV with an id column in a file named .csv)?", more)})
		}
	}()
	each := func(e nodeEntry) bool {
		if added == maxNodesFileEntries {
			problem(e.line, "more than %d node ids; split them over several sources", maxNodesFileEntries)
			return false
		}
		added++
		nc := opcua.NodeConfig{ID: e.id, Name: e.name, MaxDepth: opcua.DefaultMaxDepth, MaxNodes: opcua.DefaultMaxNodes}
		if err := checkNodeID(e.id); err != nil {
			problem(e.line, "%v", err)
		} else if where, dup := seen.add(c, p, e.id, len(sc.Nodes)); dup {
			problem(e.line, "duplicate node %q (already %s)", e.id, where)
		}
		if e.name != "" {
			if err := checkNodeName(e.name); err != nil {
				problem(e.line, "name %q: %v", e.name, err)
			}
		}
		seen.fileLines = append(seen.fileLines, e.line)
		sc.Nodes = append(sc.Nodes, nc)
		return true
	}
	var ok bool
	if strings.EqualFold(filepath.Ext(file), ".csv") {
		ok = readNodesCSV(f, each, problem)
	} else {
		ok = readNodesLines(f, each, problem)
	}
	if ok && added == 0 {
		c.errorf(key, "%s lists no node ids", file)
	}
}

// utf8BOM starts files saved by some spreadsheet programs.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// readNodesLines reads the one-id-per-line form, calling each for every
// id until it returns false. It reports whether the whole file was read.
func readNodesLines(r io.Reader, each func(nodeEntry) bool, problem func(line int, format string, args ...any)) bool {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxNodesFileLine)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if line == 1 {
			b = bytes.TrimPrefix(b, utf8BOM)
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		if !each(nodeEntry{id: string(b), line: line}) {
			return false
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			problem(line+1, "line longer than %d bytes", maxNodesFileLine)
		} else {
			problem(line+1, "cannot read the nodes file: %v", err)
		}
		return false
	}
	return true
}

// readNodesCSV reads the CSV form, calling each for every row until it
// returns false. It reports whether the whole file was read.
func readNodesCSV(r io.Reader, each func(nodeEntry) bool, problem func(line int, format string, args ...any)) bool {
	br := bufio.NewReaderSize(r, maxNodesFileLine)
	if b, err := br.Peek(len(utf8BOM)); err == nil && bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	}
	// Comment lines before the header. csv.Reader's own comments would
	// also skip a row whose first field starts with '#'.
	skipped := 0
	for {
		if b, err := br.Peek(1); err != nil || b[0] != '#' {
			break
		}
		_, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			problem(skipped+1, "line longer than %d bytes", maxNodesFileLine)
			return false
		}
		skipped++
		if err != nil { // the file ends in a comment
			break
		}
	}
	at := func(line int) int { return line + skipped }
	problem0 := problem
	problem = func(line int, format string, args ...any) { problem0(at(line), format, args...) }
	cr := csv.NewReader(br)
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		problem(1, "the CSV file is empty: it needs a header row with an id column (and optionally name)")
		return false
	}
	if err != nil {
		csvProblem(err, problem)
		return false
	}
	line, _ := cr.FieldPos(0)
	idCol, nameCol := -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "id":
			idCol = i
		case "name":
			nameCol = i
		}
	}
	if idCol < 0 {
		problem(line, "the header row has no id column (it has %s): name the node id column id", quoteList(header))
		return false
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			csvProblem(err, problem)
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
				continue // the row alone is wrong
			}
			return false
		}
		line, _ := cr.FieldPos(idCol)
		id := strings.TrimSpace(rec[idCol])
		if id == "" {
			problem(line, "the id column is empty")
			continue
		}
		e := nodeEntry{id: id, line: at(line)}
		if nameCol >= 0 {
			e.name = strings.TrimSpace(rec[nameCol])
		}
		if !each(e) {
			return false
		}
	}
}

// csvProblem reports a CSV syntax error at its line.
func csvProblem(err error, problem func(line int, format string, args ...any)) {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		problem(pe.Line, "invalid CSV: %v", pe.Err)
		return
	}
	problem(0, "cannot read the nodes file: %v", err)
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// checkNodeName checks a node's configured name (see opcua.NodeConfig.Name):
// dot-separated parts, none empty or blank.
func checkNodeName(name string) error {
	for part := range strings.SplitSeq(name, ".") {
		if strings.TrimSpace(part) == "" {
			return fmt.Errorf("%q has an empty part: dots separate the group's folders and the name, as in Line1.Press.Speed", name)
		}
	}
	return nil
}
