package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/nats-io/nats.go"

	"github.com/edgetag/edgetag/internal/redact"
)

// defaultNATSURL is where sub connects without --server or $NATS_URL: the
// embedded server's default listener.
const defaultNATSURL = "nats://127.0.0.1:4222"

func subCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("sub", "[-s URL] [subject]", "Print every message arriving on a NATS subject (default umh.v1.>): subject, payload\nand, with --headers, the metadata headers. For people without the NATS CLI.", stderr)
	// The environment variable is read after parsing, never as the flag's
	// default, which --help would print (a URL may hold a password).
	var server string
	fs.StringVar(&server, "server", "", "NATS server URL(s), comma-separated (default: $NATS_URL, else "+defaultNATSURL+")")
	fs.StringVar(&server, "s", "", "same as --server")
	creds := fs.String("creds", "", "NATS credentials file")
	user := fs.String("user", "", "user name (password from $NATS_PASSWORD)")
	nkeySeed := fs.String("nkey", "", "NKey seed file")
	headers := fs.Bool("headers", false, "also print the headers")
	count := fs.Int("count", 0, "exit after this many messages (0 = run until interrupted)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if server == "" {
		server = os.Getenv("NATS_URL")
	}
	if server == "" {
		server = defaultNATSURL
	}
	subject := "umh.v1.>"
	if fs.NArg() > 1 {
		fs.Usage()
		return exitUsage
	}
	if fs.NArg() == 1 {
		subject = fs.Arg(0)
	}
	opts := []nats.Option{nats.Name("edgetag sub")}
	switch {
	case *creds != "":
		opts = append(opts, nats.UserCredentials(*creds))
	case *nkeySeed != "":
		o, err := nats.NkeyOptionFromSeed(*nkeySeed)
		if err != nil {
			fmt.Fprintf(stderr, "edgetag sub: --nkey %s: %v\n", *nkeySeed, err)
			return exitUsage
		}
		opts = append(opts, o)
	case *user != "":
		opts = append(opts, nats.UserInfo(*user, os.Getenv("NATS_PASSWORD")))
	}
	nc, err := nats.Connect(server, opts...)
	if err != nil {
		fmt.Fprintln(stderr, redact.URLs(fmt.Sprintf("edgetag sub: connect %s: %v", server, err)))
		return exitFailure
	}
	defer nc.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	msgs := make(chan *nats.Msg, 1024)
	sub, err := nc.ChanSubscribe(subject, msgs)
	if err != nil {
		fmt.Fprintf(stderr, "edgetag sub: subscribe %q: %v\n", subject, err)
		return exitUsage
	}
	defer func() { _ = sub.Unsubscribe() }()
	fmt.Fprintf(stderr, "listening on %q at %s\n", subject, nc.ConnectedUrlRedacted())
	for n := 0; *count == 0 || n < *count; n++ {
		select {
		case <-ctx.Done():
			return exitOK
		case m := <-msgs:
			fmt.Fprintf(stdout, "%s %s\n", m.Subject, m.Data)
			if *headers && len(m.Header) > 0 {
				keys := make([]string, 0, len(m.Header))
				for k := range m.Header {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					fmt.Fprintf(stdout, "    %s: %s\n", k, strings.Join(m.Header[k], ", "))
				}
			}
		}
	}
	return exitOK
}
