// Command edgetag reads OPC UA servers, shapes every value change with the
// site's JavaScript tag engine and publishes it to NATS as a Unified
// Namespace subject. See `edgetag help`.
package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rs/zerolog"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes, the same for every command.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and failed (fatal runtime error)
	exitUsage   = 2 // bad flags or arguments
	exitTimeout = 3 // shutdown did not finish within its deadline
	// exitInvalidSite is the exit status of check, run, read and process
	// for a site file with problems (every problem printed, each with its
	// location). It equals exitUsage: both mean "fix what you typed".
	exitInvalidSite = exitUsage
)

type command struct {
	name, args, summary string
	run                 func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"run", "[-c site.yaml] [--watch] [--once]", "run the agent (built-in demo site when -c is absent)", runCmd},
		{"check", "-c site.yaml", "verify what run verifies (file, JavaScript, named files); print every problem", checkCmd},
		{"read", "[-c site.yaml]", "read every node once, print what would be published, exit (like telegraf --test)", readCmd},
		{"process", "-c site.yaml [-i input.jsonl]", "run the site's tag engine offline on JSON lines", processCmd},
		{"config", "", "print the annotated reference site file (every key, its default and meaning)", configCmd},
		{"browse", "[flags] <endpoint>", "list what an OPC UA server exposes, ready to paste into a site file", browseCmd},
		{"sim", "[--listen 127.0.0.1:4840]", "run the built-in OPC UA simulator", simCmd},
		{"sub", "[-s URL] [subject]", "print messages arriving on NATS (default umh.v1.>)", subCmd},
		{"write", "--site S <node|subject> <value>", "write a value through a running agent (its commands: block must allow it)", writeCmd},
		{"call", "--site S <obj> <method> [args]", "call an OPC UA method through a running agent", callCmd},
		{"version", "", "print the version", func([]string, io.Writer, io.Writer) int { fmt.Println("edgetag", version); return exitOK }},
	}
}

func main() {
	// Durations in log fields are whole milliseconds; their names end in _ms.
	zerolog.DurationFieldUnit = time.Millisecond
	zerolog.DurationFieldInteger = true
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(stdout)
		return exitOK
	case "-v", "--version":
		fmt.Fprintln(stdout, "edgetag", version)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "edgetag: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "edgetag %s — OPC UA → JavaScript tag engine → NATS (Unified Namespace)\n\nUsage:\n", version)
	for _, c := range commands() {
		fmt.Fprintf(w, "  edgetag %-8s %-32s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'edgetag <command> --help' for the flags of a command.")
}
