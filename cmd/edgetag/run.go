package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/edgetag/edgetag/agent"
	"github.com/edgetag/edgetag/agent/siteconfig"
	"github.com/edgetag/edgetag/configs"
	"github.com/edgetag/edgetag/internal/redact"
)

func runCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("run", "[-c site.yaml] [--watch] [--once]", "Run the agent. Without -c it runs the built-in demo site: the OPC UA simulator,\nthe embedded NATS server with JetStream, and a tag engine that maps the plant to umh.v1.\nWith --once it reads every node once, prints what would be published and exits (see read).", stderr)
	file := configFlag(fs, "site file (default: the built-in demo site)")
	watch := fs.Bool("watch", false, "reload when the site file changes")
	show := fs.String("show", "auto", "print a live, rate-limited view of what is published: auto (on a terminal), always, never")
	sighup := fs.String("sighup", "auto", "what SIGHUP does: stop, reload, or auto (stop when started from a terminal, which sends it when closed; else reload)")
	once := fs.Bool("once", false, "read every node once, print the messages, exit (same as the read command)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *once {
		return readSite(*file, stdout, stderr)
	}
	hupStops, err := sighupStops(*sighup, isTerminal(os.Stdin))
	if err != nil {
		fmt.Fprintf(stderr, "edgetag run: %v\n", err)
		return exitUsage
	}

	// scrub is set once the first config is loaded; a reload adds the
	// secrets of the new file before anything of it is logged.
	var scrub *redact.Scrubber
	load := func(path string) (*siteconfig.Config, error) {
		r := siteconfig.Preflight(path, os.LookupEnv)
		if r.Config == nil {
			return nil, errors.Join(r.Problems...)
		}
		if scrub != nil {
			scrub.Add(r.Config.Secrets()...)
		}
		return r.Config, nil
	}
	var cfg *siteconfig.Config
	if *file == "" {
		cfg, err = siteconfig.Parse(configs.Demo, "demo.yaml (built in)", os.LookupEnv)
		if err != nil {
			fmt.Fprintln(stderr, redact.URLs(err.Error()))
			return exitInvalidSite
		}
	} else {
		r := siteconfig.Preflight(*file, os.LookupEnv)
		if code := printProblems(stderr, *file, r); code != exitOK {
			return code
		}
		cfg = r.Config
	}
	scrub = cfg.Scrubber()
	log, err := newLogger(stderr, cfg.Log.Level, cfg.Log.Format, scrub)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitInvalidSite
	}

	opts := agent.Options{}
	if *show == "always" || (*show == "auto" && isTerminal(os.Stdout)) {
		opts.Tap = stdout
	}
	a, err := agent.New(cfg, log, opts)
	if err != nil {
		fmt.Fprintln(stderr, scrub.String(err.Error()))
		return exitInvalidSite
	}

	stopSignals := []os.Signal{os.Interrupt, syscall.SIGTERM}
	if hupStops {
		stopSignals = append(stopSignals, syscall.SIGHUP)
	}
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals...)
	defer stop()
	hup := make(chan os.Signal, 1)
	if !hupStops {
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
	}

	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		var hints sync.WaitGroup
		defer hints.Wait()
		select {
		case <-a.Ready():
		case <-watchCtx.Done():
			return
		}
		if opts.Tap != nil {
			h := newHint(cfg, a.SinkURL(), hupStops)
			h.printOnce(stdout)
			hints.Add(1)
			go func() {
				defer hints.Done()
				h.repeat(watchCtx, stdout, hintRepeat)
			}()
		}
		if *file == "" {
			<-watchCtx.Done() // the built-in demo has no file to reload
			return
		}
		poll := time.Duration(0)
		if *watch {
			poll = 2 * time.Second
		}
		a.WatchReloads(watchCtx, *file, load, hup, poll)
	}()

	err = a.Run(ctx)
	stopWatch()
	<-watchDone
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, agent.ErrShutdownTimeout):
		log.Error().Err(err).Msg("stopped")
		return exitTimeout
	default:
		log.Error().Err(err).Msg("stopped")
		return exitFailure
	}
}

// sighupStops decides what SIGHUP does for the --sighup value: "stop",
// "reload", or "auto", which stops when the agent was started from a
// terminal (closing it sends SIGHUP, and an agent left running would hold
// its ports) and reloads otherwise (a service manager's reload).
func sighupStops(mode string, terminal bool) (bool, error) {
	switch mode {
	case "stop":
		return true, nil
	case "reload":
		return false, nil
	case "auto", "":
		return terminal, nil
	}
	return false, fmt.Errorf("--sighup %q: want auto, stop or reload", mode)
}
