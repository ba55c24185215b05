// The fake over HTTPS, as real ECR and STS speak it: a Server whose
// certificate for 127.0.0.1 is signed by a CA made for it.

package ecrtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http/httptest"
	"time"
)

// NewTLSServer starts a Server like NewServer, but over HTTPS: URL returns
// "https://127.0.0.1:PORT". Its certificate (RSA-2048, valid for 127.0.0.1,
// ::1 and localhost, like the RSA-2048 leaves of AWS endpoints) is signed by
// an RSA-2048 CA made for this server alone, which CACertPEM returns: a
// client trusts the fake by adding that CA to its roots, e.g. by appending
// it to a copy of the system bundle named by SSL_CERT_FILE. The server sends
// the leaf only; the CA is a root, as AWS's are. Client returns a client that
// trusts the server. It panics if the keys cannot be made, as httptest panics
// when it cannot listen. Call Close when done.
func NewTLSServer(opts ...Option) *Server {
	ca, leaf, err := newChain(time.Now())
	if err != nil {
		panic("ecrtest: " + err.Error())
	}
	f := New(opts...)
	ts := httptest.NewUnstartedServer(f)
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS12}
	ts.StartTLS()
	return &Server{Fake: f, ts: ts, caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})}
}

// CACertPEM returns the PEM of the CA that signed a NewTLSServer's
// certificate, nil for a NewServer.
func (s *Server) CACertPEM() []byte { return s.caPEM }

// newChain makes a CA and a leaf for loopback signed by it, valid from an
// hour before now for a day.
func newChain(now time.Time) (*x509.Certificate, tls.Certificate, error) {
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	leafKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{Organization: []string{"ecrtest"}, CommonName: "ecrtest fake ECR CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	ca, err := issue(caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, fmt.Errorf("CA certificate: %w", err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{Organization: []string{"ecrtest"}, CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost"},
	}
	leaf, err := issue(leafTmpl, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, fmt.Errorf("leaf certificate: %w", err)
	}
	return ca, tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: leafKey, Leaf: leaf}, nil
}

// issue signs tmpl for pub with parent's key signer, and parses the result.
func issue(tmpl, parent *x509.Certificate, pub *rsa.PublicKey, signer *rsa.PrivateKey) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic("ecrtest: " + err.Error())
	}
	return n
}
