// Package siteconfig turns a site file into a validated Config, or into
// located errors: it decodes the YAML strictly (unknown keys are errors),
// expands ${VAR} and ${VAR:default} inside string values, reads the nodes
// files a source names, applies every default in one place and checks every
// value, reporting all problems at once, each as an *Error with its file,
// line, column and key path (Errors, sorted). Check, CheckReport, Preflight
// and ProcessReport are what `edgetag check`, `run` and `process` report;
// Reference is the annotated reference file, which a test parses.
//
// It knows nothing of running: it starts no source, engine or server and
// opens no connection. The only files it reads are the site file, its nodes
// files and, in Preflight and Config.FileProblems, the files the site names
// (to report those that cannot be read). The agent package runs a Config.
package siteconfig
