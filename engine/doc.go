// Package engine is the JavaScript tag engine: it compiles the site's
// tag_processor snippets once, runs them on a bounded pool of goja runtimes
// and turns one tag.Sample into zero or more tag.Messages (subject, payload,
// headers). Failures are per message: a throwing, slow or malformed message
// is dropped, counted by stage and reason, and reported; the others go on.
package engine
