package main

import (
	"fmt"
	"io"
	"os"

	"github.com/edgetag/edgetag/agent"
)

func checkCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("check", "-c site.yaml", "Validate the site file and compile all of its JavaScript. Every problem is printed\nwith its location; the exit status is 0 only when there is none.", stderr)
	file := fs.String("c", "", "site file (required)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *file == "" {
		fmt.Fprintln(stderr, "edgetag check: -c site.yaml is required")
		return exitUsage
	}
	r := agent.CheckReport(*file, os.LookupEnv)
	for _, p := range r.Problems {
		fmt.Fprintln(stderr, r.Scrub.String(p.Error()))
	}
	// The warnings run logs at start, so ExecStartPre shows them too.
	for _, w := range r.Warnings {
		fmt.Fprintln(stderr, r.Scrub.String(fmt.Sprintf("%s: warning: %s", *file, w)))
	}
	if len(r.Problems) > 0 {
		fmt.Fprintf(stderr, "%s: %d problem(s)\n", *file, len(r.Problems))
		return exitFailure
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintf(stdout, "%s: ok, with %d warning(s)\n", *file, len(r.Warnings))
		return exitOK
	}
	fmt.Fprintf(stdout, "%s: ok\n", *file)
	return exitOK
}
