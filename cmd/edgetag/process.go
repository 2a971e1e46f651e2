package main

import (
	"fmt"
	"io"
	"os"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/agent/siteconfig"
	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/engine/jsonl"
	"github.com/edgetag/edgetag/internal/redact"
	"github.com/edgetag/edgetag/opcua"
)

func processCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("process", "-c site.yaml [-i input.jsonl]", `Run the site's tag engine offline. The file may hold only a tag_processor block.
Each input line is
  {"payload": <any JSON>, "meta": {"key": "string", ...}, "type": "UInt64", "timestamp_ms": 1733903611000}
(type and timestamp_ms optional) or a bare JSON value that is not an object (23.5);
each output line is {"subject": ..., "payload": <the exact published JSON>, "headers": {...}};
failures are JSON lines on stderr, followed by a summary line. Exit 0 when the
config is valid, whatever the messages did; 2 for an invalid site file.`, stderr)
	file := configFlag(fs, "site file (required)")
	input := fs.String("i", "-", "input file of JSON lines (- for standard input)")
	verbose := fs.Bool("v", false, "also write the engine's log (console.* output, rate-limited failure logs) to stderr")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *file == "" {
		fmt.Fprintln(stderr, "edgetag process: -c site.yaml is required")
		return exitUsage
	}
	// The site file is validated and compiled as check does; the files it
	// names (certificates, credentials) are not needed offline.
	r := siteconfig.ProcessReport(*file, os.LookupEnv)
	if code := printProblems(stderr, *file, r); code != exitOK {
		return code
	}
	cfg := r.Config
	log := zerolog.Nop()
	if *verbose {
		log = zerolog.New(redact.Writer(stderr, cfg.Scrubber())).Level(zerolog.DebugLevel)
	}
	eng, err := engine.New(cfg.Engine, log)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitInvalidSite
	}
	in := os.Stdin
	if *input != "-" {
		f, err := os.Open(*input)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitUsage
		}
		defer f.Close()
		in = f
	}
	if _, err := jsonl.Run(eng, in, stdout, stderr, opcua.StatusCodeByName); err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	return exitOK
}
