package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/edgetag/edgetag/agent"
	"github.com/edgetag/edgetag/configs"
	"github.com/edgetag/edgetag/internal/redact"
)

func runCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("run", "[-c site.yaml] [--watch]", "Run the agent. Without -c it runs the built-in demo site: the OPC UA simulator,\nthe embedded NATS server with JetStream, and a tag engine that maps the plant to umh.v1.", stderr)
	file := fs.String("c", "", "site file (default: the built-in demo site)")
	watch := fs.Bool("watch", false, "reload when the site file changes (SIGHUP always reloads)")
	show := fs.String("show", "auto", "print a live, rate-limited view of what is published: auto (on a terminal), always, never")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}

	// scrub is set once the first config is loaded; a reload adds the
	// secrets of the new file before anything of it is logged.
	var scrub *redact.Scrubber
	load := func(path string) (*agent.Config, error) {
		cfg, err := agent.Load(path, os.LookupEnv)
		if err == nil && scrub != nil {
			scrub.Add(cfg.Secrets()...)
		}
		return cfg, err
	}
	var cfg *agent.Config
	var err error
	if *file == "" {
		cfg, err = agent.Parse(configs.Demo, "demo.yaml (built in)", os.LookupEnv)
	} else {
		cfg, err = load(*file)
	}
	if err != nil {
		fmt.Fprintln(stderr, redact.URLs(err.Error()))
		return exitUsage
	}
	scrub = cfg.Scrubber()
	log, err := newLogger(stderr, cfg.Log.Level, cfg.Log.Format, scrub)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}

	opts := agent.Options{}
	if *show == "always" || (*show == "auto" && isTerminal(os.Stdout)) {
		opts.Tap = stdout
	}
	a, err := agent.New(cfg, log, opts)
	if err != nil {
		fmt.Fprintln(stderr, scrub.String(err.Error()))
		return exitUsage
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		select {
		case <-a.Ready():
		case <-watchCtx.Done():
			return
		}
		if opts.Tap != nil {
			signIn, pwHint := "", ""
			if users := cfg.NATS.Embedded.Users; cfg.NATS.URL == "" && len(users) > 0 && users[0].Name != "" {
				signIn, pwHint = " --user "+users[0].Name, " (password in $NATS_PASSWORD)"
			}
			fmt.Fprintf(stdout, "publishing to %s — watch from elsewhere with: edgetag sub --server %s%s '%s.>'%s\n",
				a.SinkURL(), a.SinkURL(), signIn, cfg.Engine.SubjectPrefix, pwHint)
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
