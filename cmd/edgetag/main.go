// Command edgetag reads OPC UA servers, shapes every value change with the
// site's JavaScript tag engine and publishes it to NATS as a Unified
// Namespace subject. See `edgetag help`.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and failed (fatal runtime error, problems found)
	exitUsage   = 2 // bad flags or an invalid site file
	exitTimeout = 3 // shutdown did not finish within its deadline
)

type command struct {
	name, args, summary string
	run                 func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"run", "[-c site.yaml] [--watch]", "run the agent (built-in demo site when -c is absent)", runCmd},
		{"check", "-c site.yaml", "validate the site file and compile its JavaScript; print every problem", checkCmd},
		{"process", "-c site.yaml [-i input.jsonl]", "run the site's tag engine offline on JSON lines", processCmd},
		{"browse", "[flags] <endpoint>", "list what an OPC UA server exposes, ready to paste into a site file", browseCmd},
		{"sim", "[--listen 127.0.0.1:4840]", "run the built-in OPC UA simulator", simCmd},
		{"sub", "[--server URL] [subject]", "print messages arriving on NATS (default umh.v1.>)", subCmd},
		{"version", "", "print the version", func([]string, io.Writer, io.Writer) int { fmt.Println("edgetag", version); return exitOK }},
	}
}

func main() { os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr)) }

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

// newFlags returns a flag set whose --help prints the command's usage and
// whose errors are returned, not exited on.
func newFlags(name, args, summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: edgetag %s %s\n\n%s\n\nFlags:\n", name, args, summary)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and maps --help to exit 0 and bad flags to exitUsage.
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	return 0, true
}
