package agent

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 (usable by a
// server and a client, and as its own CA) and its key, and returns their
// paths and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "edgetag test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// status returns the status code of a GET with client.
func status(t *testing.T, client *http.Client, url string) int {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// TestHTTPServesTLSAndPprofOnlyWhenAsked runs the agent twice: with the
// defaults /debug/pprof is not served; with http.tls and http.pprof the
// endpoints answer over HTTPS only, pprof included.
func TestHTTPServesTLSAndPprofOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	plain := simSite(t, historian("acme.http"), false)
	runAgent(t, newAgent(t, plain))
	if got := status(t, http.DefaultClient, "http://"+plain.HTTPListen+"/debug/pprof/"); got != http.StatusNotFound {
		t.Fatalf("/debug/pprof/ without http.pprof: %d, want 404", got)
	}
	if got := status(t, http.DefaultClient, "http://"+plain.HTTPListen+"/healthz"); got != http.StatusOK {
		t.Fatalf("/healthz: %d", got)
	}

	cfg := simSite(t, historian("acme.https"), false)
	certFile, keyFile, pool := selfSigned(t)
	cfg.HTTPTLS.Cert, cfg.HTTPTLS.Key = certFile, keyFile
	cfg.HTTPPprof = true
	runAgent(t, newAgent(t, cfg))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	for _, path := range []string{"/healthz", "/metrics", "/debug/pprof/"} {
		if got := status(t, client, "https://"+cfg.HTTPListen+path); got != http.StatusOK {
			t.Fatalf("https %s: %d", path, got)
		}
	}
	resp, err := http.Get("http://" + cfg.HTTPListen + "/metrics")
	if err == nil {
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP served /metrics on a TLS listener")
		}
	}
}

// TestHTTPWithClientCARequiresAClientCertificate serves HTTP with http.tls.ca:
// a client without a certificate of the CA is refused, one with it served.
func TestHTTPWithClientCARequiresAClientCertificate(t *testing.T) {
	t.Parallel()
	cfg := simSite(t, historian("acme.mtls"), false)
	certFile, keyFile, pool := selfSigned(t)
	cfg.HTTPTLS.Cert, cfg.HTTPTLS.Key, cfg.HTTPTLS.CA = certFile, keyFile, certFile
	runAgent(t, newAgent(t, cfg))
	url := "https://" + cfg.HTTPListen + "/healthz"
	anonymous := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	if resp, err := anonymous.Get(url); err == nil {
		resp.Body.Close()
		t.Fatalf("a client without a certificate got %d", resp.StatusCode)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	withCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}}
	if got := status(t, withCert, url); got != http.StatusOK {
		t.Fatalf("with a client certificate: %d", got)
	}
}
