// Package configs holds the example site files. Demo is the built-in demo
// site that `edgetag run` uses when no site file is given.
package configs

import _ "embed"

// Demo is configs/demo.yaml.
//
//go:embed demo.yaml
var Demo []byte
