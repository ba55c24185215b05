package ecr

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
	"github.com/ecr-login/ecr-login/internal/testenv"

	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// A server certificate that does not verify (a TLS-inspecting proxy whose
// CA is not trusted, a self-signed endpoint) is answered after one
// handshake, with its own message, against the real SDK over HTTPS.

// helloCounter is a TCP forwarder on 127.0.0.1 in front of a TLS server
// that counts the connections opening with a TLS handshake record (a
// ClientHello): the handshakes clients attempted.
type helloCounter struct {
	ln     net.Listener
	hellos atomic.Int64
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
}

// newHelloCounter forwards to target ("127.0.0.1:PORT") until the test ends.
func newHelloCounter(t *testing.T, target string) *helloCounter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &helloCounter{ln: ln}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed at cleanup
			}
			h.wg.Add(1)
			go func() { defer h.wg.Done(); h.forward(c, target) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		h.mu.Lock()
		for _, c := range h.conns {
			c.Close()
		}
		h.mu.Unlock()
		h.wg.Wait()
	})
	return h
}

func (h *helloCounter) track(c net.Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.conns = append(h.conns, c)
}

// forward counts the connection if its first byte opens a handshake record
// (before passing it on, so the count is in before the client can see the
// server's certificate), then copies both ways until either side closes.
func (h *helloCounter) forward(c net.Conn, target string) {
	h.track(c)
	defer c.Close()
	up, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	h.track(up)
	defer up.Close()
	first := make([]byte, 1)
	if _, err := io.ReadFull(c, first); err != nil {
		return
	}
	if first[0] == 0x16 { // TLS record type: handshake
		h.hellos.Add(1)
	}
	if _, err := up.Write(first); err != nil {
		return
	}
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); up.Close(); done <- struct{}{} }()
	go func() { io.Copy(c, up); c.Close(); done <- struct{}{} }()
	<-done
	<-done
}

func (h *helloCounter) url() string { return "https://" + h.ln.Addr().String() }

// tlsWorld is the TLS fake behind a hello counter, with the process
// environment (the SDK reads it) at it: static keys, IMDS off, no
// AWS_CA_BUNDLE, so the system's roots, which do not hold the fake's CA.
func tlsWorld(t *testing.T) (*ecrtest.Server, *helloCounter) {
	t.Helper()
	s := ecrtest.NewTLSServer()
	t.Cleanup(s.Close)
	hc := newHelloCounter(t, strings.TrimPrefix(s.URL(), "https://"))
	testenv.Hermetic(t, map[string]string{
		"AWS_ENDPOINT_URL_ECR":        hc.url(),
		"AWS_ENDPOINT_URL_ECR_PUBLIC": hc.url(),
		"AWS_ENDPOINT_URL_STS":        hc.url(),
		"AWS_REGION":                  "us-east-1",
		"AWS_ACCESS_KEY_ID":           sdkKeyID,
		"AWS_SECRET_ACCESS_KEY":       sdkSecret,
	})
	return s, hc
}

func tlsHelper(t *testing.T) *Helper {
	env := getenvSnapshot()
	cfg := Config{Env: env, CacheDisabled: true, Timeout: 10 * time.Second}
	return NewHelper(cfg, WithFetcher(NewSDKFetcher(WithEnv(env))))
}

func TestUntrustedCertificateFailsAfterOneHandshakeAndSaysHowToTrustIt(t *testing.T) {
	for _, host := range []string{hostA, hostPublic} {
		t.Run(host, func(t *testing.T) {
			s, hc := tlsWorld(t)
			_, err := tlsHelper(t).Credentials(context.Background(), host)
			var fe *FetchError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v (%T), want a *FetchError", err, err)
			}
			if !errors.Is(err, ErrNetwork) {
				t.Errorf("kind %v, want %v", fe.Kind, ErrNetwork)
			}
			msg := err.Error()
			setting := "AWS_ENDPOINT_URL_ECR is set"
			if host == hostPublic {
				setting = "AWS_ENDPOINT_URL_ECR_PUBLIC is set"
			}
			for _, want := range []string{
				"the certificate of the ",
				"(" + strings.TrimPrefix(hc.url(), "https://") + ") is not trusted",
				"x509: certificate signed by unknown authority",
				`issued by "ecrtest fake ECR CA"`,
				"give its CA with AWS_CA_BUNDLE",
				setting,
			} {
				if !strings.Contains(msg, want) {
					t.Errorf("message lacks %q:\n%s", want, msg)
				}
			}
			for _, not := range []string{"could not reach", "attempts", "\n", sdkSecret} {
				if strings.Contains(msg, not) {
					t.Errorf("message holds %q:\n%s", not, msg)
				}
			}
			if n := s.CallCount(); n != 0 {
				t.Errorf("the fake saw %d calls, want 0", n)
			}
			if n := hc.hellos.Load(); n != 1 {
				t.Errorf("%d TLS handshakes, want 1 (a certificate does not change by asking again)", n)
			}
		})
	}
}

// The other direction: with the fake's CA in AWS_CA_BUNDLE, the same set-up
// gets a token over one handshake, so the test above fails on the
// certificate, not on the forwarder or the environment.
func TestTrustedCertificateThroughCABundleGetsAToken(t *testing.T) {
	s, hc := tlsWorld(t)
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bundle, s.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", bundle)
	got, err := tlsHelper(t).Credentials(context.Background(), hostA)
	if err != nil {
		t.Fatalf("with the CA in AWS_CA_BUNDLE: %v", err)
	}
	if got.Password != s.Password() {
		t.Errorf("password %q, want the fake's %q", got.Password, s.Password())
	}
	if n := s.CallCount(); n != 1 {
		t.Errorf("the fake saw %d calls, want 1", n)
	}
	if n := hc.hellos.Load(); n != 1 {
		t.Errorf("%d TLS handshakes, want 1", n)
	}
}

// sendError wraps err as the SDK hands a failed request to the retryer.
func sendError(err error) error {
	return &smithyhttp.RequestSendError{Err: &url.Error{Op: "Post", URL: "https://ecr.us-east-1.amazonaws.com/", Err: err}}
}

func certErrors() map[string]error {
	leaf := &x509.Certificate{}
	return map[string]error{
		// No x509 type inside: the TLS wrapper alone must do.
		"tls.CertificateVerificationError": &tls.CertificateVerificationError{Err: x509.SystemRootsError{}},
		"x509.UnknownAuthorityError":       x509.UnknownAuthorityError{Cert: leaf},
		"x509.CertificateInvalidError":     x509.CertificateInvalidError{Cert: leaf, Reason: x509.Expired, Detail: "current time is after the end"},
		"x509.HostnameError":               x509.HostnameError{Certificate: leaf, Host: "ecr.us-east-1.amazonaws.com"},
	}
}

func TestCertificateErrorsAreNotRetried(t *testing.T) {
	// The same wrapping around a connection reset is retried: the SDK would
	// retry a certificate error too, were it not for its own row.
	if c := classifyAttempt(sendError(syscall.ECONNRESET)); c != faultTransient {
		t.Fatalf("a wrapped connection reset is %v, want transient", c)
	}
	for name, cert := range certErrors() {
		t.Run(name, func(t *testing.T) {
			err := sendError(cert)
			if c := classifyAttempt(err); c != faultFinal {
				t.Errorf("classifyAttempt = %v, want %v", c, faultFinal)
			}
			p, c, _ := testPolicy(30 * time.Second)
			if attempt(p, c, err) {
				t.Error("the policy retried it")
			}
		})
	}
}

// classify names the endpoint, the reason and the fixes for every kind of
// certificate failure, at the API and at the credential step.
func TestCertificateErrorMessage(t *testing.T) {
	reg := mustRegistry(t, hostA)
	id := Identity{Description: `profile "dev"`}
	for name, cert := range certErrors() {
		t.Run(name, func(t *testing.T) {
			fe := classify(&stagedError{stageAPI, sendError(cert)}, reg, id, time.Second)
			if fe.Kind != ErrNetwork {
				t.Errorf("kind %v, want %v", fe.Kind, ErrNetwork)
			}
			for _, want := range []string{
				"the certificate of the ecr API in us-east-1 (ecr.us-east-1.amazonaws.com) is not trusted (x509: ",
				"AWS_CA_BUNDLE", "AWS_ENDPOINT_URL_ECR is set",
			} {
				if !strings.Contains(fe.Message, want) {
					t.Errorf("message lacks %q: %s", want, fe.Message)
				}
			}
			fe = classify(&stagedError{stageCredentials, sendError(cert)}, reg, id, time.Second)
			for _, want := range []string{
				`the certificate of ecr.us-east-1.amazonaws.com called for credentials from profile "dev", is not trusted`,
				"AWS_CA_BUNDLE", "AWS_ENDPOINT_URL_STS",
			} {
				if !strings.Contains(fe.Message, want) {
					t.Errorf("credential step: message lacks %q: %s", want, fe.Message)
				}
			}
		})
	}
}

// doctor's STS step words an untrusted certificate as the token step does:
// the reason with its issuer, and how to trust it.
func TestDoctorSaysWhenSTSsCertificateIsNotTrusted(t *testing.T) {
	tlsWorld(t)
	checks := tlsHelper(t).Doctor(context.Background(), hostA)
	who := findCheck(t, checks, "caller identity")
	if who.OK || !strings.Contains(who.Detail, "the certificate of STS is not trusted (x509: certificate signed by unknown authority") ||
		!strings.Contains(who.Detail, `issued by "ecrtest fake ECR CA"`) || !strings.Contains(who.Remedy, "give its CA with AWS_CA_BUNDLE") ||
		!strings.Contains(who.Remedy, "AWS_ENDPOINT_URL_STS") {
		t.Errorf("caller identity: %+v", who)
	}
	if tok := findCheck(t, checks, "token"); tok.OK || !strings.Contains(tok.Detail+tok.Remedy, "is not trusted") {
		t.Errorf("token: %+v", tok)
	}
	noSecretIn(t, checks, sdkSecret)
}
