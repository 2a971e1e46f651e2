package siteconfig

import _ "embed"

// Reference is the annotated reference site file: every key with its
// default and what it does. `edgetag config` prints it, and a test parses
// it, so it stays valid.
//
//go:embed reference.yaml
var Reference []byte
