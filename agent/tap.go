package agent

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/edgetag/edgetag/tag"
)

// tap writes a rate-limited live view of published messages
// ("subject → value") for a person watching the terminal. Messages beyond
// the rate are not shown (they are still published); a line says how many
// were skipped.
type tap struct {
	w    io.Writer
	rate int

	mu      sync.Mutex // guards the fields below
	window  time.Time
	shown   int
	skipped int
}

func newTap(w io.Writer, rate int) *tap {
	if rate <= 0 {
		rate = 5
	}
	return &tap{w: w, rate: rate}
}

func (t *tap) show(m *tag.Message) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Sub(t.window) >= time.Second {
		if t.skipped > 0 {
			// The window ends at the first message after it, so it may
			// have lasted longer than a second: say how long.
			fmt.Fprintf(t.w, "  … %d more published in the last %.1fs, not shown\n", t.skipped, now.Sub(t.window).Seconds())
		}
		t.window, t.shown, t.skipped = now, 0, 0
	}
	if t.shown >= t.rate {
		t.skipped++
		return
	}
	t.shown++
	fmt.Fprintf(t.w, "%s → %s\n", m.Subject, payloadValue(m.Payload))
}

// payloadValue extracts the raw "value" of {"value":...,"timestamp_ms":...}
// without decoding it, for display.
func payloadValue(p []byte) []byte {
	const key = `{"value":`
	if !bytes.HasPrefix(p, []byte(key)) {
		return p
	}
	v := p[len(key):]
	if i := bytes.LastIndex(v, []byte(`,"timestamp_ms":`)); i >= 0 {
		return v[:i]
	}
	return v
}
