// Package agent owns the site file (strict YAML, ${ENV} expansion, validation
// with locations) and the lifecycle: it builds the OPC UA sources, the tag
// engine and the NATS sink, runs them under one errgroup, serves metrics and
// health, reloads, and shuts down in order (stop intake, drain the engine,
// flush the sink, close sessions).
package agent
