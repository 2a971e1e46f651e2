package main

import (
	"fmt"
	"io"
	"os"

	"github.com/edgetag/edgetag/agent/siteconfig"
	"github.com/edgetag/edgetag/sink"
)

func checkCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("check", "-c site.yaml", "Validate the site file, compile all of its JavaScript and verify that every file it\nnames (certificates, keys, CAs, credentials) can be read: exactly what run verifies\nbefore it starts. Every problem is printed with its location; the exit status is 0\nonly when there is none, 2 when the site file is invalid.", stderr)
	file := configFlag(fs, "site file (required)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *file == "" {
		fmt.Fprintln(stderr, "edgetag check: -c site.yaml is required")
		return exitUsage
	}
	r := siteconfig.Preflight(*file, os.LookupEnv)
	if code := printProblems(stderr, *file, r); code != exitOK {
		return code
	}
	// The warnings run logs at start, so ExecStartPre shows them too.
	for _, w := range r.Warnings {
		fmt.Fprintln(stderr, r.Scrub.String(fmt.Sprintf("%s: warning: %s", *file, w)))
	}
	printDiskBuffer(stdout, stderr, *file, r)
	if len(r.Warnings) > 0 {
		fmt.Fprintf(stdout, "%s: ok, with %d warning(s)\n", *file, len(r.Warnings))
		return exitOK
	}
	fmt.Fprintf(stdout, "%s: ok\n", *file)
	return exitOK
}

// printProblems prints every problem of r, one line each, and a count; it
// returns exitInvalidSite when there is any, else exitOK. check, run and
// process report an invalid site file through it.
func printProblems(stderr io.Writer, file string, r siteconfig.CheckResult) int {
	if len(r.Problems) == 0 {
		return exitOK
	}
	for _, p := range r.Problems {
		fmt.Fprintln(stderr, r.Scrub.String(p.Error()))
	}
	fmt.Fprintf(stderr, "%s: %d problem(s)\n", file, len(r.Problems))
	return exitInvalidSite
}

// printDiskBuffer shows the stream size run would derive from the free disk
// when nats.jetstream.max_bytes is auto with the embedded server: the same
// derivation (sink.BufferFromDisk) on the same store directory, so check
// says how long an outage the gateway rides out before run starts.
func printDiskBuffer(stdout, stderr io.Writer, file string, r siteconfig.CheckResult) {
	n := r.Config.NATS
	if n.URL != "" || !n.JetStream.Enabled || n.JetStream.MaxBytes != 0 {
		return
	}
	b, err := sink.BufferFromDisk(n.Embedded.StoreDir)
	if err != nil {
		fmt.Fprintln(stderr, r.Scrub.String(fmt.Sprintf("%s: warning: nats.jetstream.max_bytes auto: %v; run would use %s", file, err, sink.FormatBytes(sink.DefaultMaxBytes))))
		return
	}
	fmt.Fprintln(stdout, r.Scrub.String(fmt.Sprintf("%s: nats.jetstream.max_bytes auto: %s", file, b)))
}
