package sink

import (
	"strconv"
	"strings"
	"testing"
)

// TestValidHeaderKey has a row for every byte nats.go refuses in a header
// key, so the rule that check and the sink share cannot drift from it.
func TestValidHeaderKey(t *testing.T) {
	rows := []struct {
		name string
		key  string
		want bool
	}{
		{"plain", "opcua_status_code", true},
		{"dots and dashes", "x-unit.v1", true},
		{"tilde and bang", "a~b!c", true},
		{"empty", "", false},
		{"space", "a b", false},
		{"tab", "a\tb", false},
		{"delete", "a\x7fb", false},
		{"non-ascii", "temp°", false},
	}
	for _, c := range `"()/,:;<=>?@[\]{}` {
		rows = append(rows, struct {
			name string
			key  string
			want bool
		}{"refused " + string(c), "unit" + string(c) + "C", false})
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			if got := ValidHeaderKey(r.key); got != r.want {
				t.Errorf("ValidHeaderKey(%q) = %v, want %v", r.key, got, r.want)
			}
			if r.want {
				return
			}
			// What the sink would do with such a key: refuse it when
			// encoding, naming the key.
			if err := refusedKey(r.key); !strings.Contains(err.Error(), strconv.Quote(r.key)) {
				t.Errorf("refusal %q does not name the key", err)
			}
		})
	}
}
