// Package agent runs a site: from a validated siteconfig.Config it builds
// the OPC UA sources, the tag engine and the NATS sink, runs them under one
// errgroup, serves metrics, health and status, applies reloads, and shuts
// down in order (stop intake, drain the engine, flush the sink, close
// sessions). Reading and checking the site file is package siteconfig's
// work.
package agent
