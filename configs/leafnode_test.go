package configs

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/edgetag/edgetag/internal/natstest"
)

// TestLeafnodeHubStreamIsAccepted takes the hub's stream definition from
// the comment of leafnode-uplink.yaml, as a reader would copy it, and
// creates the stream with it on a real JetStream server, as
// `nats stream add --config` does.
func TestLeafnodeHubStreamIsAccepted(t *testing.T) {
	data, err := os.ReadFile("leafnode-uplink.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var def strings.Builder
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		body := strings.TrimPrefix(strings.TrimPrefix(line, "#"), "   ")
		switch {
		case strings.Contains(line, "cat > uns.json <<'EOF'"):
			in = true
		case in && strings.TrimSpace(body) == "EOF":
			in = false
		case in:
			def.WriteString(body + "\n")
		}
	}
	var cfg struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal([]byte(def.String()), &cfg); err != nil || cfg.Name == "" {
		t.Fatalf("the stream definition in the comment is not JSON with a name: %v\n%s", err, def.String())
	}
	srv := natstest.Start(t, func(o *server.Options) { o.JetStream = true; o.StoreDir = t.TempDir() })
	nc := natstest.Connect(t, srv)
	resp, err := nc.Request("$JS.API.STREAM.CREATE."+cfg.Name, []byte(def.String()), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Error *struct {
			Description string `json:"description"`
		} `json:"error"`
	}
	if err := json.Unmarshal(resp.Data, &r); err != nil || r.Error != nil {
		t.Fatalf("stream create: %s", resp.Data)
	}
}
