package main

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/edgetag/edgetag/internal/natstest"
	"github.com/edgetag/edgetag/internal/testlog"
)

func TestSighupStops(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mode     string
		terminal bool
		want     bool
		wantErr  bool
	}{
		{"auto", true, true, false},
		{"auto", false, false, false},
		{"", true, true, false},
		{"stop", false, true, false},
		{"reload", true, false, false},
		{"restart", false, false, true},
	}
	for _, tt := range tests {
		got, err := sighupStops(tt.mode, tt.terminal)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("sighupStops(%q, terminal %v) = %v, %v; want %v, error %v", tt.mode, tt.terminal, got, err, tt.want, tt.wantErr)
		}
	}
}

// startAgent starts `edgetag run` on a site without reachable sources as a
// subprocess and waits until its HTTP listener answers. The returned wait
// gives the stderr and the exit error.
func startAgent(t *testing.T, extra ...string) (p *os.Process, log *testlog.Buffer, wait func() (string, error)) {
	t.Helper()
	httpAddr := fmt.Sprintf("127.0.0.1:%d", natstest.FreePort(t))
	site := writeFile(t, "hup.yaml", fmt.Sprintf(`site: huptest
state_dir: %s
log: {format: json}
http: {listen: "%s"}
sources:
  - name: plc
    endpoint: opc.tcp://127.0.0.1:1
    nodes: [{id: "ns=2;s=Line1"}]
tag_processor:
  defaults: |
    msg.meta.location_path = "acme.hup";
    msg.meta.data_contract = "_raw";
    msg.meta.tag_name = msg.meta.opcua_tag_name;
    return msg;
nats:
  embedded: {listen: "127.0.0.1:%d"}
  jetstream: {enabled: false}
`, filepath.Join(t.TempDir(), "state"), httpAddr, natstest.FreePort(t)))
	stderr := &testlog.Buffer{}
	cmd := exec.Command(os.Args[0], append([]string{"run", "-c", site, "--show", "never"}, extra...)...)
	cmd.Env = append(os.Environ(), runAsEdgetag+"=1")
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var result error
	done := false
	wait = func() (string, error) {
		if !done {
			result, done = <-exited, true
		}
		return stderr.String(), result
	}
	t.Cleanup(func() {
		if !done {
			_ = cmd.Process.Kill()
			wait()
		}
	})
	natstest.WaitFor(t, 60*time.Second, func() error {
		select {
		case err := <-exited:
			result, done = err, true
			t.Fatalf("edgetag run exited: %v\n%s", err, stderr.String())
		default:
		}
		resp, err := http.Get("http://" + httpAddr + "/healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
	return cmd.Process, stderr, wait
}

// TestSighupStopOrReload sends SIGHUP to an agent told to stop on it (as
// on a terminal) and to one told to reload (as under a service manager).
func TestSighupStopOrReload(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the agent")
	}
	t.Run("stop", func(t *testing.T) {
		t.Parallel()
		p, _, wait := startAgent(t, "--sighup", "stop")
		if err := p.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		log, err := wait()
		if err != nil || !strings.Contains(log, "shutdown complete") {
			t.Fatalf("after SIGHUP: %v\n%s", err, log)
		}
	})
	t.Run("reload", func(t *testing.T) {
		t.Parallel()
		p, log, wait := startAgent(t, "--sighup", "reload")
		if err := p.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		// The agent reloads and keeps running until SIGTERM.
		natstest.WaitFor(t, 30*time.Second, func() error {
			if !strings.Contains(log.String(), "reload applied") {
				return errors.New("no reload yet")
			}
			return nil
		})
		if err := p.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		out, err := wait()
		if err != nil || !strings.Contains(out, "reload requested") || !strings.Contains(out, "shutdown complete") {
			t.Fatalf("after SIGHUP and SIGTERM: %v\n%s", err, out)
		}
	})
}
