package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/edgetag/edgetag/agent/siteconfig"
	"github.com/edgetag/edgetag/internal/natstest"
)

func TestParseFlagsAnywhere(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		args      []string
		wantPos   []string
		wantCount int
		wantErr   bool
	}{
		{"flags first", []string{"--count", "3", "umh.v1.>"}, []string{"umh.v1.>"}, 3, false},
		{"flag after positional", []string{"umh.v1.>", "--count", "3"}, []string{"umh.v1.>"}, 3, false},
		{"flag between positionals", []string{"a", "-count=2", "b"}, []string{"a", "b"}, 2, false},
		{"double dash keeps the rest", []string{"a", "--", "--count", "4"}, []string{"a", "--count", "4"}, 0, false},
		{"double dash first", []string{"--", "-x"}, []string{"-x"}, 0, false},
		{"unknown flag after positional", []string{"a", "--nope"}, nil, 0, true},
		{"missing value after positional", []string{"a", "--count"}, nil, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			count := fs.Int("count", 0, "")
			code, ok := parseFlags(fs, tt.args)
			if tt.wantErr {
				if ok || code != exitUsage {
					t.Fatalf("parseFlags(%q) = %d, %v; want exit %d", tt.args, code, ok, exitUsage)
				}
				return
			}
			if !ok {
				t.Fatalf("parseFlags(%q) failed", tt.args)
			}
			if got := fs.Args(); !slices.Equal(got, tt.wantPos) && !(len(got) == 0 && len(tt.wantPos) == 0) {
				t.Errorf("positional %q, want %q", got, tt.wantPos)
			}
			if *count != tt.wantCount {
				t.Errorf("count %d, want %d", *count, tt.wantCount)
			}
		})
	}
}

// TestFlagHabits runs the commands with flags where users of other tools
// put them.
func TestFlagHabits(t *testing.T) {
	t.Parallel()
	good := writeFile(t, "good.yaml", siteWithEngine)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"browse flag after endpoint", []string{"browse", "opc.tcp://127.0.0.1:1", "--format", "xml"}, exitUsage, `--format "xml"`},
		{"check --config", []string{"check", "--config", good}, exitOK, "good.yaml: ok"},
		{"check --config=", []string{"check", "--config=" + good}, exitOK, "good.yaml: ok"},
		{"process --config help", []string{"process", "--help"}, exitOK, "-config"},
		{"run --config help", []string{"run", "-h"}, exitOK, "-config"},
		{"read --config help", []string{"read", "-h"}, exitOK, "-config"},
		{"sub -s help", []string{"sub", "-h"}, exitOK, "$NATS_URL"},
		{"read stray argument", []string{"read", good}, exitUsage, "the site file goes after -c"},
		{"bad --sighup", []string{"run", "-c", good, "--sighup", "maybe"}, exitUsage, `--sighup "maybe"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(t, tt.args...)
			if code != tt.wantCode || !strings.Contains(out+errOut, tt.wantOut) {
				t.Errorf("exit %d (want %d), want %q in output\nstdout: %s\nstderr: %s", code, tt.wantCode, tt.wantOut, out, errOut)
			}
		})
	}
}

// subOnce runs sub with args until it has printed one message published
// on srv, and returns its exit code and output.
func subOnce(t *testing.T, nc *nats.Conn, args ...string) (int, string, string) {
	t.Helper()
	done := make(chan struct{})
	var code int
	var out, errOut bytes.Buffer
	go func() {
		defer close(done)
		code = dispatch(args, &out, &errOut)
	}()
	natstest.WaitFor(t, 10*time.Second, func() error {
		select {
		case <-done:
			return nil
		default:
		}
		if err := nc.Publish("umh.v1.a._raw.t", []byte(`1`)); err != nil {
			return err
		}
		_ = nc.Flush()
		return os.ErrDeadlineExceeded
	})
	<-done
	return code, out.String(), errOut.String()
}

// TestSubServerHabits checks -s, $NATS_URL and flags after the subject.
func TestSubServerHabits(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv)

	code, out, errOut := subOnce(t, nc, "sub", "umh.v1.>", "-s", srv.ClientURL(), "--count", "1")
	if code != exitOK || out != "umh.v1.a._raw.t 1\n" {
		t.Fatalf("sub -s after the subject: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	t.Setenv("NATS_URL", srv.ClientURL())
	code, out, errOut = subOnce(t, nc, "sub", "umh.v1.>", "--count", "1")
	if code != exitOK || out != "umh.v1.a._raw.t 1\n" {
		t.Fatalf("sub with $NATS_URL: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	// --server wins over $NATS_URL.
	t.Setenv("NATS_URL", "nats://127.0.0.1:1")
	code, out, errOut = subOnce(t, nc, "sub", "--count", "1", "--server", srv.ClientURL())
	if code != exitOK || out != "umh.v1.a._raw.t 1\n" {
		t.Fatalf("sub --server over $NATS_URL: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestConfigPrintsTheReference(t *testing.T) {
	t.Parallel()
	code, out, errOut := run(t, "config")
	if code != exitOK || out != string(siteconfig.Reference) {
		t.Fatalf("exit %d, stderr %s, stdout differs from agent/siteconfig/reference.yaml", code, errOut)
	}
	env := func(k string) (string, bool) { return "x", true }
	if _, err := siteconfig.Parse([]byte(out), "reference", env); err != nil {
		t.Fatalf("the printed reference does not parse: %v", err)
	}
	if code, _, _ := run(t, "config", "extra"); code != exitUsage {
		t.Fatalf("config extra: exit %d, want %d", code, exitUsage)
	}
}

// exampleEnv supplies the variables the examples in configs/ refer to.
func exampleEnv(t *testing.T) {
	for k, v := range map[string]string{"S7_USER": "u", "S7_PASS": "p", "KEP_USER": "u", "KEP_PASS": "p", "OPC_PASS": "p", "OPC_USER": "u"} {
		t.Setenv(k, v)
	}
}

// problemLines returns the lines of out that name file (the problems and
// the count line).
func problemLines(out, file string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, file) && !strings.Contains(l, ": warning: ") {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestCheckAndRunAgree runs check on every example and on broken variants
// of them and, for each file check refuses, run, read and process: all
// refuse it with the same exit code, and check and run print the same
// problems. No valid file is run.
func TestCheckAndRunAgree(t *testing.T) {
	exampleEnv(t)
	files, err := filepath.Glob(filepath.Join("..", "..", "configs", "*.yaml"))
	if err != nil || len(files) < 5 {
		t.Fatalf("examples: %v, %d files", err, len(files))
	}
	dir := t.TempDir()
	var sites []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		base := strings.TrimSuffix(filepath.Base(f), ".yaml")
		variants := map[string]string{
			"":            string(data),
			"-unknownkey": string(data) + "unknown_key: 1\n",
			"-badscript":  strings.Replace(string(data), "return msg;", "return msg +;", 1) + "unknown_key: 2\n",
			"-missingca":  string(data) + "http: {listen: \"127.0.0.1:0\", tls: {cert: /nonexistent/c.pem, key: /nonexistent/k.pem, ca: /nonexistent/ca.pem}}\n",
			"-badyaml":    string(data) + "  bad indentation: [\n",
		}
		for suffix, content := range variants {
			p := filepath.Join(dir, base+suffix+".yaml")
			if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			sites = append(sites, p)
		}
	}
	refused := 0
	for _, site := range sites {
		code, out, checkErr := run(t, "check", "-c", site)
		if code == exitOK {
			if !strings.Contains(out, ": ok") {
				t.Errorf("check %s: exit 0 without ok: %s", site, out)
			}
			continue
		}
		refused++
		if code != exitInvalidSite {
			t.Errorf("check %s: exit %d, want %d\n%s", site, code, exitInvalidSite, checkErr)
			continue
		}
		want := problemLines(checkErr, site)
		if len(want) < 2 {
			t.Errorf("check %s: no located problem:\n%s", site, checkErr)
		}
		for _, cmd := range [][]string{{"run", "-c", site}, {"run", "--once", "-c", site}, {"read", "-c", site}} {
			code, _, errOut := run(t, cmd...)
			if code != exitInvalidSite {
				t.Errorf("%s: exit %d, want %d\n%s", cmd, code, exitInvalidSite, errOut)
			}
			if got := problemLines(errOut, site); !slices.Equal(got, want) {
				t.Errorf("%s prints other problems than check:\ncheck:\n%s\n%s:\n%s", cmd, strings.Join(want, "\n"), cmd[0], strings.Join(got, "\n"))
			}
		}
		// process needs no certificate: it refuses only what it uses.
		if !strings.Contains(checkErr, "cannot be read") {
			if code, _, errOut := run(t, "process", "-c", site, "-i", os.DevNull); code != exitInvalidSite {
				t.Errorf("process %s: exit %d, want %d\n%s", site, code, exitInvalidSite, errOut)
			}
		}
	}
	if refused < len(files)*4 {
		t.Errorf("check refused %d of %d files; every broken variant should be refused", refused, len(sites))
	}
}

// TestCheckVerifiesReferencedFiles names a missing CA, a directory as a
// certificate and an unreadable credentials file; check reports each at
// its key and line, and a readable file passes.
func TestCheckVerifiesReferencedFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	readableFile := filepath.Join(dir, "ok.pem")
	if err := os.WriteFile(readableFile, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	unreadable := filepath.Join(dir, "secret.creds")
	if err := os.WriteFile(unreadable, []byte("x"), 0o000); err != nil {
		t.Fatal(err)
	}
	site := writeFile(t, "files.yaml", siteWithEngine+`nats:
  embedded:
    tls: {cert: `+readableFile+`, key: `+dir+`, ca: `+filepath.Join(dir, "missing-ca.pem")+`}
    leafnode:
      url: nats-leaf://127.0.0.1:7422
      credentials: `+unreadable+`
`)
	code, _, errOut := run(t, "check", "-c", site)
	if code != exitInvalidSite {
		t.Fatalf("exit %d, want %d\n%s", code, exitInvalidSite, errOut)
	}
	wants := []string{
		"nats.embedded.tls.key: file \"" + dir + "\" cannot be read: is a directory",
		"nats.embedded.tls.ca: file \"" + filepath.Join(dir, "missing-ca.pem") + "\" cannot be read: no such file or directory",
	}
	if os.Geteuid() != 0 { // root reads any file
		wants = append(wants, "nats.embedded.leafnode.credentials: file \""+unreadable+"\" cannot be read: permission denied")
	}
	for _, want := range wants {
		if !strings.Contains(errOut, want) {
			t.Errorf("check output lacks %q:\n%s", want, errOut)
		}
	}
	if !strings.Contains(errOut, "files.yaml:14:") {
		t.Errorf("the problems are not located at their line:\n%s", errOut)
	}
	if strings.Contains(errOut, "tls.cert") {
		t.Errorf("a readable file is reported:\n%s", errOut)
	}
}

// TestParseFlagsAnywhereMatchesFlagsFirst shuffles flags among positional
// arguments at random: the result always equals the standard parse of the
// same flags put first, with the positional arguments in their order.
func TestParseFlagsAnywhereMatchesFlagsFirst(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(19, 19))
	newSet := func() (*flag.FlagSet, *int, *string, *bool) {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		return fs, fs.Int("count", 0, ""), fs.String("s", "", ""), fs.Bool("headers", false, "")
	}
	for i := range 2000 {
		var flags [][]string
		if rng.IntN(2) == 0 {
			flags = append(flags, []string{"--count", strconv.Itoa(rng.IntN(100))})
		}
		if rng.IntN(2) == 0 {
			flags = append(flags, []string{"-s=nats://h:" + strconv.Itoa(rng.IntN(9999))})
		}
		if rng.IntN(2) == 0 {
			flags = append(flags, []string{"--headers"})
		}
		var pos []string
		for j := range rng.IntN(4) {
			pos = append(pos, fmt.Sprintf("umh.v1.%d.>", j))
		}
		// Interleave: each flag goes before a random positional (or last).
		slots := make([][]string, len(pos)+1)
		for _, f := range flags {
			k := rng.IntN(len(slots))
			slots[k] = append(slots[k], f...)
		}
		var mixed, first []string
		for k, s := range slots {
			mixed = append(mixed, s...)
			first = append(first, s...)
			if k < len(pos) {
				mixed = append(mixed, pos[k])
			}
		}
		first = append(first, pos...)

		fsA, countA, sA, hA := newSet()
		if code, ok := parseFlags(fsA, mixed); !ok {
			t.Fatalf("case %d: parseFlags(%q) = exit %d", i, mixed, code)
		}
		fsB, countB, sB, hB := newSet()
		if err := fsB.Parse(first); err != nil {
			t.Fatalf("case %d: flag.Parse(%q): %v", i, first, err)
		}
		if *countA != *countB || *sA != *sB || *hA != *hB || !slices.Equal(fsA.Args(), fsB.Args()) {
			t.Fatalf("case %d: %q parsed as count %d s %q headers %v args %q; flags first %q: count %d s %q headers %v args %q",
				i, mixed, *countA, *sA, *hA, fsA.Args(), first, *countB, *sB, *hB, fsB.Args())
		}
	}
}
