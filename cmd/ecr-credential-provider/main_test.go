package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/internal/testenv"

	credv1 "k8s.io/kubelet/pkg/apis/credentialprovider/v1"
	credv1alpha1 "k8s.io/kubelet/pkg/apis/credentialprovider/v1alpha1"
	credv1beta1 "k8s.io/kubelet/pkg/apis/credentialprovider/v1beta1"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// These tests run the built provider the way kubelet does and decode its
// answer strictly with kubelet's own API types.

var (
	bins        testenv.Binaries
	providerBin string
)

func TestMain(m *testing.M) {
	var err error
	if providerBin, err = bins.Build("."); err != nil {
		bins.Close()
		panic(err)
	}
	code := m.Run()
	bins.Close()
	os.Exit(code)
}

const host = "123456789012.dkr.ecr.us-east-1.amazonaws.com"

// providerEnv is a hermetic environment (testenv.ChildEnv) with static keys.
func providerEnv(t *testing.T, fakeURL string) []string {
	env := testenv.ChildEnv(t, fakeURL)
	env["AWS_ACCESS_KEY_ID"] = "AKIDPROVIDER0001"
	env["AWS_SECRET_ACCESS_KEY"] = "SENTINEL-provider-secret"
	return testenv.Environ(env)
}

func runProvider(t *testing.T, env []string, stdin string) (int, []byte, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, providerBin)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(errb.String(), "SENTINEL") {
		t.Fatalf("secret on stderr: %s", errb.String())
	}
	return code, out.Bytes(), errb.String()
}

func request(apiVersion, image string) string {
	return `{"apiVersion":"` + apiVersion + `","kind":"CredentialProviderRequest","image":"` + image + `"}`
}

func strictDecode(t *testing.T, data []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("response %s does not decode into %T: %v", data, v, err)
	}
}

func TestAnswersInEachAPIVersion(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := providerEnv(t, fake.URL())
	for _, tc := range []struct {
		version string
		decode  func([]byte) (kind, apiVersion, keyType string, d time.Duration, auth map[string][2]string)
	}{
		{"credentialprovider.kubelet.k8s.io/v1", func(b []byte) (string, string, string, time.Duration, map[string][2]string) {
			var r credv1.CredentialProviderResponse
			strictDecode(t, b, &r)
			m := map[string][2]string{}
			for k, v := range r.Auth {
				m[k] = [2]string{v.Username, v.Password}
			}
			return r.Kind, r.APIVersion, string(r.CacheKeyType), r.CacheDuration.Duration, m
		}},
		{"credentialprovider.kubelet.k8s.io/v1beta1", func(b []byte) (string, string, string, time.Duration, map[string][2]string) {
			var r credv1beta1.CredentialProviderResponse
			strictDecode(t, b, &r)
			m := map[string][2]string{}
			for k, v := range r.Auth {
				m[k] = [2]string{v.Username, v.Password}
			}
			return r.Kind, r.APIVersion, string(r.CacheKeyType), r.CacheDuration.Duration, m
		}},
		{"credentialprovider.kubelet.k8s.io/v1alpha1", func(b []byte) (string, string, string, time.Duration, map[string][2]string) {
			var r credv1alpha1.CredentialProviderResponse
			strictDecode(t, b, &r)
			m := map[string][2]string{}
			for k, v := range r.Auth {
				m[k] = [2]string{v.Username, v.Password}
			}
			return r.Kind, r.APIVersion, string(r.CacheKeyType), r.CacheDuration.Duration, m
		}},
	} {
		t.Run(tc.version, func(t *testing.T) {
			code, out, stderr := runProvider(t, env, request(tc.version, host+"/team/app:v1"))
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			kind, apiVersion, keyType, d, auth := tc.decode(out)
			if kind != "CredentialProviderResponse" || apiVersion != tc.version || keyType != "Registry" {
				t.Fatalf("kind %q apiVersion %q cacheKeyType %q", kind, apiVersion, keyType)
			}
			if a := auth[host]; len(auth) != 1 || a[0] != "AWS" || a[1] != fake.Password() {
				t.Fatalf("auth = %v", auth)
			}
			// A 12h token with the default 1h margin: fresh for 11h.
			if d > 11*time.Hour || d < 11*time.Hour-time.Minute {
				t.Fatalf("cacheDuration = %s, want just under 11h", d)
			}
		})
	}
	if n := fake.CallCount(); n != 1 {
		t.Fatalf("API calls = %d, want 1 (the cache is shared across runs)", n)
	}
}

func TestMarginShapesCacheDuration(t *testing.T) {
	fake := ecrtest.NewServer(ecrtest.WithLifetime(time.Hour))
	defer fake.Close()
	env := append(providerEnv(t, fake.URL()), "AWS_ECR_REFRESH_MARGIN=10m")
	code, out, stderr := runProvider(t, env, request("credentialprovider.kubelet.k8s.io/v1", host+"/app@sha256:"+strings.Repeat("a", 64)))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r credv1.CredentialProviderResponse
	strictDecode(t, out, &r)
	if d := r.CacheDuration.Duration; d > 50*time.Minute || d < 49*time.Minute {
		t.Fatalf("cacheDuration = %s, want just under 50m", d)
	}
}

func TestNonECRImageGetsEmptyAuth(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := providerEnv(t, fake.URL())
	for _, image := range []string{"nginx:latest", "docker.io/library/nginx", "ghcr.io/org/app:1", host + ".evil.example/app"} {
		code, out, stderr := runProvider(t, env, request("credentialprovider.kubelet.k8s.io/v1", image))
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", image, code, stderr)
		}
		var r credv1.CredentialProviderResponse
		strictDecode(t, out, &r)
		if len(r.Auth) != 0 || r.CacheKeyType != credv1.RegistryPluginCacheKeyType || r.CacheDuration == nil || r.CacheDuration.Duration != 0 {
			t.Fatalf("%s: response %s", image, out)
		}
	}
	if fake.CallCount() != 0 {
		t.Fatalf("API calls = %d", fake.CallCount())
	}
}

func TestBadRequestsFailClearly(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := providerEnv(t, fake.URL())
	for _, tc := range []struct{ name, in, want string }{
		{"not json", "{", "not a CredentialProviderRequest"},
		{"empty", "", "not a CredentialProviderRequest"},
		{"no image", `{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest"}`, "no image"},
		{"unknown version", request("credentialprovider.kubelet.k8s.io/v2", host+"/a"), "unsupported apiVersion"},
		{"wrong kind", `{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"Pod","image":"x/y"}`, "unexpected kind"},
	} {
		code, out, stderr := runProvider(t, env, tc.in)
		if code != 1 || len(out) != 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d stdout %q stderr %q; want exit 1 and %q", tc.name, code, out, stderr, tc.want)
		}
	}
}

func TestECRFailureExitsNonZeroWithCause(t *testing.T) {
	fake := ecrtest.NewServer(ecrtest.WithFault(ecrtest.Fault{Kind: ecrtest.FaultAccessDenied}))
	defer fake.Close()
	code, out, stderr := runProvider(t, providerEnv(t, fake.URL()), request("credentialprovider.kubelet.k8s.io/v1", host+"/a:b"))
	if code != 1 || len(out) != 0 || !strings.Contains(stderr, "ecr:GetAuthorizationToken") {
		t.Fatalf("exit %d stdout %q stderr %q", code, out, stderr)
	}
}

func TestReadsTheSameConfigurationFile(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := providerEnv(t, fake.URL())
	cfg := filepath.Join(t.TempDir(), "ecr.yaml")
	if err := os.WriteFile(cfg, []byte("registries:\n  - match: mirror.example.com\n    registry: 210987654321.dkr.ecr.eu-west-1.amazonaws.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env = append(env, "AWS_ECR_CONFIG="+cfg)
	code, out, stderr := runProvider(t, env, request("credentialprovider.kubelet.k8s.io/v1", "mirror.example.com/team/app:1"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r credv1.CredentialProviderResponse
	strictDecode(t, out, &r)
	if a, ok := r.Auth["mirror.example.com"]; !ok || a.Password != fake.Password() || len(r.Auth) != 1 {
		t.Fatalf("auth = %v", r.Auth)
	}
	if c := fake.Calls(); len(c) != 1 || c[0].Region != "eu-west-1" {
		t.Fatalf("calls = %+v", c)
	}
}
