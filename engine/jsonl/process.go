// Package jsonl runs the tag engine offline over JSON lines, the `edgetag
// process` command: one sample per input line (ParseInput), one message or
// failure per output line (Run). OPC UA status names come in through a
// StatusCodes lookup, so neither this package nor the engine depends on
// an OPC UA library.
package jsonl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/tag"
)

// MaxInputLine is the longest input line Run accepts; a longer line
// is reported as an input error and skipped.
const MaxInputLine = 64 << 20

// Summary counts what Run did.
type Summary struct {
	// Lines is the number of non-blank input lines read.
	Lines int `json:"lines"`
	// Invalid is the number of lines that could not be parsed.
	Invalid int `json:"invalid"`
	// Messages is the number of messages written to out.
	Messages int `json:"messages"`
	// Failed is the number of messages that failed in the engine (each
	// reported on errOut).
	Failed int `json:"failed"`
	// Filtered is the number of messages a stage dropped by returning null
	// or undefined.
	Filtered int `json:"filtered"`
}

// Run runs e offline over JSON lines, the `edgetag process` command: every
// non-blank line of in is parsed with ParseInput (status names looked up
// with codes), processed with e.Process, and every resulting
// message written to out as one line, in order:
//
//	{"subject":"...","payload":<the exact published JSON object>,"headers":{"key":"value",...}}
//
// Each failure is one line on errOut:
//
//	{"input":<1-based line number>,"stage":"...","reason":"...","error":"..."}
//
// with "line", "column" and "source" added when the failure points into a
// snippet; a line that cannot be parsed gets stage and reason "input".
// After the last line Run writes one summary line to errOut,
// {"summary":{"lines":..,"invalid":..,"messages":..,"failed":..,"filtered":..}},
// and returns the same counts. A sample without timestamps is stamped with
// the time it was read. Output is flushed whenever the input has no more
// buffered data, so the command works interactively too. The error is
// non-nil only when reading in or writing out fails; what the messages did
// never makes Run fail. e must not be used by others meanwhile (the
// filtered count is taken from its Stats).
func Run(e *engine.Engine, in io.Reader, out, errOut io.Writer, codes StatusCodes) (Summary, error) {
	return runProcess(e.Process, func() uint64 { return filteredTotal(e.Stats()) }, in, out, errOut, codes, time.Now)
}

// filteredTotal sums the filtered counters of all stages.
func filteredTotal(s engine.Stats) uint64 {
	var n uint64
	for _, c := range s.Filtered {
		n += c
	}
	return n
}

// processFunc is engine.Engine.Process.
type processFunc func(s *tag.Sample, dst []tag.Message, fail func(engine.Failure)) []tag.Message

// runProcess is Run with its engine and clock as parameters.
func runProcess(process processFunc, filtered func() uint64, in io.Reader, out, errOut io.Writer, codes StatusCodes, now func() time.Time) (Summary, error) {
	var sum Summary
	filteredBefore := filtered()
	br := bufio.NewReaderSize(in, 64<<10)
	bw := bufio.NewWriterSize(out, 64<<10)
	be := bufio.NewWriterSize(errOut, 4<<10)
	nodes := newNodeInterner()
	var (
		line    []byte
		buf     []byte
		msgs    []tag.Message
		lineNo  int
		readErr error
	)
	flush := func() error {
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("process: writing output: %w", err)
		}
		if err := be.Flush(); err != nil {
			return fmt.Errorf("process: writing errors: %w", err)
		}
		return nil
	}
	for readErr == nil {
		var tooLong bool
		line, tooLong, readErr = readLine(br, line[:0], MaxInputLine)
		if readErr != nil && readErr != io.EOF {
			_ = flush()
			return sum, fmt.Errorf("process: reading input line %d: %w", lineNo+1, readErr)
		}
		if readErr == io.EOF && len(line) == 0 && !tooLong {
			break
		}
		lineNo++
		if !tooLong && len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		sum.Lines++
		var s tag.Sample
		var err error
		if tooLong {
			err = fmt.Errorf("input line is longer than %d bytes", MaxInputLine)
		} else {
			s, err = ParseInput(line, codes)
		}
		if err != nil {
			sum.Invalid++
			buf = appendFailureLine(buf[:0], lineNo, engine.Failure{Stage: "input", Reason: "input", Err: err})
			if _, err := be.Write(buf); err != nil {
				return sum, fmt.Errorf("process: writing errors: %w", err)
			}
		} else {
			s.Node = nodes.intern(s.Node)
			if s.ReceivedAt.IsZero() {
				s.ReceivedAt = now()
			}
			var werr error
			msgs = process(&s, msgs[:0], func(f engine.Failure) {
				if f.Reason == engine.ReasonFiltered {
					return
				}
				sum.Failed++
				buf = appendFailureLine(buf[:0], lineNo, f)
				if _, err := be.Write(buf); err != nil && werr == nil {
					werr = err
				}
			})
			if werr != nil {
				return sum, fmt.Errorf("process: writing errors: %w", werr)
			}
			for i := range msgs {
				buf = appendMessageLine(buf[:0], &msgs[i])
				if _, err := bw.Write(buf); err != nil {
					return sum, fmt.Errorf("process: writing output: %w", err)
				}
				sum.Messages++
			}
			clear(msgs) // let the payloads go
		}
		if br.Buffered() == 0 {
			if err := flush(); err != nil {
				return sum, err
			}
		}
	}
	sum.Filtered = int(filtered() - filteredBefore)
	buf = appendSummaryLine(buf[:0], sum)
	if _, err := be.Write(buf); err != nil {
		return sum, fmt.Errorf("process: writing errors: %w", err)
	}
	return sum, flush()
}

// maxInternedNodes bounds the interner; when it is full it starts over.
const maxInternedNodes = 1 << 16

// nodeInterner gives input lines that describe the same node the same
// *tag.Node, and nodes of the same source the same *tag.SourceInfo, as a
// live source does (one Node per variable, one SourceInfo per source), so
// the engine's per-node caches work offline as they do online.
type nodeInterner struct {
	nodes map[string]*tag.Node
	srcs  map[tag.SourceInfo]*tag.SourceInfo
}

func newNodeInterner() nodeInterner {
	return nodeInterner{nodes: make(map[string]*tag.Node), srcs: make(map[tag.SourceInfo]*tag.SourceInfo)}
}

// intern returns the node already seen with n's exact description, or n
// with the SourceInfo already seen with the same fields.
func (ni nodeInterner) intern(n *tag.Node) *tag.Node {
	key := nodeKey(n)
	if old, ok := ni.nodes[key]; ok {
		return old
	}
	if len(ni.nodes) >= maxInternedNodes {
		clear(ni.nodes)
		clear(ni.srcs)
	}
	if n.Src != nil {
		if src, ok := ni.srcs[*n.Src]; ok {
			n.Src = src
		} else {
			ni.srcs[*n.Src] = n.Src
		}
	}
	ni.nodes[key] = n
	return n
}

// nodeKey is the whole description of n as one string.
func nodeKey(n *tag.Node) string {
	var b []byte
	for _, f := range [...]string{n.Source(), n.Endpoint(), n.ID, n.BrowseName, n.Name, n.Group, n.Path, n.DataType} {
		b = strconv.AppendQuote(b, f)
	}
	keys := make([]string, 0, len(n.Extra))
	for k := range n.Extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = strconv.AppendQuote(b, k)
		b = strconv.AppendQuote(b, n.Extra[k])
	}
	return string(b)
}

// readLine appends the next line of br to dst, without its line end ("\n"
// or "\r\n"). A line longer than limit bytes is consumed but not kept:
// tooLong is then true. err is io.EOF after the last line.
func readLine(br *bufio.Reader, dst []byte, limit int) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(dst)+len(chunk) > limit+2 {
				tooLong, dst = true, dst[:0]
			} else {
				dst = append(dst, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		dst = bytes.TrimSuffix(dst, []byte("\n"))
		dst = bytes.TrimSuffix(dst, []byte("\r"))
		if !tooLong && len(dst) > limit {
			tooLong, dst = true, dst[:0]
		}
		return dst, tooLong, err
	}
}

// appendMessageLine appends one output line for m.
func appendMessageLine(dst []byte, m *tag.Message) []byte {
	dst = append(dst, `{"subject":`...)
	dst = appendString(dst, m.Subject)
	dst = append(dst, `,"payload":`...)
	dst = append(dst, m.Payload...)
	dst = append(dst, `,"headers":{`...)
	first := true
	m.EachHeader(func(h tag.Header) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendString(dst, h.Key)
		dst = append(dst, ':')
		dst = appendString(dst, h.Value)
	})
	return append(dst, "}}\n"...)
}

// appendFailureLine appends one error line for a failure of input line n.
func appendFailureLine(dst []byte, n int, f engine.Failure) []byte {
	dst = append(dst, `{"input":`...)
	dst = strconv.AppendInt(dst, int64(n), 10)
	dst = append(dst, `,"stage":`...)
	dst = appendString(dst, f.Stage)
	dst = append(dst, `,"reason":`...)
	dst = appendString(dst, string(f.Reason))
	if f.Line > 0 {
		dst = append(dst, `,"line":`...)
		dst = strconv.AppendInt(dst, int64(f.Line), 10)
		dst = append(dst, `,"column":`...)
		dst = strconv.AppendInt(dst, int64(f.Column), 10)
	}
	if f.Source != "" {
		dst = append(dst, `,"source":`...)
		dst = appendString(dst, f.Source)
	}
	msg := f.Error()
	if f.Err != nil {
		msg = f.Err.Error()
	}
	dst = append(dst, `,"error":`...)
	dst = appendString(dst, msg)
	return append(dst, "}\n"...)
}

// appendSummaryLine appends the summary line.
func appendSummaryLine(dst []byte, s Summary) []byte {
	dst = append(dst, `{"summary":{"lines":`...)
	dst = strconv.AppendInt(dst, int64(s.Lines), 10)
	dst = append(dst, `,"invalid":`...)
	dst = strconv.AppendInt(dst, int64(s.Invalid), 10)
	dst = append(dst, `,"messages":`...)
	dst = strconv.AppendInt(dst, int64(s.Messages), 10)
	dst = append(dst, `,"failed":`...)
	dst = strconv.AppendInt(dst, int64(s.Failed), 10)
	dst = append(dst, `,"filtered":`...)
	dst = strconv.AppendInt(dst, int64(s.Filtered), 10)
	return append(dst, "}}\n"...)
}
