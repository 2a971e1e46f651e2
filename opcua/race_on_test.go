//go:build race

package opcua

// raceEnabled reports whether the tests run with the race detector, which
// slows the simulator process (the same test binary) several times over.
const raceEnabled = true
