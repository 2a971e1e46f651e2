package redact

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestURLs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"no url", "plain text", "plain text"},
		{"no credentials", "nats://127.0.0.1:4222", "nats://127.0.0.1:4222"},
		{"user and password", "nats://u:s3cret@hub:4222", "nats://REDACTED@hub:4222"},
		{"token", "tls://t0ken@hub", "tls://REDACTED@hub"},
		{"list", "nats://a:b@h1:4222,nats://c:d@h2:4222", "nats://REDACTED@h1:4222,nats://REDACTED@h2:4222"},
		{"in an error", `parse "nats-leaf://u:p@@hub:x": invalid port`, `parse "nats-leaf://REDACTED@hub:x": invalid port`},
		{"at in the path is kept", "http://host/a@b", "http://host/a@b"},
		{"password with slash cut at the slash", "nats://u:pa/ss@h", "nats://u:pa/ss@h"},
		{"two in text", "from nats://x:y@a to nats-leaf://z@b", "from nats://REDACTED@a to nats-leaf://REDACTED@b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := URLs(tt.in); got != tt.want {
				t.Errorf("URLs(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestScrubberReplacesSecretsAndURLCredentials(t *testing.T) {
	t.Parallel()
	s := NewScrubber("s3cretpw", "", "ab")
	in := `{"msg":"login s3cretpw failed","url":"nats://u:x@h","short":"ab"}`
	want := `{"msg":"login REDACTED failed","url":"nats://REDACTED@h","short":"ab"}`
	if got := s.String(in); got != want {
		t.Fatalf("String = %q, want %q", got, want)
	}
	var buf bytes.Buffer
	n, err := Writer(&buf, s).Write([]byte(in))
	if err != nil || n != len(in) || buf.String() != want {
		t.Fatalf("Write = %d, %v; wrote %q", n, err, buf.String())
	}
	if got := NewScrubber(`pa"ss\word`).String(`{"msg":"pa\"ss\\word"}`); got != `{"msg":"REDACTED"}` {
		t.Fatalf("JSON-escaped secret: %q", got)
	}
	s.Add("added-later", "s3cretpw")
	if got := s.String("s3cretpw added-later"); got != "REDACTED REDACTED" {
		t.Fatalf("after Add: %q", got)
	}
	clean := []byte("nothing here")
	if got := s.Bytes(clean); &got[0] != &clean[0] {
		t.Fatal("Bytes copied a clean slice")
	}
}

// BenchmarkScrubberLogLine scrubs a typical JSON log line (with an
// endpoint URL and no secret) with four configured secrets: the cost added
// to every line the agent logs.
func BenchmarkScrubberLogLine(b *testing.B) {
	s := NewScrubber("nats-user-pw", "opc-password", "leaf-password", "token-value")
	line := []byte(`{"level":"warn","component":"opcua","source":"press-line","endpoint":"opc.tcp://10.0.0.5:4840","error":"read i=2258: StatusBadTimeout","retry_in":"2s","time":"2026-12-03T08:23:15Z","message":"heartbeat failed; reconnecting"}` + "\n")
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		_ = s.Bytes(line)
	}
}

// TestBytesMatchesString checks Bytes, which skips lines that cannot hold a
// secret, against String on random lines built from URL and secret parts.
func TestBytesMatchesString(t *testing.T) {
	t.Parallel()
	s := NewScrubber("s3cret", `q"uote`)
	parts := []string{"nats://", "u:", "s3cret", "@", "host", ":4222", ",", "/", " ", `"`, `q\"uote`, "x", "://", "tls://t@h"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b []byte
		for range r.IntN(12) {
			b = append(b, parts[r.IntN(len(parts))]...)
		}
		if got, want := string(s.Bytes(b)), s.String(string(b)); got != want {
			t.Fatalf("Bytes(%q) = %q, String = %q", b, got, want)
		}
	}
}

// FuzzURLs checks that URLs never panics, is idempotent, and removes the
// password of any URL written around the fuzzed text.
func FuzzURLs(f *testing.F) {
	for _, s := range []string{"", "nats://u:p@h", "a://@", ":// @ ://", "x://a@b@c/d@e", "tls://t@h,nats://h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		once := URLs(text)
		if twice := URLs(once); twice != once {
			t.Fatalf("URLs is not idempotent on %q: %q then %q", text, once, twice)
		}
		const secret = "pw-fuzz-SECRET"
		framed := text + " nats://user:" + secret + "@host:4222 " + text
		if got := URLs(framed); strings.Contains(got, secret) {
			t.Fatalf("URLs(%q) = %q keeps the password", framed, got)
		}
	})
}
