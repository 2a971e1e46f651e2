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
	problems := agent.Check(*file, os.LookupEnv)
	for _, p := range problems {
		fmt.Fprintln(stderr, p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "%s: %d problem(s)\n", *file, len(problems))
		return exitFailure
	}
	fmt.Fprintf(stdout, "%s: ok\n", *file)
	return exitOK
}
