package sink

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// Security of the embedded server, modelled on nats-server's own
// authorization block: users with a password (plain text or a bcrypt hash,
// as nats-server accepts) or an NKey, each with publish and subscribe
// permissions. All users are in the server's global account, where the
// stream lives.
//
// The agent connects in-process with an NKey generated at every start whose
// seed never leaves the process (nothing to log, nothing to steal from the
// site file). Its request and reply subjects start with AgentInboxPrefix,
// and every other client, authenticated or not, is denied publishing and
// subscribing there: nobody can read the agent's JetStream acks, answer its
// publishes or its API requests with a forged ack. (nats-server does not
// check a message's reply subject against permissions, so a client that
// may publish into the stream's subjects could still make the stream send
// an ack for its own message to an agent inbox: only grant that publish
// permission to trusted users; the consumer role has none.)

// AgentInboxPrefix starts the subjects of every request and reply of the
// agent's own connection (nats.CustomInboxPrefix). Other clients may
// neither publish nor subscribe below it.
const AgentInboxPrefix = "_EDGETAG_AGENT"

// Roles of an embedded server user.
const (
	// RoleConsumer may subscribe to the stream's subjects (live data),
	// read the stream and create, use and delete consumers on it (pull and
	// push, durable or not, acks included), and use its own _INBOX.>
	// replies. It may not publish into the stream's subjects nor manage
	// (create, update, purge, delete) any stream, nor touch the agent's
	// inboxes.
	RoleConsumer = "consumer"
	// RoleCustom has exactly the Permissions given (nats-server's
	// semantics: nil allows everything), except the agent's inboxes, which
	// no client may touch.
	RoleCustom = "custom"
)

// Roles lists the roles, in the order messages list them.
var Roles = []string{RoleConsumer, RoleCustom}

// User is one client identity of the embedded server: Name with Password
// (plain text or a bcrypt hash starting with $2), or NKey (a public user
// key, "U..."), never both.
type User struct {
	Name     string
	Password string
	NKey     string
	// Role is RoleConsumer (the default when "") or RoleCustom.
	Role string
	// Permissions of a RoleCustom user; must be nil for RoleConsumer.
	Permissions *Permissions
}

// Permissions are nats-server's publish and subscribe permissions.
type Permissions struct {
	Publish   SubjectRules
	Subscribe SubjectRules
}

// SubjectRules allow and deny subjects (wildcards as in subscriptions). An
// empty Allow allows every subject not denied.
type SubjectRules struct {
	Allow []string
	Deny  []string
}

// FieldError is a problem with one field of a User: Field is the site
// file key below the user ("password", "nkey", ...; "" for the user as a
// whole).
type FieldError struct {
	Field string
	Msg   string
}

// Check returns every problem of the user.
func (u User) Check() []FieldError {
	var errs []FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	switch {
	case u.Name == "" && u.NKey == "":
		add("", "set user (with password) or nkey")
	case u.Name != "" && u.NKey != "":
		add("", "user and nkey are exclusive")
	case u.Name != "" && u.Password == "":
		add("password", "required with user %q (plain text or a bcrypt hash)", u.Name)
	case u.NKey != "" && u.Password != "":
		add("password", "an nkey user signs with its seed and has no password")
	case u.NKey != "" && !nkeys.IsValidPublicUserKey(u.NKey):
		add("nkey", "%q is not a public user nkey (it starts with U; never put the seed, SU..., here)", shortKey(u.NKey))
	}
	switch u.Role {
	case "", RoleConsumer:
		if u.Permissions != nil {
			add("permissions", "apply only to role %s (role %s has fixed permissions)", RoleCustom, RoleConsumer)
		}
	case RoleCustom:
		if u.Permissions == nil {
			add("permissions", "required with role %s", RoleCustom)
		}
	default:
		add("role", "%q is not a role; use one of %s", u.Role, strings.Join(Roles, ", "))
	}
	return errs
}

// validate returns the user's problems as one error, each prefixed with
// where and its field.
func (u User) validate(where string) error {
	var errs []error
	for _, fe := range u.Check() {
		p := where
		if fe.Field != "" {
			p += "." + fe.Field
		}
		errs = append(errs, fmt.Errorf("%s: %s", p, fe.Msg))
	}
	return errors.Join(errs...)
}

// shortKey shows the start of what was written as an NKey, so a seed
// pasted by mistake is not printed whole.
func shortKey(k string) string {
	if len(k) > 8 {
		return k[:8] + "..."
	}
	return k
}

// CheckListen applies the listen policy to a listener: a loopback address
// is always allowed; any other (including every interface, ":4222" or
// "0.0.0.0:4222") needs secured unless allowInsecure is set. The error says
// what is exposed and names remedy, the way to secure it.
func CheckListen(listen, exposed, remedy string, secured, allowInsecure bool) error {
	if secured || allowInsecure || IsLoopback(listen) {
		return nil
	}
	return fmt.Errorf("%q is reachable from other machines, and %s; %s, listen on 127.0.0.1, "+
		"or set allow_insecure_listen: true to accept that", listen, exposed, remedy)
}

// Exposure and remedy of an embedded server listener without
// authentication, for CheckListen.
const (
	EmbeddedExposed = "any client there may read, publish and delete the stream"
	EmbeddedRemedy  = "configure users (or tls with a client ca)"
)

// Secured reports whether every client of the embedded server must
// authenticate: with users, or with a client certificate of the TLS CA.
func (e Embedded) Secured() bool { return len(e.Users) > 0 || e.TLS.CA != "" }

// IsLoopback reports whether the host of the host:port address listen is
// a loopback address ("localhost" or an IP in 127.0.0.0/8 or ::1). An
// empty host means every interface, and a host name other than localhost
// may resolve to anything: neither is loopback.
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		host = listen
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// nkeyIdentity is an NKey user generated in this process: the agent's
// in-process connection signs in with one; its seed is never written or
// logged.
type nkeyIdentity struct {
	kp  nkeys.KeyPair
	pub string
}

// newNKeyIdentity generates an NKey user.
func newNKeyIdentity() (nkeyIdentity, error) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		return nkeyIdentity{}, fmt.Errorf("generate an nkey: %w", err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return nkeyIdentity{}, fmt.Errorf("generate an nkey: %w", err)
	}
	return nkeyIdentity{kp: kp, pub: pub}, nil
}

// connOption signs a connection in with the NKey.
func (id nkeyIdentity) connOption() nats.Option {
	return nats.Nkey(id.pub, id.kp.Sign)
}

// applyAuth sets the users, NKeys and permissions of the embedded server:
// the agent with every permission, then the configured users; without
// configured users, an anonymous user (nats-server's no_auth_user) that
// clients without credentials become.
func applyAuth(o *server.Options, c Config, agent nkeyIdentity) error {
	o.Nkeys = []*server.NkeyUser{{Nkey: agent.pub}}
	users := c.Embedded.Users
	if len(users) == 0 {
		// The anonymous user is an NKey nobody has the seed of, so no
		// client can sign in as it except by having no credentials.
		anon, err := newNKeyIdentity()
		if err != nil {
			return err
		}
		o.Nkeys = append(o.Nkeys, &server.NkeyUser{Nkey: anon.pub, Permissions: guardAgent(nil)})
		o.NoAuthUser = anon.pub
		return nil
	}
	for _, u := range users {
		perms := guardAgent(permissionsOf(u, c))
		if u.NKey != "" {
			o.Nkeys = append(o.Nkeys, &server.NkeyUser{Nkey: u.NKey, Permissions: perms})
			continue
		}
		o.Users = append(o.Users, &server.User{Username: u.Name, Password: u.Password, Permissions: perms})
	}
	return nil
}

// permissionsOf returns the server permissions of user u: those of its
// role, or its own for RoleCustom.
func permissionsOf(u User, c Config) *server.Permissions {
	if u.Role == RoleCustom {
		p := u.Permissions
		return &server.Permissions{
			Publish:   subjectPermission(p.Publish),
			Subscribe: subjectPermission(p.Subscribe),
		}
	}
	return consumerPermissions(c)
}

func subjectPermission(r SubjectRules) *server.SubjectPermission {
	if len(r.Allow) == 0 && len(r.Deny) == 0 {
		return nil
	}
	// Copies: guardAgent appends to Deny.
	return &server.SubjectPermission{Allow: slices.Clone(r.Allow), Deny: slices.Clone(r.Deny)}
}

// guardAgent returns p with the agent's inboxes denied for publishing and
// subscribing (nil p: everything else allowed).
func guardAgent(p *server.Permissions) *server.Permissions {
	if p == nil {
		p = &server.Permissions{}
	}
	deny := AgentInboxPrefix + ".>"
	for _, sp := range []**server.SubjectPermission{&p.Publish, &p.Subscribe} {
		if *sp == nil {
			*sp = &server.SubjectPermission{}
		}
		(*sp).Deny = append((*sp).Deny, deny)
	}
	return p
}

// leafDenyImports are the subjects the embedded server refuses from its
// leafnode hub: the agent's inboxes (forged acks) and the requests that
// manage the stream (create, update, purge, delete it or delete its
// messages), bare or with the JetStream domain. The hub may still read the
// stream and create consumers on it, which is how it sources the stream.
func leafDenyImports(c Config) []string {
	deny := []string{AgentInboxPrefix + ".>"}
	apis := []string{"$JS.API"}
	if c.Embedded.Domain != "" {
		apis = append(apis, "$JS."+c.Embedded.Domain+".API")
	}
	for _, api := range apis {
		for _, op := range []string{"CREATE", "UPDATE", "PURGE", "DELETE", "MSG.DELETE"} {
			deny = append(deny, api+".STREAM."+op+"."+c.JetStream.Stream)
		}
	}
	return deny
}

// consumerPermissions are RoleConsumer's: subscribe to the stream's
// subjects and to the client's own inboxes; publish only the JetStream API
// requests that read the stream (info, names, list, a message by sequence,
// direct get) and create, read, use and delete its consumers, plus acks and
// flow control of its consumers. With a JetStream
// domain the same requests are allowed with the domain's API prefix.
func consumerPermissions(c Config) *server.Permissions {
	stream := c.JetStream.Stream
	apis := []string{"$JS.API"}
	if c.Embedded.Domain != "" {
		apis = append(apis, "$JS."+c.Embedded.Domain+".API")
	}
	var pub []string
	for _, api := range apis {
		pub = append(pub,
			api+".INFO",
			api+".STREAM.NAMES",
			api+".STREAM.LIST",
			api+".STREAM.INFO."+stream,
			api+".STREAM.MSG.GET."+stream,
			api+".DIRECT.GET."+stream,
			api+".DIRECT.GET."+stream+".>",
			api+".CONSUMER.CREATE."+stream,
			api+".CONSUMER.CREATE."+stream+".>",
			api+".CONSUMER.DURABLE.CREATE."+stream+".*",
			api+".CONSUMER.INFO."+stream+".*",
			api+".CONSUMER.NAMES."+stream,
			api+".CONSUMER.LIST."+stream,
			api+".CONSUMER.MSG.NEXT."+stream+".*",
			api+".CONSUMER.DELETE."+stream+".*",
		)
	}
	// Acks and flow control replies of the stream's consumers, in
	// nats-server's v1 format ($JS.ACK.<stream>.<consumer>...) and its
	// optional v2 format ($JS.ACK.<domain>.<account hash>.<stream>...).
	pub = append(pub,
		"$JS.ACK."+stream+".>",
		"$JS.ACK.*.*."+stream+".>",
		"$JS.FC."+stream+".>",
		"$JS.FC.*.*."+stream+".>",
	)
	sub := append([]string{"_INBOX.>"}, c.JetStream.Subjects...)
	if c.Embedded.MQTT.Listen != "" {
		sub = append(sub, mqttWildcardParents(c.JetStream.Subjects)...)
	}
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: pub},
		Subscribe: &server.SubjectPermission{Allow: sub},
	}
}
