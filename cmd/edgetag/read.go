package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/agent/siteconfig"
	"github.com/edgetag/edgetag/configs"
	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/opcua"
	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/tag"
)

const readSummary = `Connect to every source of the site, browse it, read every node once, run the
site's tag engine on the values and print what would be published, then exit:
the one-shot test of a site file against the real servers (telegraf --test).
Nothing is published to NATS. Output is that of process: one JSON line
{"subject", "payload", "headers"} per message on stdout; engine failures and a
summary line per source as JSON lines on stderr. Exit 0 when every source was
read, 1 when one could not be, 2 for an invalid site file.`

func readCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("read", "[-c site.yaml]", readSummary, stderr)
	file := configFlag(fs, "site file (default: the built-in demo site)")
	timeout := fs.Duration("timeout", time.Minute, "give up on a source after this long")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "edgetag read: unexpected argument %q (the site file goes after -c)\n", fs.Arg(0))
		return exitUsage
	}
	return readSiteWithin(*file, *timeout, stdout, stderr)
}

// readSite is read with its default timeout (run --once).
func readSite(file string, stdout, stderr io.Writer) int {
	return readSiteWithin(file, time.Minute, stdout, stderr)
}

func readSiteWithin(file string, timeout time.Duration, stdout, stderr io.Writer) int {
	var cfg *siteconfig.Config
	if file == "" {
		c, err := siteconfig.Parse(configs.Demo, "demo.yaml (built in)", os.LookupEnv)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitInvalidSite
		}
		cfg = c
	} else {
		r := siteconfig.Preflight(file, os.LookupEnv)
		if code := printProblems(stderr, file, r); code != exitOK {
			return code
		}
		cfg = r.Config
	}
	// Warnings and node failures go to stderr; the rest of the agent's
	// info log would bury the output.
	level := "warn"
	if cfg.Log.Level == "debug" || cfg.Log.Level == "trace" {
		level = cfg.Log.Level
	}
	log, err := newLogger(stderr, level, cfg.Log.Format, cfg.Scrubber())
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitInvalidSite
	}
	eng, err := engine.New(cfg.Engine, log.With().Str("component", "engine").Logger())
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitInvalidSite
	}
	defer eng.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.Simulator != nil {
		stopSim, err := startSim(ctx, *cfg.Simulator, log)
		if err != nil {
			fmt.Fprintf(stderr, "edgetag read: simulator: %v\n", err)
			return exitFailure
		}
		defer stopSim()
	}

	out := &readPrinter{w: stdout, errW: stderr}
	code := exitOK
	for _, sc := range cfg.Sources {
		if err := readSource(ctx, sc, timeout, eng, out, log); err != nil {
			fmt.Fprintln(stderr, cfg.Scrubber().String(fmt.Sprintf("edgetag read: source %s (%s): %v", sc.Name, sc.Endpoint, err)))
			code = exitFailure
		}
		if ctx.Err() != nil {
			return exitFailure
		}
	}
	return code
}

// startSim runs the built-in simulator until the returned stop is called.
func startSim(ctx context.Context, c sim.Config, log zerolog.Logger) (stop func(), err error) {
	s, err := sim.New(c, log)
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	if err := s.Start(sctx); err != nil {
		cancel()
		return nil, err
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = s.Run(sctx)
	}()
	return func() { cancel(); wg.Wait() }, nil
}

// readSource reads every node of one source once and prints the messages
// the engine makes of the values, then a summary line.
func readSource(ctx context.Context, sc opcua.Config, timeout time.Duration, eng *engine.Engine, out *readPrinter, log zerolog.Logger) error {
	src, err := opcua.NewSource(sc, log.With().Str("component", "opcua").Str("source", sc.Name).Logger())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var sum readSourceSummary
	sum.Source = sc.Name
	var msgs []tag.Message
	err = src.ReadOnce(ctx, func(_ context.Context, s tag.Sample) error {
		sum.Values++
		node := ""
		if s.Node != nil {
			node = s.Node.ID
		}
		msgs = eng.Process(&s, msgs[:0], func(f engine.Failure) {
			if f.Reason == engine.ReasonFiltered {
				sum.Filtered++
				return
			}
			sum.Failures++
			out.failure(sc.Name, node, f)
		})
		for i := range msgs {
			out.message(&msgs[i])
		}
		sum.Messages += len(msgs)
		return nil
	})
	st := src.Status()
	sum.Nodes, sum.Failed = st.Nodes, st.FailedItems
	if err != nil && errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("no answer within --timeout %s: %w", timeout, err)
	}
	if err != nil {
		sum.Error = err.Error()
	}
	out.summary(sum)
	return err
}

// readSourceSummary is the last stderr line of read for one source.
type readSourceSummary struct {
	Source   string `json:"source"`
	Nodes    int    `json:"nodes"`
	Failed   int    `json:"failed"`
	Values   int    `json:"values"`
	Messages int    `json:"messages"`
	Filtered int    `json:"filtered"`
	Failures int    `json:"failures"`
	Error    string `json:"error,omitempty"`
}

// readPrinter writes read's output lines in process's format.
type readPrinter struct {
	w, errW io.Writer
}

func (p *readPrinter) message(m *tag.Message) {
	headers := map[string]string{}
	m.EachHeader(func(h tag.Header) { headers[h.Key] = h.Value })
	line, _ := json.Marshal(struct {
		Subject string            `json:"subject"`
		Payload json.RawMessage   `json:"payload"`
		Headers map[string]string `json:"headers"`
	}{m.Subject, json.RawMessage(m.Payload), headers})
	fmt.Fprintf(p.w, "%s\n", line)
}

func (p *readPrinter) failure(source, node string, f engine.Failure) {
	msg := f.Error()
	if f.Err != nil {
		msg = f.Err.Error()
	}
	line, _ := json.Marshal(struct {
		Source string `json:"source"`
		Node   string `json:"node"`
		Stage  string `json:"stage"`
		Reason string `json:"reason"`
		Line   int    `json:"line,omitempty"`
		Column int    `json:"column,omitempty"`
		Error  string `json:"error"`
	}{source, node, f.Stage, string(f.Reason), f.Line, f.Column, msg})
	fmt.Fprintf(p.errW, "%s\n", line)
}

func (p *readPrinter) summary(s readSourceSummary) {
	line, _ := json.Marshal(struct {
		Summary readSourceSummary `json:"summary"`
	}{s})
	fmt.Fprintf(p.errW, "%s\n", line)
}
