package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/edgetag/edgetag/internal/natstest"
)

// runAsEdgetag makes the test binary act as edgetag when the tests start it
// as a subprocess (for commands that run until a signal).
const runAsEdgetag = "EDGETAG_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runAsEdgetag) == "1" {
		os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// Secret values the secret-grep test sets; none may appear in any output.
const (
	natsUserSecret = "nats-user-S3cret"
	natsURLSecret  = "nats-url-S3cret"
	opcSecret      = "opc-S3cret-pw"
	leafSecret     = "leaf-S3cret-pw"
)

var secretValues = []string{natsUserSecret, natsURLSecret, opcSecret, leafSecret}

// assertNoSecret fails if out contains any secret value.
func assertNoSecret(t *testing.T, what, out string) {
	t.Helper()
	for _, s := range secretValues {
		if strings.Contains(out, s) {
			t.Errorf("%s prints the secret %q:\n%s", what, s, out)
		}
	}
}

// secretEnv sets the secrets as the environment variables the site files
// below refer to.
func secretEnv(t *testing.T) {
	t.Setenv("OPC_PASS", opcSecret)
	t.Setenv("NATS_USER_PASS", natsUserSecret)
	t.Setenv("NATS_URL_PASS", natsURLSecret)
	t.Setenv("LEAF_PASS", leafSecret)
}

// TestNoSecretInAnyOutput sets a NATS user password, an OPC UA password and
// a leafnode URL with credentials, and greps every output for them: browse
// -h, check with errors, the agent's log at debug level from start to
// shutdown (with the leafnode failing to connect, and OPC UA signing in),
// /metrics and /readyz.
func TestNoSecretInAnyOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the agent")
	}
	secretEnv(t)

	t.Run("browse -h", func(t *testing.T) {
		code, out, errOut := run(t, "browse", "-h")
		if code != exitOK || !strings.Contains(errOut, "-password") {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		assertNoSecret(t, "browse -h", out+errOut)
	})

	t.Run("check with errors", func(t *testing.T) {
		bad := writeFile(t, "bad.yaml", `site: secrets
sources:
  - name: plc
    endpoint: opc.tcp://127.0.0.1:4840
    auth: {username: op, password: "${OPC_PASS}"}
    nodes: [{id: "ns=2;s=Line1"}]
nats:
  url: "nats://edge:${NATS_URL_PASS}@hub.example:99999"
  embedded:
    leafnode: {url: "nats-leaf://site:${LEAF_PASS}@hub.example:notaport"}
`)
		code, out, errOut := run(t, "check", "-c", bad)
		if code != exitInvalidSite || !strings.Contains(errOut, "nats.url") || !strings.Contains(errOut, "REDACTED@hub.example") {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		assertNoSecret(t, "check", out+errOut)
	})

	t.Run("run at debug level, /metrics and /readyz", func(t *testing.T) {
		dir := t.TempDir()
		httpAddr := fmt.Sprintf("127.0.0.1:%d", natstest.FreePort(t))
		simPort := natstest.FreePort(t)
		site := writeFile(t, "site.yaml", fmt.Sprintf(`site: secrets
state_dir: %s
log: {level: debug, format: json}
http: {listen: "%s"}
simulator:
  listen: 127.0.0.1:%d
  username: operator
  password: "${OPC_PASS}"
sources:
  - name: sim
    endpoint: opc.tcp://127.0.0.1:%d
    auth: {username: operator, password: "${OPC_PASS}"}
    trust: {accept_any: true}
    nodes: [{id: "nsu=urn:edgetag:sim;s=Plant"}]
tag_processor:
  defaults: |
    msg.meta.location_path = "acme.secrets";
    msg.meta.data_contract = "_raw";
    msg.meta.tag_name = msg.meta.opcua_tag_name;
    return msg;
nats:
  embedded:
    listen: 127.0.0.1:%d
    users:
      - {user: historian, password: "${NATS_USER_PASS}"}
    leafnode: {url: "nats-leaf://site:${LEAF_PASS}@127.0.0.1:%d"}
`, filepath.Join(dir, "state"), httpAddr, simPort, simPort, natstest.FreePort(t), natstest.FreePort(t)))

		var stdout, stderr bytes.Buffer
		cmd := exec.Command(os.Args[0], "run", "-c", site, "--show", "never")
		cmd.Env = append(os.Environ(), runAsEdgetag+"=1")
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		stopped := false
		t.Cleanup(func() {
			if !stopped {
				_ = cmd.Process.Kill()
				<-exited
			}
		})

		var metrics, ready string
		natstest.WaitFor(t, 60*time.Second, func() error {
			select {
			case err := <-exited:
				stopped = true
				t.Fatalf("edgetag run exited: %v\n%s", err, stderr.String())
			default:
			}
			body, code, err := get("http://" + httpAddr + "/readyz")
			if err != nil {
				return err
			}
			if code != http.StatusOK {
				return fmt.Errorf("/readyz %d: %s", code, body)
			}
			ready = body
			m, _, err := get("http://" + httpAddr + "/metrics")
			if err != nil {
				return err
			}
			if !strings.Contains(m, "edgetag_nats_published_total") || strings.Contains(m, "edgetag_nats_published_total{site=\"secrets\"} 0\n") {
				return errors.New("nothing published yet")
			}
			metrics = m
			return nil
		})
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		err := <-exited
		stopped = true
		if err != nil {
			t.Fatalf("edgetag run: %v\n%s", err, stderr.String())
		}
		log := stderr.String()
		for _, want := range []string{`"level":"debug"`, "embedded nats-server started", "leafnode", "REDACTED", "shutdown complete",
			`"key":"sources[0].trust.accept_any"`, `"key":"nats.embedded.users[0].password"`} {
			if !strings.Contains(log, want) {
				t.Errorf("the log lacks %q:\n%s", want, log)
			}
		}
		assertNoSecret(t, "run's log", log+stdout.String())
		assertNoSecret(t, "/metrics", metrics)
		assertNoSecret(t, "/readyz", ready)
	})
}

// get returns the body and status of a GET.
func get(url string) (string, int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode, err
}

// TestSubSignsInAsAUser runs sub against a server that requires a user,
// with the password in $NATS_PASSWORD (never a flag).
func TestSubSignsInAsAUser(t *testing.T) {
	t.Setenv("NATS_PASSWORD", "reader-pw")
	srv := natstest.Start(t, func(o *server.Options) { o.Username, o.Password = "reader", "reader-pw" })
	nc := natstest.Connect(t, srv, nats.UserInfo("reader", "reader-pw"))
	done := make(chan struct{})
	var code int
	var out, errOut bytes.Buffer
	go func() {
		defer close(done)
		code = dispatch([]string{"sub", "--server", srv.ClientURL(), "--user", "reader", "--count", "1", "umh.v1.>"}, &out, &errOut)
	}()
	natstest.WaitFor(t, 10*time.Second, func() error {
		select {
		case <-done:
			return nil
		default:
		}
		if err := nc.Publish("umh.v1.a._raw.t", []byte(`{"value":1,"timestamp_ms":2}`)); err != nil {
			return err
		}
		_ = nc.Flush()
		return os.ErrDeadlineExceeded
	})
	<-done
	if code != exitOK || out.String() != "umh.v1.a._raw.t {\"value\":1,\"timestamp_ms\":2}\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	if strings.Contains(errOut.String(), "reader-pw") {
		t.Fatalf("sub printed the password: %s", errOut.String())
	}
}
