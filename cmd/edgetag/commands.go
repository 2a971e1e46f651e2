package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	cmdsvc "github.com/edgetag/edgetag/command"
)

// write and call are thin clients of the command service
// (edgetag.<site>.write and .call), for people without the NATS CLI.

// serviceFlags are the flags of every client of the command service.
type serviceFlags struct {
	natsClientFlags
	site, source string
	timeout      time.Duration
}

func (f *serviceFlags) define(fs *flag.FlagSet) {
	f.natsClientFlags.define(fs)
	fs.StringVar(&f.site, "site", "", "the site (its site file's site:) whose agent executes the request (required)")
	fs.StringVar(&f.source, "source", "", "the source (its name in the site file) the node belongs to")
	fs.DurationVar(&f.timeout, "timeout", cmdsvc.DefaultTimeout, "how long the agent may take")
}

// request sends one request to endpoint of the site's command service and
// prints the reply; the exit code says whether it was ok.
func (f *serviceFlags) request(name, endpoint string, req any, stdout, stderr io.Writer) int {
	if f.site == "" {
		fmt.Fprintf(stderr, "edgetag %s: --site is required\n", name)
		return exitUsage
	}
	nc, code := f.connect(name, stderr)
	if nc == nil {
		return code
	}
	defer nc.Close()
	data, err := json.Marshal(req)
	if err != nil {
		fmt.Fprintf(stderr, "edgetag %s: %v\n", name, err)
		return exitUsage
	}
	msg := nats.NewMsg(cmdsvc.Subject(f.site, endpoint))
	msg.Data = data
	msg.Header.Set(cmdsvc.ClientHeader, "edgetag "+name)
	// The agent answers within the timeout it was given; a little more
	// here covers the round trip.
	reply, err := nc.RequestMsg(msg, f.timeout+2*time.Second)
	if err != nil {
		fmt.Fprintf(stderr, "edgetag %s: %s: %v (is an agent for site %q running with this NATS server?)\n", name, msg.Subject, err, f.site)
		return exitFailure
	}
	var out bytes.Buffer
	if json.Indent(&out, reply.Data, "", "  ") != nil {
		out.Reset()
		out.Write(reply.Data)
	}
	fmt.Fprintln(stdout, out.String())
	var rep cmdsvc.Reply
	if err := json.Unmarshal(reply.Data, &rep); err != nil || !rep.OK {
		return exitFailure
	}
	return exitOK
}

// jsonArg is a value given on the command line: JSON when it parses as
// JSON, else the text as a JSON string (so 42 is a number, true a
// Boolean, Line1 the string "Line1").
func jsonArg(s string) json.RawMessage {
	if json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	b, _ := json.Marshal(s)
	return b
}

// isNodeID reports whether s looks like a node id rather than a subject.
func isNodeID(s string) bool {
	for _, p := range []string{"ns=", "nsu=", "i=", "s=", "g=", "b="} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func writeCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("write", "--site S [--source SRC] [--verify] <node-id|subject> <value>",
		"Write a value to an OPC UA variable through the agent of a site (its command service,\n"+
			"edgetag.<site>.write). The node is a node id (with --source) or the UNS subject the\n"+
			"node publishes on. The value is JSON (42, 1.5, true, \"text\", [1,2]); text that is not\n"+
			"JSON is sent as a string. The site file's commands: block must allow the write.\n"+
			"Exit status 0 when written, 1 otherwise; the reply is printed.", stderr)
	var f serviceFlags
	f.define(fs)
	verify := fs.Bool("verify", false, "read the node back and compare")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return exitUsage
	}
	req := cmdsvc.WriteRequest{Verify: *verify, Timeout: f.timeout.String()}
	req.Value = jsonArg(fs.Arg(1))
	if isNodeID(fs.Arg(0)) {
		if f.source == "" {
			fmt.Fprintln(stderr, "edgetag write: a node id needs --source")
			return exitUsage
		}
		req.Source, req.Node = f.source, fs.Arg(0)
	} else {
		req.Subject = fs.Arg(0)
	}
	return f.request("write", "write", req, stdout, stderr)
}

func callCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("call", "--site S --source SRC <object-id> <method-id> [args...]",
		"Call an OPC UA method through the agent of a site (edgetag.<site>.call). Each argument\n"+
			"is JSON, or text sent as a string; they are converted to the method's input argument\n"+
			"types. The site file's commands: block must allow the call. The output arguments are\n"+
			"printed; exit status 0 when the call succeeded, 1 otherwise.", stderr)
	var f serviceFlags
	f.define(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() < 2 || f.source == "" {
		fs.Usage()
		return exitUsage
	}
	req := cmdsvc.CallRequest{Source: f.source, Object: fs.Arg(0), Method: fs.Arg(1), Timeout: f.timeout.String()}
	for _, a := range fs.Args()[2:] {
		req.Args = append(req.Args, jsonArg(a))
	}
	return f.request("call", "call", req, stdout, stderr)
}
