package sink

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"github.com/edgetag/edgetag/internal/natstest"
)

// TestExternalAuth connects to servers that require each supported way of
// authenticating, and publishes once through each.
func TestExternalAuth(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pki := newTestPKI(t, dir)

	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	seed, err := kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	seedFile := filepath.Join(dir, "user.nk")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		server func(o *server.Options)
		auth   Auth
		tls    TLS
	}{
		{name: "token", server: func(o *server.Options) { o.Authorization = "s3cret" }, auth: Auth{Token: "s3cret"}},
		{name: "user and password", server: func(o *server.Options) { o.Username, o.Password = "edge", "tag" },
			auth: Auth{User: "edge", Password: "tag"}},
		{name: "nkey seed file", server: func(o *server.Options) { o.Nkeys = []*server.NkeyUser{{Nkey: pub}} },
			auth: Auth{NKeySeedFile: seedFile}},
		{name: "tls with a client certificate", server: func(o *server.Options) {
			o.TLSConfig = pki.serverTLS
			o.TLSVerify = true
			o.TLS = true
		}, tls: TLS{CA: pki.caFile, Cert: pki.clientCert, Key: pki.clientKey}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := natstest.Start(t, func(o *server.Options) { o.JetStream = false }, tt.server)
			s := startSink(t, Config{Name: "test", URL: srv.ClientURL(), Auth: tt.auth, TLS: tt.tls})
			natstest.WaitFor(t, waitTimeout, func() error {
				if !s.Ready() {
					return errors.New("sink not ready")
				}
				return nil
			})
			ctx := context.Background()
			if err := s.Publish(ctx, testMessage(1)); err != nil {
				t.Fatalf("publish: %v", err)
			}
			if err := s.Flush(ctx); err != nil {
				t.Fatalf("flush: %v", err)
			}
		})
	}
}

// testPKI is a CA with a server certificate for 127.0.0.1 and a client
// certificate, written as PEM files (the server's also as a tls.Config).
type testPKI struct {
	caFile, clientCert, clientKey string
	serverCert, serverKey         string
	serverTLS                     *tls.Config
}

func newTestPKI(t *testing.T, dir string) testPKI {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "edgetag test ca"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	issue := func(serial int64, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "edgetag test"},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyDER := func(k *ecdsa.PrivateKey) []byte {
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	srvDER, srvKey := issue(2, x509.ExtKeyUsageServerAuth)
	cliDER, cliKey := issue(3, x509.ExtKeyUsageClientAuth)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return testPKI{
		caFile:     write("ca.pem", "CERTIFICATE", caDER),
		clientCert: write("client.pem", "CERTIFICATE", cliDER),
		clientKey:  write("client-key.pem", "EC PRIVATE KEY", keyDER(cliKey)),
		serverCert: write("server.pem", "CERTIFICATE", srvDER),
		serverKey:  write("server-key.pem", "EC PRIVATE KEY", keyDER(srvKey)),
		serverTLS: &tls.Config{
			Certificates: []tls.Certificate{{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}},
			ClientCAs:    pool,
			ClientAuth:   tls.RequireAndVerifyClientCert,
			MinVersion:   tls.VersionTLS12,
		},
	}
}

// TestLeafnodeAuth connects the embedded server's uplink to a hub that
// requires a user and password on its leafnode port.
func TestLeafnodeAuth(t *testing.T) {
	t.Parallel()
	hub := natstest.Start(t, func(o *server.Options) {
		o.JetStream = false
		o.LeafNode.Host = "127.0.0.1"
		o.LeafNode.Port = -1
		o.LeafNode.Username, o.LeafNode.Password = "site", "pw"
	})
	cfg := embeddedConfig(t, false)
	cfg.Embedded.Leafnode = Leafnode{URL: natstest.LeafURL(hub), Auth: Auth{User: "site", Password: "pw"}}
	s := startSink(t, cfg)
	natstest.WaitFor(t, waitTimeout, func() error {
		if !s.Stats().LeafnodeConnected || hub.NumLeafNodes() != 1 {
			return errors.New("leafnode not connected")
		}
		return nil
	})
}
