package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/edgetag/edgetag/agent/siteconfig"
)

// hintRepeat is how often run repeats its "watch from elsewhere" line
// between the live values, so it does not scroll away for good.
const hintRepeat = time.Minute

// hint is what run prints for a person at the terminal: where the agent
// serves its status and metrics, and the command that watches its messages
// from another terminal.
type hint struct {
	httpBase string // "" when HTTP is off
	mqtt     string // the MQTT listener's URL, "" when there is none
	watch    string
	prefix   string // the subject prefix, e.g. umh.v1
	hupStops bool
}

func newHint(cfg *siteconfig.Config, natsURL string, hupStops bool) hint {
	h := hint{httpBase: httpBaseURL(cfg), hupStops: hupStops, prefix: cfg.Engine.SubjectPrefix}
	if m := cfg.NATS.Embedded.MQTT.Listen; cfg.NATS.URL == "" && m != "" {
		h.mqtt = "mqtt://" + localAddr(m)
	}
	signIn, pwHint := "", ""
	if users := cfg.NATS.Embedded.Users; cfg.NATS.URL == "" && len(users) > 0 && users[0].Name != "" {
		signIn, pwHint = " --user "+users[0].Name, " (password in $NATS_PASSWORD)"
	}
	h.watch = fmt.Sprintf("%s sub -s %s%s '%s.>'%s", selfCommand(), natsURL, signIn, cfg.Engine.SubjectPrefix, pwHint)
	return h
}

// printOnce writes the full hint: addresses, the watch command and how to
// stop.
func (h hint) printOnce(w io.Writer) {
	if h.httpBase != "" {
		fmt.Fprintf(w, "status:  %s/\nready:   %s/readyz\nmetrics: %s/metrics\n", h.httpBase, h.httpBase, h.httpBase)
	}
	if h.mqtt != "" {
		fmt.Fprintf(w, "mqtt:    %s (topics %s/#)\n", h.mqtt, strings.ReplaceAll(h.prefix, ".", "/"))
	}
	fmt.Fprintf(w, "watch from another terminal: %s\n", h.watch)
	if h.hupStops {
		fmt.Fprintln(w, "stop with Ctrl-C (closing this terminal stops the agent too)")
	} else {
		fmt.Fprintln(w, "stop with Ctrl-C")
	}
}

// repeat writes the watch command every period until ctx is done.
func (h hint) repeat(ctx context.Context, w io.Writer, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fmt.Fprintf(w, "watch from another terminal: %s\n", h.watch)
		}
	}
}

// httpBaseURL is the base URL of the HTTP listener for a browser on this
// machine ("" when HTTP is off): https when it has TLS, and a wildcard
// listen address shown as 127.0.0.1.
func httpBaseURL(cfg *siteconfig.Config) string {
	if cfg.HTTPListen == "" {
		return ""
	}
	scheme := "http"
	if cfg.HTTPTLS.Enabled() {
		scheme = "https"
	}
	return scheme + "://" + localAddr(cfg.HTTPListen)
}

// localAddr is the listen address as a client on this machine dials it: a
// wildcard host becomes 127.0.0.1.
func localAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// selfCommand is how the user can start this binary again from a shell:
// "edgetag" when that is on the PATH and is this program, "go run
// ./cmd/edgetag" when it was built by go run (a temporary binary), else
// the path it was started with.
func selfCommand() string {
	arg0 := os.Args[0]
	exe, _ := os.Executable()
	if strings.Contains(exe, string(filepath.Separator)+"go-build") {
		return "go run ./cmd/edgetag"
	}
	if onPath, err := exec.LookPath("edgetag"); err == nil && sameFile(onPath, exe) {
		return "edgetag"
	}
	if strings.ContainsRune(arg0, filepath.Separator) {
		return arg0
	}
	return "edgetag"
}

// sameFile reports whether the paths a and b name the same file.
func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}
