package opcua

import (
	"errors"
	"strings"
	"testing"

	"github.com/gopcua/opcua/ua"
)

func TestParseNodeID(t *testing.T) {
	t.Parallel()
	nsa := []string{"http://opcfoundation.org/UA/", "urn:edgetag:sim", "urn:acme:plc"}
	tests := []struct {
		name    string
		in      string
		ns      []string
		want    string // standard form of the parsed id
		wantErr error
		errHas  string
	}{
		{name: "numeric ns0", in: "i=85", want: "i=85"},
		{name: "numeric large", in: "i=4294967295", want: "i=4294967295"},
		{name: "numeric ns2", in: "ns=2;i=70000", want: "ns=2;i=70000"},
		{name: "numeric ns300", in: "ns=300;i=5", want: "ns=300;i=5"},
		{name: "string", in: "ns=2;s=Line1.Temp", want: "ns=2;s=Line1.Temp"},
		{name: "string ns0", in: "s=Foo", want: "s=Foo"},
		{name: "string with semicolon", in: "ns=3;s=\"DB1\".\"a;b=c\"", want: "ns=3;s=\"DB1\".\"a;b=c\""},
		{name: "string ns0 with semicolon", in: "s=a;b", want: "s=a;b"},
		{name: "white space trimmed", in: "  ns=2;s=X \n", want: "ns=2;s=X"},
		{name: "guid", in: "ns=1;g=72962b91-fa75-4ae6-8d28-b404dc7daf63", want: "ns=1;g=72962B91-FA75-4AE6-8D28-B404DC7DAF63"},
		{name: "opaque", in: "ns=2;b=AQID", want: "ns=2;b=AQID"},
		{name: "nsu", in: "nsu=urn:acme:plc;s=Motor.Speed", ns: nsa, want: "ns=2;s=Motor.Speed"},
		{name: "nsu numeric", in: "nsu=urn:edgetag:sim;i=1001", ns: nsa, want: "ns=1;i=1001"},
		{name: "nsu ns0 uri", in: "nsu=http://opcfoundation.org/UA/;i=2258", ns: nsa, want: "i=2258"},

		{name: "empty", in: "", wantErr: ErrInvalidNodeID, errHas: "empty"},
		{name: "blank", in: "  ", wantErr: ErrInvalidNodeID, errHas: "empty"},
		{name: "no type prefix", in: "ns=2;Foo", wantErr: ErrInvalidNodeID, errHas: "identifier must start"},
		{name: "bare", in: "Foo", wantErr: ErrInvalidNodeID, errHas: "identifier must start"},
		{name: "unknown type", in: "ns=2;x=1", wantErr: ErrInvalidNodeID, errHas: "identifier must start"},
		{name: "bad ns", in: "ns=abc;i=1", wantErr: ErrInvalidNodeID, errHas: "namespace index"},
		{name: "ns too big", in: "ns=65536;i=1", wantErr: ErrInvalidNodeID, errHas: "namespace index"},
		{name: "ns missing id", in: "ns=2", wantErr: ErrInvalidNodeID, errHas: "missing ';'"},
		{name: "numeric not number", in: "i=abc", wantErr: ErrInvalidNodeID, errHas: "numeric identifier"},
		{name: "numeric negative", in: "i=-1", wantErr: ErrInvalidNodeID, errHas: "numeric identifier"},
		{name: "numeric too big", in: "i=4294967296", wantErr: ErrInvalidNodeID, errHas: "numeric identifier"},
		{name: "empty string id", in: "ns=2;s=", wantErr: ErrInvalidNodeID, errHas: "empty string"},
		{name: "bad guid", in: "g=1234", wantErr: ErrInvalidNodeID, errHas: "guid"},
		{name: "bad opaque", in: "b=!!", wantErr: ErrInvalidNodeID, errHas: "base64"},
		{name: "server index", in: "svr=1;i=5", wantErr: ErrInvalidNodeID, errHas: "svr="},
		{name: "nsu unknown", in: "nsu=urn:other;s=X", ns: nsa, wantErr: ErrUnknownNamespace, errHas: "urn:other"},
		{name: "nsu without array", in: "nsu=urn:acme:plc;s=X", wantErr: ErrUnknownNamespace, errHas: "namespace array"},
		{name: "nsu empty uri", in: "nsu=;s=X", ns: nsa, wantErr: ErrInvalidNodeID, errHas: "empty namespace uri"},
		{name: "nsu no identifier", in: "nsu=urn:acme:plc", ns: nsa, wantErr: ErrInvalidNodeID, errHas: "missing ';'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseNodeID(tt.in, tt.ns)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ParseNodeID(%q) error = %v, want %v", tt.in, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.errHas) || !strings.Contains(err.Error(), strings.TrimSpace(tt.in)) {
					t.Fatalf("ParseNodeID(%q) error %q should name the id and contain %q", tt.in, err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseNodeID(%q): %v", tt.in, err)
			}
			if s := FormatNodeID(got); s != tt.want {
				t.Fatalf("ParseNodeID(%q) = %s, want %s", tt.in, s, tt.want)
			}
			// The id must also encode for the wire (no stray URI flag).
			if _, err := got.Encode(); err != nil {
				t.Fatalf("encode %s: %v", tt.want, err)
			}
			if got.URIFlag() || got.IndexFlag() {
				t.Fatalf("ParseNodeID(%q) left expanded flags set", tt.in)
			}
		})
	}
}

func TestParseNodeIDMatchesGopcua(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"i=85", "i=255", "i=256", "ns=1;i=65535", "ns=1;i=65536", "ns=256;i=1", "ns=2;s=Foo", "ns=2;b=AQID"} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			ours, err := ParseNodeID(in, nil)
			if err != nil {
				t.Fatal(err)
			}
			theirs, err := ua.ParseNodeID(in)
			if err != nil {
				t.Fatal(err)
			}
			if ours.String() != theirs.String() {
				t.Fatalf("ours %s, gopcua %s", ours, theirs)
			}
		})
	}
}

func TestFormatExpandedNodeID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   *ua.ExpandedNodeID
		want string
	}{
		{name: "plain", in: ua.NewExpandedNodeID(ua.NewStringNodeID(2, "X"), "", 0), want: "ns=2;s=X"},
		{name: "uri", in: &ua.ExpandedNodeID{NodeID: ua.NewStringNodeID(2, "X;Y"), NamespaceURI: "urn:a"}, want: "nsu=urn:a;s=X;Y"},
		{name: "uri ns0", in: &ua.ExpandedNodeID{NodeID: ua.NewNumericNodeID(0, 5), NamespaceURI: "urn:a"}, want: "nsu=urn:a;i=5"},
		{name: "server", in: &ua.ExpandedNodeID{NodeID: ua.NewNumericNodeID(1, 5), ServerIndex: 3}, want: "svr=3;ns=1;i=5"},
		{name: "nil", in: nil, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := formatExpandedNodeID(tt.in); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzParseNodeID(f *testing.F) {
	for _, s := range []string{"i=85", "ns=2;s=Line1.Temp", "nsu=urn:edgetag:sim;s=X", "g=72962B91-FA75-4AE6-8D28-B404DC7DAF63", "b=AQID", "ns=2;Foo", "ns=;i=", "svr=1;i=1", "s=a;b"} {
		f.Add(s)
	}
	nsa := []string{"http://opcfoundation.org/UA/", "urn:edgetag:sim"}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseNodeID(s, nsa)
		if err != nil {
			if !errors.Is(err, ErrInvalidNodeID) && !errors.Is(err, ErrUnknownNamespace) {
				t.Fatalf("ParseNodeID(%q) error %v wraps no sentinel", s, err)
			}
			return
		}
		// A parsed id round-trips through its standard form.
		str := FormatNodeID(id)
		again, err := ParseNodeID(str, nsa)
		if err != nil {
			t.Fatalf("ParseNodeID(%q) = %s which does not parse: %v", s, str, err)
		}
		if FormatNodeID(again) != str {
			t.Fatalf("round trip %q: %s != %s", s, FormatNodeID(again), str)
		}
		if _, err := id.Encode(); err != nil {
			t.Fatalf("encode %s: %v", str, err)
		}
	})
}
