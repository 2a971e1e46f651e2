// Package statuspage serves the agent's status page: static files embedded
// in the binary (plain HTML, CSS and JavaScript, no build step, nothing
// fetched from the network), a bounded table of the latest value per
// subject, and server-sent events that push its changes to the open pages
// at a bounded rate.
//
// What the page shows besides live values (sources, engine failures, NATS)
// comes from the agent as JSON on /api/status; this package knows nothing
// of OPC UA or NATS.
package statuspage
