package ecrtest

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
)

func newTLSServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	s := NewTLSServer(opts...)
	t.Cleanup(s.Close)
	return s
}

// caPool is a pool holding only s's CA, parsed from its PEM.
func caPool(t *testing.T, s *Server) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CACertPEM()) {
		t.Fatalf("CACertPEM() holds no certificate: %q", s.CACertPEM())
	}
	return pool
}

// sdkClient is the real SDK's ECR client against s with the SDK's own HTTP
// client (not s.Client()), trusting roots (the system's when nil).
func sdkClient(t *testing.T, s *Server, roots *x509.CertPool) *ecr.Client {
	cfg := awsConfig(t, s, clientOpts{region: "us-east-1"})
	cfg.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.Proxy = nil
		if roots != nil {
			tr.TLSClientConfig = &tls.Config{RootCAs: roots}
		}
	})
	return ecr.NewFromConfig(cfg)
}

func TestTLSServerTrustedCA(t *testing.T) {
	s := newTLSServer(t, WithPassword(testPassword))
	if !strings.HasPrefix(s.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL() = %q, want https://127.0.0.1:PORT", s.URL())
	}
	out, err := sdkClient(t, s, caPool(t, s)).GetAuthorizationToken(ctxT(t), &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatalf("GetAuthorizationToken over HTTPS with the CA trusted: %v", err)
	}
	if len(out.AuthorizationData) != 1 {
		t.Fatalf("got %d authorizationData, want 1", len(out.AuthorizationData))
	}
	if got := decodeToken(t, out.AuthorizationData[0].AuthorizationToken); got != "AWS:"+testPassword {
		t.Errorf("token decodes to %q, want %q", got, "AWS:"+testPassword)
	}
	if n := s.CallCount(); n != 1 {
		t.Errorf("CallCount() = %d, want 1", n)
	}

	// What the server presents: an RSA-2048 leaf alone, for 127.0.0.1,
	// chaining to the CA it hands out.
	conn, err := tls.Dial("tcp", strings.TrimPrefix(s.URL(), "https://"), &tls.Config{RootCAs: caPool(t, s)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	st := conn.ConnectionState()
	if len(st.PeerCertificates) != 1 {
		t.Errorf("server sent %d certificates, want the leaf only", len(st.PeerCertificates))
	}
	leaf := st.PeerCertificates[0]
	if k, ok := leaf.PublicKey.(*rsa.PublicKey); !ok || k.N.BitLen() != 2048 {
		t.Errorf("leaf key is %T, want RSA-2048", leaf.PublicKey)
	}
	if len(st.VerifiedChains) != 1 || len(st.VerifiedChains[0]) != 2 || !st.VerifiedChains[0][1].IsCA {
		t.Errorf("verified chains %v, want leaf -> CA", st.VerifiedChains)
	}

	// Client() trusts the CA too; the admin API answers over HTTPS.
	resp, err := s.Client().Get(s.URL() + AdminPrefix + "calls")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"calls":1`) {
		t.Errorf("admin calls over HTTPS: %d %s", resp.StatusCode, body)
	}
}

func TestTLSServerUntrustedFails(t *testing.T) {
	s := newTLSServer(t)
	other := newTLSServer(t)
	for _, tc := range []struct {
		name  string
		roots *x509.CertPool
	}{
		{"system roots only", nil},
		{"another fake's CA", caPool(t, other)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.Reset()
			_, err := sdkClient(t, s, tc.roots).GetAuthorizationToken(ctxT(t), &ecr.GetAuthorizationTokenInput{})
			var cve *tls.CertificateVerificationError
			if !errors.As(err, &cve) {
				t.Fatalf("GetAuthorizationToken with the CA not trusted: want a certificate verification error, got %v", err)
			}
			if tc.roots != nil {
				var ua x509.UnknownAuthorityError
				if !errors.As(err, &ua) {
					t.Errorf("want x509.UnknownAuthorityError, got %v", err)
				}
			}
			if n := s.CallCount(); n != 0 {
				t.Errorf("CallCount() = %d after a failed handshake, want 0", n)
			}
		})
	}
}

func TestPlainServerHasNoCA(t *testing.T) {
	s := newServer(t)
	if s.CACertPEM() != nil || !strings.HasPrefix(s.URL(), "http://") {
		t.Errorf("NewServer: CACertPEM() = %q, URL() = %q; want nil and http://", s.CACertPEM(), s.URL())
	}
}
