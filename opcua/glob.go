package opcua

import (
	"fmt"
	"path"
	"strings"
)

// glob is one compiled include/exclude pattern of BrowseOptions: the
// pattern split at '/', matched element by element against a browse path
// (the browse names from below the root to the node). An element "**"
// matches any number of path elements, none included; any other element is
// a path.Match pattern ("*", "?", [...]) for exactly one path element, so
// "*" never crosses a '/'. Browse names are matched as they are, even when
// they contain '/'.
type glob []string

// compileGlobs splits and checks patterns; a malformed element is an error
// naming the pattern.
func compileGlobs(patterns []string) ([]glob, error) {
	gs := make([]glob, 0, len(patterns))
	for _, p := range patterns {
		g := glob(strings.Split(p, "/"))
		for _, el := range g {
			if el == "**" {
				continue
			}
			if _, err := path.Match(el, ""); err != nil {
				return nil, fmt.Errorf("pattern %q: %w", p, err)
			}
		}
		gs = append(gs, g)
	}
	return gs, nil
}

// match reports whether the pattern matches the path elements.
func (g glob) match(elems []string) bool {
	if len(g) == 0 {
		return len(elems) == 0
	}
	if g[0] == "**" {
		for i := 0; i <= len(elems); i++ {
			if g[1:].match(elems[i:]) {
				return true
			}
		}
		return false
	}
	if len(elems) == 0 {
		return false
	}
	if ok, _ := path.Match(g[0], elems[0]); !ok {
		return false
	}
	return g[1:].match(elems[1:])
}

func matchAny(gs []glob, elems []string) bool {
	for _, g := range gs {
		if g.match(elems) {
			return true
		}
	}
	return false
}
