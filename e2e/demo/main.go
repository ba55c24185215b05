// Command demo shows docker-credential-ecr-login doing its main job on
// embedded stand-ins, with no AWS account, no root and no Docker: it builds
// the helper, starts a fake ECR and a TLS registry that only accepts the
// password the fake ECR issues, and pushes and pulls an image through
// go-containerregistry's default keychain, which runs the helper binary
// through the real credential-helper protocol.
//
// Run it with `make demo` (or `go run ./e2e/demo`) from the repository root.
package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

const registryHost = "123456789012.dkr.ecr.us-east-1.amazonaws.com"

func main() {
	log.SetFlags(0)
	if err := run(); err != nil {
		log.Fatalf("demo failed: %v", err)
	}
}

func run() error {
	work, err := os.MkdirTemp("", "ecr-login-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	step("Building docker-credential-ecr-login")
	binDir := filepath.Join(work, "bin")
	exe := "docker-credential-ecr-login"
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	build := exec.Command("go", "build", "-o", filepath.Join(binDir, exe), "./cmd/docker-credential-ecr-login")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building the helper (run the demo from the repository root): %w", err)
	}

	fake := ecrtest.NewServer()
	defer fake.Close()
	password := fake.Password()
	step("Started a fake ECR API at %s (it issues 12-hour tokens for user AWS)", fake.URL())

	reg, pool, err := startRegistry(password)
	if err != nil {
		return err
	}
	defer reg.Close()
	regAddr := reg.Listener.Addr().String()
	step("Started a TLS registry for %s (really %s) that demands user AWS and the ECR token", registryHost, regAddr)

	// Clients reach the ECR host name at the local registry.
	transport := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if strings.HasPrefix(addr, registryHost+":") {
				addr = regAddr
			}
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}

	dockerConfig := filepath.Join(work, "docker")
	if err := os.MkdirAll(dockerConfig, 0o700); err != nil {
		return err
	}
	cfg := fmt.Sprintf(`{"credHelpers": {%q: "ecr-login", "public.ecr.aws": "ecr-login"}}`, registryHost)
	if err := os.WriteFile(filepath.Join(dockerConfig, "config.json"), []byte(cfg), 0o600); err != nil {
		return err
	}
	for k, v := range map[string]string{
		"DOCKER_CONFIG":               dockerConfig,
		"PATH":                        binDir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"AWS_ENDPOINT_URL_ECR":        fake.URL(),
		"AWS_ENDPOINT_URL_ECR_PUBLIC": fake.URL(),
		"AWS_ACCESS_KEY_ID":           "AKIDDEMO00000000",
		"AWS_SECRET_ACCESS_KEY":       "demo-secret-not-real",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             filepath.Join(work, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(work, "aws-credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_ECR_CACHE_DIR":           filepath.Join(work, "cache"),
	} {
		os.Setenv(k, v)
	}
	step("Wrote %s with credHelpers {%q: \"ecr-login\"}", filepath.Join(dockerConfig, "config.json"), registryHost)

	// Anonymous access is refused, so what follows really authenticates.
	if code, err := anonymousStatus(transport, regAddr); err != nil || code != http.StatusUnauthorized {
		return fmt.Errorf("anonymous request: status %d, %v; want 401", code, err)
	}
	step("Anonymous request to https://%s/v2/ -> 401 Unauthorized", registryHost)

	regName, err := name.NewRegistry(registryHost)
	if err != nil {
		return err
	}
	for i, what := range []string{"first", "second"} {
		before := fake.CallCount()
		start := time.Now()
		a, err := authn.DefaultKeychain.Resolve(regName)
		if err != nil {
			return fmt.Errorf("keychain: %w", err)
		}
		ac, err := a.Authorization()
		if err != nil {
			return fmt.Errorf("keychain: %w", err)
		}
		took := time.Since(start)
		calls := fake.CallCount() - before
		if ac.Username != "AWS" || ac.Password != password {
			return fmt.Errorf("the helper answered user %q and a password that is not the fake ECR's", ac.Username)
		}
		how := "fetched a token from ECR"
		if i > 0 {
			how = "answered from its cache"
		}
		step("The %s client call ran the helper for %s: it %s (%d API call(s), %s)", what, registryHost, how, calls, took.Round(time.Millisecond))
		if want := 1 - i; calls != want {
			return fmt.Errorf("%s call made %d ECR API calls, want %d", what, calls, want)
		}
	}

	ref, err := name.ParseReference(registryHost + "/demo/hello:v1")
	if err != nil {
		return err
	}
	img, err := random.Image(1024, 1)
	if err != nil {
		return err
	}
	want, err := img.Digest()
	if err != nil {
		return err
	}
	opts := []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain), remote.WithTransport(transport)}
	if err := remote.Write(ref, img, opts...); err != nil {
		return fmt.Errorf("push: %w", err)
	}
	step("Pushed %s (digest %s)", ref, want)
	pulled, err := remote.Image(ref, opts...)
	if err != nil {
		return fmt.Errorf("pull: %w", err)
	}
	got, err := pulled.Digest()
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("pulled digest %s, pushed %s", got, want)
	}
	if _, err := pulled.RawManifest(); err != nil {
		return err
	}
	layers, err := pulled.Layers()
	if err != nil || len(layers) != 1 {
		return fmt.Errorf("pulled image layers: %d, %v", len(layers), err)
	}
	rc, err := layers[0].Compressed()
	if err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, rc)
	rc.Close()
	if err != nil {
		return err
	}
	step("Pulled it back: digest %s, layer %d bytes — the image round-tripped", got, n)
	step("ECR API calls in total: %d (one token served every request above)", fake.CallCount())

	list := exec.Command(filepath.Join(binDir, exe), "list")
	var out bytes.Buffer
	list.Stdout = &out
	if err := list.Run(); err != nil {
		return fmt.Errorf("helper list: %w", err)
	}
	var listed map[string]string
	if err := json.Unmarshal(out.Bytes(), &listed); err != nil {
		return fmt.Errorf("helper list printed %q: %w", out.String(), err)
	}
	step("`docker-credential-ecr-login list` shows the cached registry: %s", strings.TrimSpace(out.String()))
	fmt.Println("\nPASS: demo complete; temporary files removed.")
	return nil
}

func step(format string, args ...any) {
	fmt.Printf("==> "+format+"\n", args...)
}

// startRegistry serves go-containerregistry's in-memory registry over TLS
// behind basic auth for user AWS and password.
func startRegistry(password string) (*httptest.Server, *x509.CertPool, error) {
	inner := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != "AWS" || subtle.ConstantTimeCompare([]byte(p), []byte(password)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="demo"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
			return
		}
		inner.ServeHTTP(w, r)
	})
	cert, pool, err := selfSigned(registryHost)
	if err != nil {
		return nil, nil, err
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	return srv, pool, nil
}

func selfSigned(host string) (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: host},
		DNSNames:              []string{host},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

func anonymousStatus(tr http.RoundTripper, _ string) (int, error) {
	req, err := http.NewRequest(http.MethodGet, "https://"+registryHost+"/v2/", nil)
	if err != nil {
		return 0, err
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	if resp.StatusCode == 0 {
		return 0, errors.New("no status")
	}
	return resp.StatusCode, nil
}
