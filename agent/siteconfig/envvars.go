package siteconfig

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Environment expansion.
//
// ${VAR} and ${VAR:default} are replaced inside string scalar values only:
// never in keys, and never in numbers or booleans (which cannot hold them).
// A variable that is unset or empty takes the default; ${VAR:} defaults to
// the empty string. $${ is a literal ${. A variable name is letters, digits
// and underscores, not starting with a digit.
//
// The JavaScript of tag_processor (defaults, conditions[].if/then,
// advancedProcessing) is never expanded, because ${x} is a JavaScript
// template-literal placeholder; scripts read configuration from the site
// file's other keys or from msg.meta.
//
// A value that contained a reference is decoded after expansion as the
// type its key requires, so `max_bytes: ${MAX_BYTES:1GiB}` or
// `enabled: ${JS_ON:true}` work even though the written scalar is a string.
// A quoted scalar without a reference keeps its YAML type: queue_size: "10"
// is a type error.
//
// All variables that are missing (unset, no default) are reported together
// as one error that lists each with the lines that use it.

// lookupFunc returns the value of an environment variable and whether it is
// set, like os.LookupEnv.
type lookupFunc func(string) (string, bool)

// envRef is one use of a missing variable.
type envRef struct {
	name         string
	line, column int
	path         string
}

// expander walks a yaml.Node tree and expands references in place.
type expander struct {
	file     string
	lookup   lookupFunc
	expanded map[*yaml.Node]bool // scalars whose text came from expansion
	missing  []envRef
	errs     Errors
}

// expandEnv expands every string scalar below root. It returns the set of
// scalars that contained a reference and the problems found: one error for
// all missing variables, and one per malformed reference.
// The paths of the values with a problem are returned too, so that
// validation does not report them again (as empty, say).
func expandEnv(root *yaml.Node, file string, lookup lookupFunc) (expanded map[*yaml.Node]bool, failed []string, errs Errors) {
	x := &expander{file: file, lookup: lookup, expanded: map[*yaml.Node]bool{}}
	x.walk(root, "")
	if len(x.missing) > 0 {
		x.errs = append(x.errs, x.missingError())
	}
	for _, r := range x.missing {
		failed = append(failed, r.path)
	}
	for _, e := range x.errs {
		if e.Path != "" {
			failed = append(failed, e.Path)
		}
	}
	return x.expanded, failed, x.errs
}

func (x *expander) walk(n *yaml.Node, path string) {
	if n == nil {
		return
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			x.walk(c, path)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			x.walk(n.Content[i+1], joinPath(path, n.Content[i].Value))
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			x.walk(c, fmt.Sprintf("%s[%d]", path, i))
		}
	case yaml.ScalarNode:
		if n.ShortTag() != "!!str" || isScriptPath(path) || !strings.Contains(n.Value, "${") {
			return
		}
		x.scalar(n, path)
	}
	// Alias nodes point at an anchored node that is walked where it is
	// defined; following them would expand it twice.
}

// isScriptPath reports whether path holds tag_processor JavaScript.
func isScriptPath(path string) bool {
	rest, ok := strings.CutPrefix(path, "tag_processor.")
	if !ok {
		return false
	}
	if rest == "defaults" || rest == "advancedProcessing" {
		return true
	}
	if rest, ok = strings.CutPrefix(rest, "conditions["); !ok {
		return false
	}
	_, key, ok := strings.Cut(rest, "].")
	return ok && (key == "if" || key == "then")
}

func (x *expander) scalar(n *yaml.Node, path string) {
	s := n.Value
	var b strings.Builder
	refs := false
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			b.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				x.errs = append(x.errs, &Error{File: x.file, Line: n.Line, Column: n.Column, Path: path,
					Msg: fmt.Sprintf("unterminated variable reference in %q (write $${ for a literal ${)", s)})
				return
			}
			ref := s[i+2 : i+2+end]
			i += 2 + end + 1
			name, def, hasDef := strings.Cut(ref, ":")
			if !validVarName(name) {
				x.errs = append(x.errs, &Error{File: x.file, Line: n.Line, Column: n.Column, Path: path,
					Msg: fmt.Sprintf("invalid variable reference ${%s}: a name is letters, digits and _ and does not start with a digit (write $${ for a literal ${)", ref)})
				return
			}
			refs = true
			v, ok := x.lookup(name)
			switch {
			case ok && v != "":
				b.WriteString(v)
			case hasDef:
				b.WriteString(def)
			case ok:
				// Set but empty, and no default: the empty string.
			default:
				x.missing = append(x.missing, envRef{name: name, line: n.Line, column: n.Column, path: path})
			}
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	n.Value = b.String()
	if refs {
		x.expanded[n] = true
	}
}

// missingError lists every missing variable, in order of first use, with
// the lines that use it; it is located at the first use.
func (x *expander) missingError() *Error {
	var order []string
	lines := map[string][]int{}
	for _, r := range x.missing {
		if _, seen := lines[r.name]; !seen {
			order = append(order, r.name)
		}
		lines[r.name] = append(lines[r.name], r.line)
	}
	parts := make([]string, len(order))
	for i, name := range order {
		ls := lines[name]
		word := "line"
		if len(ls) > 1 {
			word = "lines"
		}
		nums := make([]string, len(ls))
		for j, l := range ls {
			nums[j] = fmt.Sprint(l)
		}
		parts[i] = fmt.Sprintf("%s (%s %s)", name, word, strings.Join(nums, ", "))
	}
	first := x.missing[0]
	noun, pron := "variable", "it"
	if len(order) > 1 {
		noun, pron = "variables", "them"
	}
	return &Error{File: x.file, Line: first.line, Column: first.column,
		Msg: fmt.Sprintf("missing environment %s %s: set %s or give a default as ${VAR:default}", noun, strings.Join(parts, ", "), pron)}
}

func validVarName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// joinPath appends a key to a path: "" + "site" = "site", "nats" + "url" =
// "nats.url".
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
