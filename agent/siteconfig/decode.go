package siteconfig

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// A strict decoder from a yaml.Node tree into the file structs. Unlike
// yaml.v3's own decoding it reports every problem with its line, column and
// key path (yaml.v3 gives only a line, and no strict mode for Node.Decode),
// suggests the closest key for a misspelled one, and records where each
// value was written so later validation can point at it.

const (
	maxDepth = 64
	// maxAliasValues bounds the values decoded through aliases (*name)
	// and merge keys (<<), so alias bombs (anchors referenced
	// exponentially often) fail fast instead of eating memory. Values
	// written out in the file do not count: their number is bounded by
	// the file's size, and a tag list of 250,000 nodes is ordinary.
	maxAliasValues = 200000
)

// nodeDecoder is implemented by file types with their own syntax
// (durations, byte sizes, scripts, string lists).
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, path string)
}

var nodeDecoderType = reflect.TypeFor[nodeDecoder]()

// decoder holds the state of one decoding.
type decoder struct {
	file     string
	expanded map[*yaml.Node]bool   // scalars whose text came from ${VAR} expansion
	nodes    map[string]*yaml.Node // value node of every decoded path
	keys     map[string]*yaml.Node // key node of every path written as a mapping key
	failed   map[string]bool       // paths that could not be decoded
	// aliased is how many aliases and merges the value being decoded is
	// reached through; while it is above 0, every value decoded spends
	// from budget.
	aliased int
	// aliasAt and aliasPath are where the outermost alias or merge being
	// expanded is written: the alias budget's problem is reported there.
	aliasAt    *yaml.Node
	aliasPath  string
	budget     int
	overBudget bool
	lines      []string // the file's lines, to locate code in block scalars
	structs    map[reflect.Type]*structKeys
	errs       Errors
}

func newDecoder(file string, expanded map[*yaml.Node]bool) *decoder {
	return &decoder{file: file, expanded: expanded, nodes: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}, failed: map[string]bool{}, budget: maxAliasValues}
}

// spend takes k values from the alias budget and reports, once, when it
// is exhausted. Once it is, nothing more is decoded: the file's meaning is
// lost, and parse reports this one problem alone.
func (d *decoder) spend(n *yaml.Node, path string, k int) bool {
	if d.budget -= k; d.budget >= 0 && !d.overBudget {
		return true
	}
	if !d.overBudget {
		d.overBudget = true
		if d.aliasAt != nil {
			n, path = d.aliasAt, d.aliasPath
		}
		d.errorf(n, path, "aliases (*name) and merge keys (<<) expand to more than %d values: is an anchor referenced exponentially often?", maxAliasValues)
	}
	return false
}

// enterAlias starts decoding a value reached through the alias or merge
// n at path; leaveAlias ends it.
func (d *decoder) enterAlias(n *yaml.Node, path string) {
	if d.aliased == 0 {
		d.aliasAt, d.aliasPath = n, path
	}
	d.aliased++
}

func (d *decoder) leaveAlias() {
	if d.aliased--; d.aliased == 0 {
		d.aliasAt, d.aliasPath = nil, ""
	}
}

// errorf records a value that cannot be decoded, at node n (which may be
// nil); validation does not report that path again.
func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.failed[path] = true
	d.add(n, path, fmt.Sprintf(format, args...))
}

// add records a problem at node n (which may be nil).
func (d *decoder) add(n *yaml.Node, path, msg string) {
	e := &Error{File: d.file, Path: path, Msg: msg}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

// decode stores n into v, which must be settable.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string, depth int) {
	if depth > maxDepth {
		d.errorf(n, path, "nested more than %d levels deep", maxDepth)
		return
	}
	if d.overBudget || d.aliased > 0 && !d.spend(n, path, 1) {
		return
	}
	if n.Kind == yaml.AliasNode {
		d.enterAlias(n, path)
		defer d.leaveAlias()
		if !d.spend(n, path, 1) {
			return
		}
	}
	for n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			d.errorf(n, path, "unknown alias %q", n.Value)
			return
		}
		n = n.Alias
		depth++
		if depth > maxDepth {
			d.errorf(n, path, "alias refers to itself")
			return
		}
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return
		}
		d.decode(n.Content[0], v, path, depth+1)
		return
	}
	if _, seen := d.nodes[path]; !seen {
		d.nodes[path] = n
	}
	if isNull(n) {
		// Absent value. A block written as `key:` alone is present with
		// every default, so `simulator:` turns the simulator on.
		if v.Kind() == reflect.Pointer && v.Type().Elem().Kind() == reflect.Struct && v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path, depth)
		return
	}
	if v.CanAddr() && v.Addr().Type().Implements(nodeDecoderType) {
		v.Addr().Interface().(nodeDecoder).decodeNode(d, n, path)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.mapping(n, v, path, depth)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.errorf(n, path, "must be a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, s.Index(i), path+"["+strconv.Itoa(i)+"]", depth+1)
		}
		v.Set(s)
	case reflect.String:
		if s, ok := d.scalar(n, path, "a string"); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		s, ok := d.typed(n, path, "true or false", "!!bool")
		if !ok {
			return
		}
		switch strings.ToLower(s) {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			d.errorf(n, path, "must be true or false, got %q", s)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		s, ok := d.typed(n, path, "an integer", "!!int")
		if !ok {
			return
		}
		i, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 0, v.Type().Bits())
		if err != nil {
			d.errorf(n, path, "must be an integer that fits %d bits, got %q", v.Type().Bits(), s)
			return
		}
		v.SetInt(i)
	case reflect.Float32, reflect.Float64:
		s, ok := d.typed(n, path, "a number", "!!int", "!!float")
		if !ok {
			return
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			d.errorf(n, path, "must be a finite number, got %q", s)
			return
		}
		v.SetFloat(f)
	default:
		d.errorf(n, path, "cannot decode into %s (a bug in edgetag)", v.Type())
	}
}

// isNull reports whether n is an explicit or implicit YAML null.
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// scalar returns the text of a scalar node, or records that one was
// expected.
func (d *decoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, path, "must be %s, got %s", want, describe(n))
		return "", false
	}
	return n.Value, true
}

// typed returns the text of a scalar whose YAML tag is one of tags, or
// which came from ${VAR} expansion (then its text is parsed as the type
// the key requires).
func (d *decoder) typed(n *yaml.Node, path, want string, tags ...string) (string, bool) {
	s, ok := d.scalar(n, path, want)
	if !ok {
		return "", false
	}
	tag := n.ShortTag()
	for _, t := range tags {
		if tag == t {
			return s, true
		}
	}
	if d.expanded[n] {
		return strings.TrimSpace(s), true
	}
	d.errorf(n, path, "must be %s, got %s", want, describe(n))
	return "", false
}

// describe names what a node is, for "got ..." in messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		case "!!int":
			return "the integer " + n.Value
		case "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		case "!!null":
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unexpected node"
}

// field is one key of a file struct.
type field struct {
	name  string
	index int
}

// structKeys are the keys of one file struct: in declaration order (for
// messages) and by name.
type structKeys struct {
	names  []string
	byName map[string]int // key name to field index
}

// keysOf returns the keys of file struct t, made once per decoding.
func (d *decoder) keysOf(t reflect.Type) *structKeys {
	if k, ok := d.structs[t]; ok {
		return k
	}
	fields := fieldsOf(t)
	k := &structKeys{names: make([]string, len(fields)), byName: make(map[string]int, len(fields))}
	for i, f := range fields {
		k.byName[f.name] = f.index
		k.names[i] = f.name
	}
	if d.structs == nil {
		d.structs = map[reflect.Type]*structKeys{}
	}
	d.structs[t] = k
	return k
}

// fieldsOf lists the keys of a file struct in declaration order.
func fieldsOf(t reflect.Type) []field {
	fs := make([]field, 0, t.NumField())
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("yaml")
		if tag == "" || tag == "-" {
			continue
		}
		fs = append(fs, field{name: strings.Split(tag, ",")[0], index: i})
	}
	return fs
}

// keyValue is one entry of a mapping, after merge keys are resolved;
// merged marks one brought in by a merge key, whose value counts against
// the alias budget.
type keyValue struct {
	key, value *yaml.Node
	merged     bool
}

// mapping decodes a mapping node into a file struct, strictly.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string, depth int) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "must be a mapping (key: value), got %s", describe(n))
		return
	}
	sk := d.keysOf(v.Type())
	byName, names := sk.byName, sk.names
	var seenBuf [16]*yaml.Node
	seen := seenBuf[:0] // the keys so far: a mapping has few
	var meant []string  // the keys misspelled ones are closest to
	for _, kv := range d.entries(n, path, depth) {
		k := kv.key
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "a key must be a plain name, got %s", describe(k))
			continue
		}
		kpath := joinPath(path, k.Value)
		if first := findKey(seen, k.Value); first != nil {
			d.errorf(k, kpath, "duplicate key %q (first set at line %d)", k.Value, first.Line)
			continue
		}
		seen = append(seen, k)
		if _, ok := d.keys[kpath]; !ok {
			d.keys[kpath] = k
		}
		idx, ok := byName[k.Value]
		if !ok {
			best := closest(k.Value, names)
			d.errorf(k, kpath, "%s", unknownKey(k.Value, best, names))
			if best != "" {
				meant = append(meant, best)
			}
			continue
		}
		if kv.merged {
			d.enterAlias(kv.key, kpath)
		}
		d.decode(kv.value, v.Field(idx), kpath, depth+1)
		if kv.merged {
			d.leaveAlias()
		}
	}
	// A misspelled key is one mistake: its value is not reported missing
	// as well (idd: x is not also "id is required").
	for _, key := range meant {
		if findKey(seen, key) == nil {
			d.failed[joinPath(path, key)] = true
		}
	}
}

// findKey returns the key node named name among keys, or nil.
func findKey(keys []*yaml.Node, name string) *yaml.Node {
	for _, k := range keys {
		if k.Value == name {
			return k
		}
	}
	return nil
}

// entries returns the entries of a mapping with YAML merge keys (<<)
// resolved: explicit keys win over merged ones, earlier merges over later.
func (d *decoder) entries(n *yaml.Node, path string, depth int) []keyValue {
	return d.mergedEntries(n, path, depth, map[*yaml.Node]bool{})
}

// mergedEntries is entries with the mappings being merged on the way to n,
// so a merge that refers back to one of them is an error, not a loop.
func (d *decoder) mergedEntries(n *yaml.Node, path string, depth int, merging map[*yaml.Node]bool) []keyValue {
	var explicit, merged []keyValue
	merging[n] = true
	defer delete(merging, n)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merged = append(merged, d.mergeSources(val, path, depth, merging)...)
			continue
		}
		explicit = append(explicit, keyValue{key: k, value: val})
	}
	if len(merged) == 0 {
		return explicit
	}
	have := map[string]bool{}
	for _, kv := range explicit {
		have[kv.key.Value] = true
	}
	out := explicit
	for _, kv := range merged {
		if !have[kv.key.Value] {
			have[kv.key.Value] = true
			kv.merged = true
			out = append(out, kv)
		}
	}
	return out
}

// mergeSources returns the entries a merge key brings in: a mapping, or a
// list of mappings (aliases resolved).
func (d *decoder) mergeSources(n *yaml.Node, path string, depth int, merging map[*yaml.Node]bool) []keyValue {
	if depth > maxDepth {
		d.errorf(n, path, "merge nested more than %d levels deep", maxDepth)
		return nil
	}
	if !d.spend(n, path, len(n.Content)+1) {
		return nil
	}
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		if merging[n] {
			d.errorf(n, path, "a merge (<<) refers to a mapping that contains it")
			return nil
		}
		return d.mergedEntries(n, path, depth+1, merging)
	case yaml.SequenceNode:
		var out []keyValue
		for _, c := range n.Content {
			out = append(out, d.mergeSources(c, path, depth+1, merging)...)
		}
		return out
	}
	d.errorf(n, path, "a merge (<<) must refer to a mapping, got %s", describe(n))
	return nil
}

// unknownKey explains an unknown key: the closest allowed key when one is
// close, else the whole list.
// best is closest(key, allowed).
func unknownKey(key, best string, allowed []string) string {
	if best != "" {
		return fmt.Sprintf("unknown key %q (did you mean %q?)", key, best)
	}
	return fmt.Sprintf("unknown key %q; allowed here: %s", key, strings.Join(allowed, ", "))
}

// closest returns the allowed key that key is most likely a misspelling of,
// or "" when none is close: same letters ignoring case, '_' and '-'
// (accept-any, acceptAny), or an edit distance of at most 1 for short keys
// and 2 for longer ones.
func closest(key string, allowed []string) string {
	norm := func(s string) string {
		return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(s))
	}
	nk := norm(key)
	best, bestDist := "", math.MaxInt
	for _, a := range allowed {
		if norm(a) == nk {
			return a
		}
		if dist := editDistance(nk, norm(a)); dist < bestDist {
			best, bestDist = a, dist
		}
	}
	limit := 2
	if len(nk) <= 4 {
		limit = 1
	}
	if bestDist <= limit {
		return best
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// duration is a time.Duration written as "500ms", "10s", "1m30s" or "7d"
// (whole days, for retention).
type duration time.Duration

func (t *duration) decodeNode(d *decoder, n *yaml.Node, path string) {
	s, ok := d.scalar(n, path, "a duration")
	if !ok {
		return
	}
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if v, err := strconv.ParseUint(days, 10, 16); err == nil {
			*t = duration(time.Duration(v) * 24 * time.Hour)
			return
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		d.errorf(n, path, "must be a duration such as 500ms, 10s, 1m30s or 7d, got %q", s)
		return
	}
	*t = duration(v)
}

// byteSize is a size in bytes, written as an integer or with a unit: KB,
// MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024).
type byteSize int64

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
}

func (b *byteSize) decodeNode(d *decoder, n *yaml.Node, path string) {
	s, ok := d.scalar(n, path, "a size")
	if !ok {
		return
	}
	v, ok := parseByteSize(s)
	if !ok {
		d.errorf(n, path, "must be a size in bytes such as 1073741824, 512MiB or 10GB, got %q", s)
		return
	}
	*b = byteSize(v)
}

func parseByteSize(s string) (int64, bool) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "_", ""))
	mult := int64(1)
	for _, u := range byteUnits {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(num), u.mult
			break
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v > math.MaxInt64/mult || v < math.MinInt64/mult {
		return 0, false
	}
	return v * mult, true
}

// stringList is a list of strings written either as a YAML list or as one
// comma-separated string ("nats://a:4222,nats://b:4222").
type stringList []string

func (l *stringList) decodeNode(d *decoder, n *yaml.Node, path string) {
	var out []string
	switch n.Kind {
	case yaml.ScalarNode:
		for part := range strings.SplitSeq(n.Value, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			for c.Kind == yaml.AliasNode && c.Alias != nil {
				c = c.Alias
			}
			p := fmt.Sprintf("%s[%d]", path, i)
			d.nodes[p] = c
			if s, ok := d.scalar(c, p, "a string"); ok {
				out = append(out, strings.TrimSpace(s))
			}
		}
	default:
		d.errorf(n, path, "must be a string or a list of strings, got %s", describe(n))
		return
	}
	*l = out
}

// script is a piece of JavaScript and where its first code line is in the
// site file: for a block scalar (| or >) that is the line after the key,
// otherwise the line of the value itself. Column is the file column of the
// snippet's column 1 when every snippet column maps to one file column (a
// plain or quoted scalar on one line, or a literal | block), else 0.
type script struct {
	Code   string
	Line   int
	Column int
}

func (s *script) decodeNode(d *decoder, n *yaml.Node, path string) {
	code, ok := d.scalar(n, path, "JavaScript text (a string, best written as a | block)")
	if !ok {
		return
	}
	s.Code, s.Line, s.Column = code, n.Line, n.Column
	switch {
	case n.Style&yaml.LiteralStyle != 0:
		s.Line, s.Column = n.Line+1, d.blockIndent(n.Line)+1
	case n.Style&yaml.FoldedStyle != 0:
		s.Line, s.Column = n.Line+1, 0
	case strings.Contains(code, "\n"):
		s.Column = 0 // a multi-line flow scalar is folded
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		s.Column++ // past the opening quote
	}
}

// blockIndent returns the indentation of the block scalar whose indicator
// is on line (1-based): that of its first non-blank content line. It is
// -1 when unknown, which makes the column 0.
func (d *decoder) blockIndent(line int) int {
	for i := line; i < len(d.lines); i++ { // d.lines[line] is the line after
		if t := strings.TrimLeft(d.lines[i], " "); t != "" {
			return len(d.lines[i]) - len(t)
		}
	}
	return -1
}
