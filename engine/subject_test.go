package engine

import (
	"errors"
	"strings"
	"testing"
)

func TestAppendSubject(t *testing.T) {
	t.Parallel()
	type in struct{ prefix, location, contract, virtualPath, tagName string }
	base := in{"umh.v1", "enterprise.site.area.line", "_historian", "", "temp_1"}
	with := func(f func(*in)) in { v := base; f(&v); return v }
	tests := []struct {
		name    string
		in      in
		want    string
		field   string // for errors: the field named
		problem string // for errors: part of the message
	}{
		{name: "minimal", in: base, want: "umh.v1.enterprise.site.area.line._historian.temp_1"},
		{name: "single token prefix and location", in: with(func(v *in) { v.prefix, v.location = "uns", "acme" }), want: "uns.acme._historian.temp_1"},
		{name: "virtual path", in: with(func(v *in) { v.virtualPath = "axis.x" }), want: "umh.v1.enterprise.site.area.line._historian.axis.x.temp_1"},
		{name: "virtual path token may start with _", in: with(func(v *in) { v.virtualPath = "_raw" }), want: "umh.v1.enterprise.site.area.line._historian._raw.temp_1"},
		{name: "empty virtual path left out", in: with(func(v *in) { v.virtualPath = "" }), want: "umh.v1.enterprise.site.area.line._historian.temp_1"},
		{name: "blank virtual path left out", in: with(func(v *in) { v.virtualPath = " \t" }), want: "umh.v1.enterprise.site.area.line._historian.temp_1"},
		{name: "null virtual path left out", in: with(func(v *in) { v.virtualPath = "null" }), want: "umh.v1.enterprise.site.area.line._historian.temp_1"},
		{name: "undefined virtual path left out", in: with(func(v *in) { v.virtualPath = "undefined" }), want: "umh.v1.enterprise.site.area.line._historian.temp_1"},
		{name: "<nil> virtual path left out", in: with(func(v *in) { v.virtualPath = "<nil>" }), want: "umh.v1.enterprise.site.area.line._historian.temp_1"},
		{name: "dotted tag name", in: with(func(v *in) { v.tagName = "axis.x.pos" }), want: "umh.v1.enterprise.site.area.line._historian.axis.x.pos"},
		{name: "dashes and digits", in: with(func(v *in) { v.location, v.tagName = "plant-1.line-2", "Temp-01" }), want: "umh.v1.plant-1.line-2._historian.Temp-01"},
		{name: "tag name token may start with _", in: with(func(v *in) { v.tagName = "_x" }), want: "umh.v1.enterprise.site.area.line._historian._x"},

		{name: "double dot in location", in: with(func(v *in) { v.location = "a..b" }), field: "location_path", problem: `empty token`},
		{name: "trailing dot in location", in: with(func(v *in) { v.location = "a.b." }), field: "location_path", problem: "trailing dot"},
		{name: "leading dot in location", in: with(func(v *in) { v.location = ".a" }), field: "location_path", problem: "leading dot"},
		{name: "Werk Köln", in: with(func(v *in) { v.location = "acme.Werk Köln" }), field: "location_path", problem: `token "Werk Köln" contains ' ' (U+0020)`},
		{name: "umlaut", in: with(func(v *in) { v.location = "acme.Köln" }), field: "location_path", problem: `token "Köln" contains 'ö' (U+00F6)`},
		{name: "invalid utf8", in: with(func(v *in) { v.tagName = "a\xff" }), field: "tag_name", problem: "invalid UTF-8"},
		{name: "wildcard", in: with(func(v *in) { v.tagName = "*" }), field: "tag_name", problem: `contains '*'`},
		{name: "location token starts with _", in: with(func(v *in) { v.location = "acme._berlin" }), field: "location_path", problem: `token "_berlin" starts with '_'`},
		{name: "prefix token starts with _", in: with(func(v *in) { v.prefix = "_umh" }), field: "subject_prefix", problem: "starts with '_'"},
		{name: "prefix with space", in: with(func(v *in) { v.prefix = "umh v1" }), field: "subject_prefix", problem: "contains ' '"},
		{name: "empty prefix", in: with(func(v *in) { v.prefix = "" }), field: "subject_prefix", problem: "empty"},
		{name: "contract without _", in: with(func(v *in) { v.contract = "historian" }), field: "data_contract", problem: "must start with '_'"},
		{name: "contract only _", in: with(func(v *in) { v.contract = "_" }), field: "data_contract", problem: "after '_'"},
		{name: "contract with dot", in: with(func(v *in) { v.contract = "_a.b" }), field: "data_contract", problem: "single token"},
		{name: "contract with space", in: with(func(v *in) { v.contract = "_his torian" }), field: "data_contract", problem: "contains ' '"},
		{name: "virtual path double dot", in: with(func(v *in) { v.virtualPath = "a..b" }), field: "virtual_path", problem: "empty token"},
		{name: "virtual path trailing dot", in: with(func(v *in) { v.virtualPath = "a." }), field: "virtual_path", problem: "trailing dot"},
		{name: "dotted tag name with double dot", in: with(func(v *in) { v.tagName = "a..b" }), field: "tag_name", problem: "empty token"},
		{name: "tag name trailing dot", in: with(func(v *in) { v.tagName = "a." }), field: "tag_name", problem: "trailing dot"},
		{name: "tag name with greater-than", in: with(func(v *in) { v.tagName = "a>" }), field: "tag_name", problem: `contains '>'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := appendSubject([]byte("x"), tt.in.prefix, tt.in.location, tt.in.contract, tt.in.virtualPath, tt.in.tagName)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				if string(got[1:]) != tt.want {
					t.Errorf("got %q, want %q", got[1:], tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("got %q, want an error", got)
			}
			var se *SubjectError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SubjectError", err)
			}
			if se.Field != tt.field {
				t.Errorf("field %q, want %q (error %v)", se.Field, tt.field, err)
			}
			if !strings.Contains(err.Error(), tt.problem) || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %q, want it to name %q and contain %q", err, tt.field, tt.problem)
			}
			if string(got) != "x" {
				t.Errorf("on error dst = %q, want it unchanged", got)
			}
		})
	}
}

func TestValidateSubjectPrefix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prefix string
		ok     bool
	}{
		{"umh.v1", true},
		{"plant-7.uns.v2", true},
		{"uns", true},
		{"", false},
		{"umh..v1", false},
		{"umh.v1.", false},
		{"_umh", false},
		{"umh.*", false},
		{"umh v1", false},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			t.Parallel()
			err := ValidateSubjectPrefix(tt.prefix)
			if (err == nil) != tt.ok {
				t.Errorf("ValidateSubjectPrefix(%q) = %v, want ok %v", tt.prefix, err, tt.ok)
			}
			var se *SubjectError
			if err != nil && (!errors.As(err, &se) || se.Field != "subject_prefix") {
				t.Errorf("error %v does not name subject_prefix", err)
			}
		})
	}
}
