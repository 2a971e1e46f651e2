package main

import (
	"fmt"
	"io"

	"github.com/edgetag/edgetag/agent/siteconfig"
)

func configCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("config", "", "Print the annotated reference site file: every key with its default and what it\ndoes. Start a site file with: edgetag config > site.yaml", stderr)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "edgetag config: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	_, _ = stdout.Write(siteconfig.Reference)
	return exitOK
}
