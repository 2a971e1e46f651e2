package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/edgetag/edgetag/internal/redact"
	"github.com/edgetag/edgetag/opcua"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func browseCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("browse", "[flags] <endpoint>", "List the variables below a node (Objects by default): node id, browse path, data type,\naccess. --format yaml prints a nodes: block ready to paste into a site file.", stderr)
	root := fs.String("root", "", "node id to start from (default: the Objects folder without the Server object)")
	all := fs.Bool("all", false, "with the default root, list the Server object's diagnostics too")
	format := fs.String("format", "text", "output: text or yaml")
	policy := fs.String("policy", "auto", "security policy: auto, None, Basic256Sha256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss, Basic256, Basic128Rsa15")
	mode := fs.String("mode", "auto", "security mode: auto, None, Sign, SignAndEncrypt")
	user := fs.String("user", "", "user name (password from --password or $OPC_PASS)")
	// The environment variable is read after parsing, never as the flag's
	// default, which --help would print.
	pass := fs.String("password", "", "password of --user (default: $OPC_PASS)")
	cert := fs.String("cert", "", "X.509 user certificate file")
	key := fs.String("key", "", "private key of --cert")
	acceptAny := fs.Bool("accept-any", false, "accept any server certificate (unsafe)")
	stateDir := fs.String("state-dir", "./edgetag-state", "where the client certificate and the trust list live")
	depth := fs.Int("depth", opcua.DefaultMaxDepth, "maximum browse depth")
	maxNodes := fs.Int("max-nodes", opcua.DefaultMaxNodes, "maximum number of variables")
	var include, exclude stringList
	fs.Var(&include, "include", "glob on the browse path to include (repeatable; ** spans folders)")
	fs.Var(&exclude, "exclude", "glob on the browse path to exclude (repeatable)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitUsage
	}
	if *format != "text" && *format != "yaml" {
		fmt.Fprintf(stderr, "edgetag browse: --format %q: want text or yaml\n", *format)
		return exitUsage
	}
	if *pass == "" {
		*pass = os.Getenv("OPC_PASS")
	}
	scrub := redact.NewScrubber(*pass)
	log, _ := newLogger(stderr, "info", "auto", scrub)
	cfg := opcua.Config{
		Name:     "browse",
		Endpoint: fs.Arg(0),
		Security: opcua.Security{Policy: *policy, Mode: *mode},
		Auth:     opcua.Auth{Username: *user, Password: *pass, Certificate: *cert, Key: *key},
		Trust:    opcua.Trust{AcceptAny: *acceptAny},
		StateDir: *stateDir,
	}
	opt := opcua.BrowseOptions{MaxDepth: *depth, MaxNodes: *maxNodes, Include: include, Exclude: exclude}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := opcua.BrowseEndpoint(ctx, cfg, *root, *all, opt, stdout, *format, log); err != nil {
		fmt.Fprintln(stderr, scrub.String(fmt.Sprintf("edgetag browse %s: %v", cfg.Endpoint, err)))
		return exitFailure
	}
	return exitOK
}
