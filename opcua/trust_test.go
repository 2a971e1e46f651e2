package opcua

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testCert makes a certificate signed by parent (self-signed when nil).
func testCert(t *testing.T, cn string, ca bool, parent *x509.Certificate, parentKey *rsa.PrivateKey) ([]byte, *x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: ca, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return der, c, key
}

func TestTrustStore(t *testing.T) {
	caDER, ca, caKey := testCert(t, "plant ca", true, nil, nil)
	_ = caDER
	signedDER, _, _ := testCert(t, "plc signed by ca", false, ca, caKey)
	selfDER, _, _ := testCert(t, "plc self-signed", false, nil, nil)

	tests := []struct {
		name    string
		trusted func(dir string) error
		server  []byte
		wantErr bool
	}{
		{name: "unknown refused", server: selfDER, wantErr: true},
		{name: "trusted der", server: selfDER, trusted: func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "plc.der"), selfDER, 0o644)
		}},
		{name: "trusted pem", server: selfDER, trusted: func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "plc.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: selfDER}), 0o644)
		}},
		{name: "signed by trusted ca", server: signedDER, trusted: func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "ca.der"), ca.Raw, 0o644)
		}},
		{name: "chain with trusted leaf", server: append(append([]byte{}, signedDER...), ca.Raw...), trusted: func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "leaf.der"), signedDER, 0o644)
		}},
		{name: "other certificate trusted", server: selfDER, wantErr: true, trusted: func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "other.der"), signedDER, 0o644)
		}},
		{name: "garbage in trusted is skipped", server: selfDER, trusted: func(dir string) error {
			if err := os.WriteFile(filepath.Join(dir, "junk.txt"), []byte("junk"), 0o644); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, "plc.der"), selfDER, 0o644)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state := t.TempDir()
			ts := newTrustStore(state)
			if tt.trusted != nil {
				if err := os.MkdirAll(ts.trusted, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := tt.trusted(ts.trusted); err != nil {
					t.Fatal(err)
				}
			}
			err := ts.check("opc.tcp://plc:4840", tt.server)
			if !tt.wantErr {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ue *UntrustedError
			if !errors.As(err, &ue) || !errors.Is(err, ErrUntrusted) {
				t.Fatalf("got %v, want *UntrustedError", err)
			}
			if want := filepath.Join(ts.rejected, thumbprint(tt.server)+".der"); ue.Rejected != want {
				t.Fatalf("rejected %s, want %s", ue.Rejected, want)
			}
			// Trusting the rejected file as the message says makes it pass.
			if err := os.Rename(ue.Rejected, filepath.Join(ts.trusted, filepath.Base(ue.Rejected))); err != nil {
				t.Fatal(err)
			}
			if err := ts.check("opc.tcp://plc:4840", tt.server); err != nil {
				t.Fatalf("after trusting: %v", err)
			}
		})
	}
}
