package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/nats-io/nats.go"

	"github.com/edgetag/edgetag/internal/redact"
)

// defaultNATSURL is where the NATS clients (sub, write, call) connect
// without --server or $NATS_URL: the embedded server's default listener.
const defaultNATSURL = "nats://127.0.0.1:4222"

// natsClientFlags are the connection flags of the commands that are NATS
// clients, with the NATS CLI's names.
type natsClientFlags struct {
	server, creds, user, nkey string
}

func (f *natsClientFlags) define(fs *flag.FlagSet) {
	// The environment variable is read after parsing, never as the flag's
	// default, which --help would print (a URL may hold a password).
	fs.StringVar(&f.server, "server", "", "NATS server URL(s), comma-separated (default: $NATS_URL, else "+defaultNATSURL+")")
	fs.StringVar(&f.server, "s", "", "same as --server")
	fs.StringVar(&f.creds, "creds", "", "NATS credentials file")
	fs.StringVar(&f.user, "user", "", "user name (password from $NATS_PASSWORD)")
	fs.StringVar(&f.nkey, "nkey", "", "NKey seed file")
}

// connect connects as "edgetag <name>"; on failure it prints why and
// returns the exit code.
func (f *natsClientFlags) connect(name string, stderr io.Writer) (*nats.Conn, int) {
	server := f.server
	if server == "" {
		server = os.Getenv("NATS_URL")
	}
	if server == "" {
		server = defaultNATSURL
	}
	opts := []nats.Option{nats.Name("edgetag " + name)}
	switch {
	case f.creds != "":
		opts = append(opts, nats.UserCredentials(f.creds))
	case f.nkey != "":
		o, err := nats.NkeyOptionFromSeed(f.nkey)
		if err != nil {
			fmt.Fprintf(stderr, "edgetag %s: --nkey %s: %v\n", name, f.nkey, err)
			return nil, exitUsage
		}
		opts = append(opts, o)
	case f.user != "":
		opts = append(opts, nats.UserInfo(f.user, os.Getenv("NATS_PASSWORD")))
	}
	nc, err := nats.Connect(server, opts...)
	if err != nil {
		fmt.Fprintln(stderr, redact.URLs(fmt.Sprintf("edgetag %s: connect %s: %v", name, server, err)))
		return nil, exitFailure
	}
	return nc, 0
}
