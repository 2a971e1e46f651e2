package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/internal/redact"
)

// newLogger builds the process logger: JSON, or the human console format
// when format is "console", or "auto" and w is a terminal. Every line goes
// through scrub, which removes secrets and URL credentials.
func newLogger(w io.Writer, level, format string, scrub *redact.Scrubber) (zerolog.Logger, error) {
	lvl := zerolog.InfoLevel
	if level != "" {
		l, err := zerolog.ParseLevel(strings.ToLower(level))
		if err != nil {
			return zerolog.Nop(), fmt.Errorf("log.level %q: %w", level, err)
		}
		lvl = l
	}
	var out io.Writer = w
	switch format {
	case "", "auto":
		if isTerminal(w) {
			out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
		}
	case "console":
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly, NoColor: !isTerminal(w)}
	case "json":
	default:
		return zerolog.Nop(), fmt.Errorf("log.format %q: want auto, json or console", format)
	}
	return zerolog.New(redact.Writer(out, scrub)).Level(lvl).With().Timestamp().Logger(), nil
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
