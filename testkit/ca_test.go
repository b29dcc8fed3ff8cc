package testkit

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"
)

// TestCAIssueVerifies: a server and a client certificate the CA issued verify against the CA
// file for their uses, and each loads as a TLS key pair.
func TestCAIssueVerifies(t *testing.T) {
	ca := NewCA(t)
	caPEM, err := os.ReadFile(ca.File())
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatal("the CA file holds no certificate")
	}
	for _, tc := range []struct {
		cn     string
		server bool
		usage  x509.ExtKeyUsage
	}{{"broker", true, x509.ExtKeyUsageServerAuth}, {"k1", false, x509.ExtKeyUsageClientAuth}} {
		certFile, keyFile := ca.Issue(t, tc.cn, tc.server)
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			t.Fatalf("%s: %v", tc.cn, err)
		}
		cert, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		opts := x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{tc.usage}}
		if tc.server {
			opts.DNSName = "127.0.0.1"
		}
		if _, err := cert.Verify(opts); err != nil {
			t.Errorf("%s does not verify against the CA: %v", tc.cn, err)
		}
		if cert.Subject.CommonName != tc.cn {
			t.Errorf("common name %q, want %q", cert.Subject.CommonName, tc.cn)
		}
	}
}
