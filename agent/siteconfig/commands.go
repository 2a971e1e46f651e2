package siteconfig

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"

	"github.com/edgetag/edgetag/command"
)

// The commands: block of the site file: what the command service (package
// command) may do. Absent, the service still answers status but executes
// no write, call, read or browse (fails closed).

type commandsFile struct {
	Read         *bool              `yaml:"read"`
	Browse       *bool              `yaml:"browse"`
	Timeout      *duration          `yaml:"timeout"`
	AuditSubject *string            `yaml:"audit_subject"`
	Allow        []commandAllowFile `yaml:"allow"`
	UNSSubjects  stringList         `yaml:"uns_subjects"`
	UNSContract  *string            `yaml:"uns_contract"`
}

// commandAllowFile is the allow-list of one source.
type commandAllowFile struct {
	Source    *string               `yaml:"source"`
	Write     []commandNodeFile     `yaml:"write"`
	Call      []commandMethodFile   `yaml:"call"`
	Endpoints []commandEndpointFile `yaml:"endpoints"`
}

type commandNodeFile struct {
	Node *string  `yaml:"node"`
	Path *string  `yaml:"path"`
	Min  *float64 `yaml:"min"`
	Max  *float64 `yaml:"max"`
	Rate *string  `yaml:"rate"`
}

type commandMethodFile struct {
	Object *string `yaml:"object"`
	Method *string `yaml:"method"`
}

// commandEndpointFile allows nodes for a further guarded endpoint.
type commandEndpointFile struct {
	Name *string `yaml:"name"`
	Node *string `yaml:"node"`
	Path *string `yaml:"path"`
}

// guardedEndpoints are the endpoints besides write and call that a
// commands.allow[].endpoints[] entry may name; each is added to the
// command service with command.Service.AddGuarded where it is built
// (the alarm endpoints of command.AddConditionEndpoints).
var guardedEndpoints = command.ConditionEndpoints

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// commands converts and checks the commands: block (nil when absent).
func (c *converter) commands(f *commandsFile, cfg *Config) *command.Policy {
	if f == nil {
		return nil
	}
	p := &command.Policy{Read: f.Read != nil && *f.Read, Browse: f.Browse != nil && *f.Browse,
		Timeout: command.DefaultTimeout, AuditSubject: str(f.AuditSubject), Sources: map[string]*command.SourceRules{}}
	if f.Timeout != nil {
		p.Timeout = c.positive("commands.timeout", *f.Timeout)
	}
	if p.AuditSubject != "" && !validSubject(p.AuditSubject, false) {
		c.errorf("commands.audit_subject", "%q is not a valid subject: dot-separated tokens without wildcards", p.AuditSubject)
	}
	p.UNSSubjects, p.UNSContract = f.UNSSubjects, str(f.UNSContract)
	for i, sub := range p.UNSSubjects {
		sp := fmt.Sprintf("commands.uns_subjects[%d]", i)
		if !c.written(sp) {
			sp = "commands.uns_subjects"
		}
		if !validSubject(sub, true) {
			c.errorf(sp, "%q is not a valid subject filter: dot-separated tokens, '*' for one token, '>' last", sub)
		} else if !slices.Contains(strings.Split(sub, "."), command.CommandToken) {
			c.errorf(sp, "%q has no %s token: the command subject of umh.v1.acme.line4._historian.setpoint is umh.v1.acme.line4.%s.setpoint", sub, command.CommandToken, command.CommandToken)
		}
	}
	if p.UNSContract != "" && !validSubject(p.UNSContract, false) || strings.Contains(p.UNSContract, ".") {
		c.errorf("commands.uns_contract", "%q must be one subject token such as _historian", p.UNSContract)
	}
	sources := map[string]bool{}
	for _, s := range cfg.Sources {
		sources[s.Name] = true
	}
	first := map[string]int{}
	for i, a := range f.Allow {
		ap := fmt.Sprintf("commands.allow[%d]", i)
		name := str(a.Source)
		switch {
		case name == "":
			c.errorf(ap+".source", "is required: the name of the source these rules are for")
		case !sources[name]:
			c.errorf(ap+".source", "%q is not the name of a source of this site file", name)
		}
		if j, dup := first[name]; dup && name != "" {
			c.errorf(ap+".source", "%q already has rules in commands.allow[%d]", name, j)
		}
		first[name] = i
		rules := &command.SourceRules{Guarded: map[string][]command.NodeRule{}}
		for k, w := range a.Write {
			rules.Write = append(rules.Write, c.nodeRule(fmt.Sprintf("%s.write[%d]", ap, k), w))
		}
		for k, m := range a.Call {
			mp := fmt.Sprintf("%s.call[%d]", ap, k)
			mr := command.MethodRule{Object: str(m.Object), Method: str(m.Method)}
			if mr.Method == "" {
				c.errorf(mp+".method", "is required: a glob on the method's node id")
			} else if err := command.CheckNodeGlob(mr.Method); err != nil {
				c.errorf(mp+".method", "%v", err)
			}
			if mr.Object != "" {
				if err := command.CheckNodeGlob(mr.Object); err != nil {
					c.errorf(mp+".object", "%v", err)
				}
			}
			rules.Call = append(rules.Call, mr)
		}
		for k, e := range a.Endpoints {
			ep := fmt.Sprintf("%s.endpoints[%d]", ap, k)
			en := str(e.Name)
			known := false
			for _, g := range guardedEndpoints {
				known = known || g == en
			}
			if !known {
				allowed := "none are available in this version"
				if len(guardedEndpoints) > 0 {
					allowed = fmt.Sprintf("use one of %v", guardedEndpoints)
				}
				c.errorf(ep+".name", "%q is not an endpoint that takes an allow-list (write and call have their own keys; %s)", en, allowed)
			}
			rules.Guarded[en] = append(rules.Guarded[en], c.nodeRule(ep, commandNodeFile{Node: e.Node, Path: e.Path}))
		}
		if name != "" {
			p.Sources[name] = rules
		}
	}
	return p
}

// nodeRule converts one node rule at path p.
func (c *converter) nodeRule(p string, f commandNodeFile) command.NodeRule {
	r := command.NodeRule{Node: str(f.Node), Path: str(f.Path)}
	switch {
	case r.Node == "" && r.Path == "":
		c.errorf(p, "give node (a glob on node ids) or path (a glob on tag paths)")
	case r.Node != "" && r.Path != "":
		c.errorf(p, "give node or path, not both")
	case r.Node != "":
		if err := command.CheckNodeGlob(r.Node); err != nil {
			c.errorf(p+".node", "%v", err)
		}
	default:
		if err := command.CheckPathGlob(r.Path); err != nil {
			c.errorf(p+".path", "%v", err)
		}
	}
	bound := func(k string, v *float64) *big.Rat {
		if v == nil {
			return nil
		}
		if math.IsNaN(*v) || math.IsInf(*v, 0) {
			c.errorf(p+"."+k, "must be a finite number")
			return nil
		}
		return new(big.Rat).SetFloat64(*v)
	}
	r.Min, r.Max = bound("min", f.Min), bound("max", f.Max)
	if r.Min != nil && r.Max != nil && r.Min.Cmp(r.Max) > 0 {
		c.errorf(p+".max", "%v is below min %v", *f.Max, *f.Min)
	}
	if f.Rate != nil {
		n, per, err := command.ParseRate(*f.Rate)
		if err != nil {
			c.errorf(p+".rate", "%v", err)
		}
		r.Rate, r.RatePer = n, per
	}
	return r
}
