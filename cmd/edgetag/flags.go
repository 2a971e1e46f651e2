package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

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

// configFlag defines -c and its alias --config (the Telegraf spelling) on
// fs; both set the returned string.
func configFlag(fs *flag.FlagSet, usage string) *string {
	file := fs.String("c", "", usage)
	fs.StringVar(file, "config", "", "same as -c")
	return file
}

// parseFlags parses args and maps --help to exit 0 and bad flags to
// exitUsage. Flags may follow positional arguments, as in
// `edgetag sub 'umh.v1.>' --count 3`; an argument after "--" is always
// positional. Afterwards fs.Args holds the positional arguments in order.
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	// Hand the positional arguments back through fs.Args: "--" ends the
	// flags, so nothing after it is parsed again.
	if err := fs.Parse(append([]string{"--"}, pos...)); err != nil {
		return exitUsage, false
	}
	return 0, true
}

// parseInterspersed parses every flag in args, wherever it stands, and
// returns the positional arguments in order. The standard flag package
// stops at the first positional argument; this resumes after it.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// The flag package consumes a "--" that ends the flags: what
		// follows it is positional, whatever it looks like.
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
