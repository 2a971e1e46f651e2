package siteconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Preflight is every check `edgetag run` makes before it starts anything,
// and all that `edgetag check` makes: CheckReport's problems (syntax,
// validation, JavaScript compilation) plus, for a valid file, the files it
// refers to (FileProblems). Run and check both call it, so they report the
// same problems for the same file. Config is set only when there is no
// problem.
func Preflight(path string, lookupEnv func(string) (string, bool)) CheckResult {
	r := CheckReport(path, lookupEnv)
	if len(r.Problems) == 0 && r.Config != nil {
		r.Problems = r.Config.FileProblems()
	}
	if len(r.Problems) > 0 {
		r.Config = nil
	}
	return r
}

// referencedFile is one file a site file names: its key path and value.
type referencedFile struct{ path, file string }

// referencedFiles lists every file cfg names that run reads at start:
// certificates, keys, CAs, credentials and NKey seeds. Files under
// state_dir that the agent creates itself are not listed.
func (c *Config) referencedFiles() []referencedFile {
	var out []referencedFile
	add := func(path, file string) {
		if file != "" {
			out = append(out, referencedFile{path, file})
		}
	}
	add("http.tls.cert", c.HTTPTLS.Cert)
	add("http.tls.key", c.HTTPTLS.Key)
	add("http.tls.ca", c.HTTPTLS.CA)
	for i, s := range c.Sources {
		add(fmt.Sprintf("sources[%d].auth.certificate", i), s.Auth.Certificate)
		add(fmt.Sprintf("sources[%d].auth.key", i), s.Auth.Key)
	}
	n := c.NATS
	add("nats.credentials", n.Auth.CredentialsFile)
	add("nats.nkey", n.Auth.NKeySeedFile)
	add("nats.tls.ca", n.TLS.CA)
	add("nats.tls.cert", n.TLS.Cert)
	add("nats.tls.key", n.TLS.Key)
	e := n.Embedded
	add("nats.embedded.tls.cert", e.TLS.Cert)
	add("nats.embedded.tls.key", e.TLS.Key)
	add("nats.embedded.tls.ca", e.TLS.CA)
	l := e.Leafnode
	add("nats.embedded.leafnode.credentials", l.Auth.CredentialsFile)
	add("nats.embedded.leafnode.tls.ca", l.TLS.CA)
	add("nats.embedded.leafnode.tls.cert", l.TLS.Cert)
	add("nats.embedded.leafnode.tls.key", l.TLS.Key)
	return out
}

// FileProblems returns a *Error for every file the config names
// (certificates, keys, CAs, credentials, NKey seeds) that does not exist,
// is a directory or cannot be opened for reading by this process, located
// at its key in the site file. Relative paths are taken from the working
// directory, as run takes them.
func (c *Config) FileProblems() []error {
	var root *yaml.Node
	if c.File != "" {
		if data, err := os.ReadFile(c.File); err == nil {
			var doc yaml.Node
			if yaml.Unmarshal(data, &doc) == nil && len(doc.Content) > 0 {
				root = doc.Content[0]
			}
		}
	}
	var errs Errors
	for _, rf := range c.referencedFiles() {
		err := readable(rf.file)
		if err == nil {
			continue
		}
		ce := &Error{File: c.File, Path: rf.path, Err: err,
			Msg: fmt.Sprintf("file %q cannot be read: %v", rf.file, err)}
		if n := nodeAt(root, rf.path); n != nil {
			ce.Line, ce.Column = n.Line, n.Column
		}
		errs = append(errs, ce)
	}
	sortErrors(errs)
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return out
}

// readable opens file for reading and reports why it cannot be used.
func readable(file string) error {
	f, err := os.Open(file)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return pe.Err
		}
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return errors.New("is a directory")
	}
	return nil
}

// nodeAt finds the value at a key path such as "sources[1].auth.key" below
// a mapping node; nil when it is not there (e.g. set by a default).
func nodeAt(n *yaml.Node, path string) *yaml.Node {
	for _, part := range strings.Split(path, ".") {
		key, idx := part, -1
		if i := strings.IndexByte(part, '['); i >= 0 && strings.HasSuffix(part, "]") {
			key = part[:i]
			v, err := strconv.Atoi(part[i+1 : len(part)-1])
			if err != nil {
				return nil
			}
			idx = v
		}
		n = mapValue(n, key)
		if idx >= 0 {
			if n == nil || n.Kind != yaml.SequenceNode || idx >= len(n.Content) {
				return nil
			}
			n = n.Content[idx]
		}
	}
	return n
}

// mapValue returns the value of key in the mapping n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
