package siteconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/rs/zerolog"
	"go.yaml.in/yaml/v3"

	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/internal/redact"
)

// Load reads the site file at path and returns the validated Config with
// every default applied. lookupEnv resolves ${VAR} references (nil means
// os.LookupEnv). When the file is invalid the error is a Errors with
// every problem found, sorted by line; when it cannot be read, a
// Errors with one entry wrapping the read error.
func Load(path string, lookupEnv func(string) (string, bool)) (*Config, error) {
	cfg, _, errs := load(path, lookupEnv)
	if len(errs) > 0 {
		return nil, errs
	}
	return cfg, nil
}

// Parse is Load for a site file already in memory; file names it in
// messages and gives the default site name ("" when it has no name).
func Parse(data []byte, file string, lookupEnv func(string) (string, bool)) (*Config, error) {
	cfg, _, errs := parse(data, file, lookupEnv)
	if len(errs) > 0 {
		return nil, errs
	}
	return cfg, nil
}

// Check validates the site file at path as Load does and, when its
// tag_processor block is valid, compiles its JavaScript as the engine will
// (engine.New). It returns every problem found, each a *Error (those
// from the engine wrap an *engine.CompileError); none means the file is
// ready to run.
func Check(path string, lookupEnv func(string) (string, bool)) []error {
	return CheckReport(path, lookupEnv).Problems
}

// CheckResult is what `edgetag check` reports about a site file.
type CheckResult struct {
	// Problems are Check's.
	Problems []error
	// Warnings are the insecure settings run would warn about
	// (Config.Warnings), when the file could be read as a config.
	Warnings []Warning
	// Scrub removes the configured secrets and URL credentials from text;
	// the output of check goes through it.
	Scrub *redact.Scrubber
	// Config is the validated config when there is no problem, else nil.
	Config *Config
}

// CheckReport is Check plus the warnings and secrets of the file, so that
// `edgetag check` prints what `edgetag run` would warn about and no secret.
func CheckReport(path string, lookupEnv func(string) (string, bool)) CheckResult {
	return checkReport(path, lookupEnv, false)
}

// checkReport is CheckReport; engineOnly accepts a file without sources
// (see ProcessReport).
func checkReport(path string, lookupEnv func(string) (string, bool), engineOnly bool) CheckResult {
	cfg, cols, errs := load(path, lookupEnv)
	if engineOnly && cfg != nil && len(cfg.Sources) == 0 && cfg.Simulator == nil {
		errs = slices.DeleteFunc(errs, func(e *Error) bool { return e.Path == "sources" })
	}
	if cfg != nil && !errs.touch("tag_processor") {
		errs = append(errs, compileErrors(cfg, cols)...)
		sortErrors(errs)
	}
	r := CheckResult{Problems: make([]error, len(errs)), Scrub: redact.NewScrubber()}
	for i, e := range errs {
		r.Problems[i] = e
	}
	if cfg != nil {
		r.Warnings = cfg.Warnings()
		r.Scrub = cfg.Scrubber()
		if len(errs) == 0 {
			r.Config = cfg
		}
	}
	return r
}

// touch reports whether any problem is at path or below it.
func (es Errors) touch(path string) bool {
	for _, e := range es {
		if e.Path == path || strings.HasPrefix(e.Path, path+".") || strings.HasPrefix(e.Path, path+"[") {
			return true
		}
	}
	return false
}

// compileErrors compiles cfg's engine and locates each compile error in
// the site file; cols maps a stage to the file column of its snippet's
// column 1, where that is known.
func compileErrors(cfg *Config, cols map[string]int) Errors {
	eng, err := engine.New(cfg.Engine, zerolog.Nop())
	if err == nil {
		eng.Close()
		return nil
	}
	var leaves []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		leaves = j.Unwrap()
	} else {
		leaves = []error{err}
	}
	var out Errors
	for _, e := range leaves {
		ce := &Error{File: cfg.File, Path: "tag_processor", Msg: e.Error(), Err: e}
		var cerr *engine.CompileError
		if errors.As(e, &cerr) {
			ce.Path = "tag_processor." + cerr.Stage
			ce.Line = cerr.FileLine
			if col := cols[cerr.Stage]; col > 0 && cerr.Column > 0 {
				ce.Column = col + cerr.Column - 1
			}
			ce.Msg = cerr.Err.Error()
			if cerr.Line > 0 {
				ce.Msg = fmt.Sprintf("line %d, column %d of the script: %s", cerr.Line, cerr.Column, ce.Msg)
			}
		}
		out = append(out, ce)
	}
	return out
}

// load reads and parses the file at path.
func load(path string, lookupEnv lookupFunc) (*Config, map[string]int, Errors) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, Errors{{File: path, Msg: fmt.Sprintf("read site file: %v", err), Err: err}}
	}
	return parse(data, path, lookupEnv)
}

// parse decodes, expands, defaults and validates one site file. It returns
// the best Config it could build (nil only when the YAML itself is
// unreadable or its aliases expand out of bounds), the file column of each script stage's column 1 where known
// (for compile errors), and every problem found, sorted.
func parse(data []byte, file string, lookupEnv lookupFunc) (*Config, map[string]int, Errors) {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	root, errs := parseYAML(data, file)
	if errs != nil {
		return nil, nil, errs
	}
	expanded, failed, errs := expandEnv(root, file, lookupEnv)
	d := newDecoder(file, expanded)
	d.lines = strings.Split(string(data), "\n")
	// Most lines write one value: sized for them, the location maps of a
	// long tag list do not grow step by step.
	d.nodes = make(map[string]*yaml.Node, len(d.lines))
	d.keys = make(map[string]*yaml.Node, len(d.lines))
	for _, p := range failed {
		d.failed[p] = true
	}
	var f siteFile
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		root = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 1, Column: 1}
	} else {
		root = root.Content[0]
	}
	d.nodes[""] = root
	if root.Kind != yaml.MappingNode && !isNull(root) {
		d.errorf(root, "", "a site file is a mapping of keys such as site, sources, tag_processor and nats; got %s", describe(root))
		return nil, nil, d.errs
	}
	d.decode(root, reflect.ValueOf(&f).Elem(), "", 0)
	if d.overBudget {
		// What was not decoded would show as a cascade of missing
		// values: report the cause alone.
		errs = append(errs, d.errs...)
		sortErrors(errs)
		return nil, nil, errs
	}
	applyDefaults(&f, file)
	cfg := (&converter{d: d, file: file}).convert(&f)
	errs = append(errs, d.errs...)
	sortErrors(errs)
	return cfg, scriptColumns(f.TagProcessor), errs
}

// scriptColumns maps each stage of tp to the file column of its snippet's
// column 1, where known.
func scriptColumns(tp *tagProcessorFile) map[string]int {
	cols := map[string]int{
		engine.StageDefaults:           tp.Defaults.Column,
		engine.StageAdvancedProcessing: tp.AdvancedProcessing.Column,
	}
	for i, c := range tp.Conditions {
		cols[fmt.Sprintf("conditions[%d].if", i)] = c.If.Column
		cols[fmt.Sprintf("conditions[%d].then", i)] = c.Then.Column
	}
	return cols
}

// parseYAML parses exactly one YAML document into a node tree.
func parseYAML(data []byte, file string) (*yaml.Node, Errors) {
	if ce := checkUTF8(data, file); ce != nil {
		return nil, Errors{ce}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, Errors{syntaxError(data, file, err)}
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, Errors{syntaxError(data, file, err)}
	default:
		return nil, Errors{{File: file, Line: extra.Line, Column: extra.Column,
			Msg: "a site file holds one YAML document; remove the second (after ---)"}}
	}
	return &doc, nil
}
