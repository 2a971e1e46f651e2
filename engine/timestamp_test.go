package engine

import "testing"

func TestParseTimestampMs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		want   int64
		wantOK bool
	}{
		{"1700000000123", 1700000000123, true},
		{"0", 0, true},
		{"-5", -5, true},
		{"+5", 5, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"1700000000123.9", 1700000000123, true},
		{"-1.9", -1, true},
		{"2024-01-02T03:04:05.123456+02:00", 1704157445123, true},
		{"2024-01-02T01:04:05.1239Z", 1704157445123, true},
		{"2024-01-02T01:04:05Z", 1704157445000, true},
		{"2024-01-02T01:04:05.999999999-00:30", 1704159245999, true},
		{"1969-12-31T23:59:59.9995Z", -1, true},
		{"", 0, false},
		{"abc", 0, false},
		{"12abc", 0, false},
		{" 12", 0, false},
		{"1_000", 0, false},
		{"1e3", 0, false},
		{"1.", 0, false},
		{"1.2.3", 0, false},
		{"-", 0, false},
		{"9223372036854775808", 0, false},
		{"2024-01-02T03:04:05", 0, false},
		{"2024-01-02 03:04:05Z", 0, false},
		{"2024-13-02T03:04:05Z", 0, false},
		{"NaN", 0, false},
		{"Infinity", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, ok := parseTimestampMs(tt.in)
			if ok != tt.wantOK || got != tt.want {
				t.Errorf("parseTimestampMs(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
