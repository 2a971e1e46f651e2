package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/edgetag/edgetag/internal/redact"
	"github.com/edgetag/edgetag/opcua/sim"
)

func simCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("sim", "[flags]", "Run the built-in OPC UA simulator: a small plant whose values change.", stderr)
	listen := fs.String("listen", sim.DefaultListen, "host:port to listen on")
	rate := fs.Duration("rate", sim.DefaultRate, "how often every value changes")
	extra := fs.Int("extra-tags", 0, "additional changing Double variables under Plant/Scale (scale tests)")
	user := fs.String("user", "", "user name the simulator offers")
	pass := fs.String("password", "", "password of --user")
	security := fs.Bool("security", false, "offer every security policy (Sign and SignAndEncrypt) besides None")
	browseCPs := fs.Int("browse-continuation-points", 0, "browse continuation points one session may hold (0 = no limit)")
	hideBrowseLimit := fs.Bool("hide-browse-limit", false, "enforce --browse-continuation-points without announcing it in ServerCapabilities")
	legacy := fs.Bool("legacy-structures", false, "add Plant/Legacy/Batch, a structure described only by a legacy DataTypeDictionary")
	certDir := fs.String("cert-dir", "./edgetag-state/sim-pki", "where the simulator keeps its certificate")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	log, _ := newLogger(stderr, "info", "auto", redact.NewScrubber(*pass))
	s, err := sim.New(sim.Config{Listen: *listen, Rate: *rate, ExtraTags: *extra, Username: *user, Password: *pass, Security: *security, CertDir: *certDir,
		BrowseContinuationPoints: *browseCPs, HideBrowseLimit: *hideBrowseLimit, LegacyStructures: *legacy}, log)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := s.Start(ctx); err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "simulator listening on %s\n", s.Endpoint())
	if err := s.Run(ctx); err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	return exitOK
}
