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
)

func subCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("sub", "[-s URL] [subject]", "Print every message arriving on a NATS subject (default umh.v1.>): subject, payload\nand, with --headers, the metadata headers. For people without the NATS CLI.", stderr)
	var conn natsClientFlags
	conn.define(fs)
	headers := fs.Bool("headers", false, "also print the headers")
	count := fs.Int("count", 0, "exit after this many messages (0 = run until interrupted)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	subject := "umh.v1.>"
	if fs.NArg() > 1 {
		fs.Usage()
		return exitUsage
	}
	if fs.NArg() == 1 {
		subject = fs.Arg(0)
	}
	nc, code := conn.connect("sub", stderr)
	if nc == nil {
		return code
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
