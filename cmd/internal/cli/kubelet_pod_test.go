package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	configv1 "k8s.io/kubelet/config/v1"
	"sigs.k8s.io/yaml"

	"github.com/ecr-login/ecr-login/cmd/internal/proto"
	"github.com/ecr-login/ecr-login/ecr"
	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

const (
	testRole    = "arn:aws:iam::123456789012:role/app-pull"
	testIssuer  = "https://oidc.example/id/CLUSTER"
	testECRHost = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
)

// podFetcher records which access each fetch used and issues tokens valid
// for lifetime from now.
func podFetcher(now func() time.Time, lifetime time.Duration) *fakeFetcher {
	return &fakeFetcher{fetch: func(_ context.Context, reg ecr.Registry, via ecr.Access) (ecr.Token, error) {
		pw := "node-password"
		if via.WebIdentity != nil {
			pw = "pod-password-" + via.WebIdentity.RoleARN
		}
		return ecr.Token{Username: "AWS", Password: pw, ExpiresAt: now().Add(lifetime), Endpoint: "https://" + reg.Host}, nil
	}}
}

type podRun struct {
	code           int
	stdout, stderr string
	resp           proto.ProviderResponse
}

func runPodProvider(t *testing.T, f *fakeFetcher, now func() time.Time, extraEnv []string, req map[string]any) podRun {
	t.Helper()
	home := t.TempDir()
	env := append([]string{"HOME=" + home, "AWS_ACCESS_KEY_ID=AKIDNODE", "AWS_SECRET_ACCESS_KEY=SENTINEL-node-secret",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_ECR_CACHE_DIR=" + filepath.Join(home, "cache"), "AWS_ECR_LOG_LEVEL=debug",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none")}, extraEnv...)
	req["apiVersion"], req["kind"] = "credentialprovider.kubelet.k8s.io/v1", "CredentialProviderRequest"
	in, _ := json.Marshal(req)
	var stdout, stderr bytes.Buffer
	code := RunProvider(context.Background(), nil, bytes.NewReader(in), &stdout, &stderr, env, ecr.WithFetcher(f), ecr.WithClock(now))
	r := podRun{code: code, stdout: stdout.String(), stderr: stderr.String()}
	if code == 0 {
		if err := json.Unmarshal(stdout.Bytes(), &r.resp); err != nil {
			t.Fatalf("stdout %q: %v", r.stdout, err)
		}
	}
	if tok, _ := req["serviceAccountToken"].(string); tok != "" && strings.Contains(r.stdout+r.stderr, tok) {
		t.Fatal("the service account token was printed")
	}
	return r
}

func TestProviderRoleChoice(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return t0 }
	tok := ecrtest.ServiceAccountToken(testIssuer, "shop", "cart", []string{"sts.amazonaws.com"}, t0.Add(time.Hour))
	image := testECRHost + "/app:1"
	for _, tc := range []struct {
		name        string
		env         []string
		token       string
		annotations map[string]string
		wantRole    string // "" = the node
	}{
		{"no token: node, even with an annotation", nil, "", map[string]string{AnnotationECRRole: testRole}, ""},
		{"token, no role anywhere: node", nil, tok, nil, ""},
		{"token + ECR annotation", nil, tok, map[string]string{AnnotationECRRole: testRole}, testRole},
		{"token + env default", []string{EnvECRRoleARN + "=" + testRole + "-default"}, tok, nil, testRole + "-default"},
		{"annotation beats env", []string{EnvECRRoleARN + "=" + testRole + "-default"}, tok, map[string]string{AnnotationECRRole: testRole}, testRole},
		{"empty annotation opts out of the env default", []string{EnvECRRoleARN + "=" + testRole + "-default"}, tok, map[string]string{AnnotationECRRole: ""}, ""},
		{"IRSA annotation ignored by default", nil, tok, map[string]string{AnnotationIRSARole: testRole + "-irsa"}, ""},
		{"IRSA annotation when enabled", []string{EnvAcceptIRSAAnnotation + "=true"}, tok, map[string]string{AnnotationIRSARole: testRole + "-irsa"}, testRole + "-irsa"},
		{"ECR annotation beats IRSA", []string{EnvAcceptIRSAAnnotation + "=true"}, tok, map[string]string{AnnotationIRSARole: testRole + "-irsa", AnnotationECRRole: testRole}, testRole},
	} {
		f := podFetcher(now, 12*time.Hour)
		req := map[string]any{"image": image, "serviceAccountAnnotations": tc.annotations}
		if tc.token != "" {
			req["serviceAccountToken"] = tc.token
		}
		r := runPodProvider(t, f, now, tc.env, req)
		if r.code != 0 || len(f.accesses()) != 1 {
			t.Errorf("%s: exit %d, %d fetches: %s", tc.name, r.code, len(f.accesses()), r.stderr)
			continue
		}
		got := ""
		if w := f.accesses()[0].WebIdentity; w != nil {
			got = w.RoleARN
			if w.Subject != "system:serviceaccount:shop:cart" {
				t.Errorf("%s: subject %q", tc.name, w.Subject)
			}
		}
		if got != tc.wantRole {
			t.Errorf("%s: fetched as role %q, want %q", tc.name, got, tc.wantRole)
		}
		wantPW := "node-password"
		if tc.wantRole != "" {
			wantPW = "pod-password-" + tc.wantRole
		}
		if r.resp.Auth[testECRHost].Password != wantPW {
			t.Errorf("%s: answered %q, want %q", tc.name, r.resp.Auth[testECRHost].Password, wantPW)
		}
	}
}

func TestProviderRefusesUnreadableTokensAndBadSettings(t *testing.T) {
	now := time.Now
	f := podFetcher(now, 12*time.Hour)
	secret := "SENTINEL.sa-token-without-claims"
	r := runPodProvider(t, f, now, nil, map[string]any{"image": testECRHost + "/app",
		"serviceAccountToken": secret, "serviceAccountAnnotations": map[string]string{AnnotationECRRole: testRole}})
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "service account token") ||
		!strings.Contains(r.stderr, AnnotationECRRole) || len(f.accesses()) != 0 {
		t.Errorf("unreadable token: exit %d, %d fetches, stdout %q, stderr %q", r.code, len(f.accesses()), r.stdout, r.stderr)
	}
	r = runPodProvider(t, f, now, []string{EnvAcceptIRSAAnnotation + "=maybe"}, map[string]any{"image": testECRHost + "/app"})
	if r.code != 1 || !strings.Contains(r.stderr, EnvAcceptIRSAAnnotation) || len(f.accesses()) != 0 {
		t.Errorf("bad setting: exit %d, stderr %q", r.code, r.stderr)
	}
}

// cacheDuration comes from the injected clock: the token's refresh point
// minus now, never more than what is left of the token before the margin.
func TestProviderCacheDurationUsesTheInjectedClock(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	clock := t0
	now := func() time.Time { return clock }
	tok := ecrtest.ServiceAccountToken(testIssuer, "shop", "cart", []string{"sts.amazonaws.com"}, t0.Add(time.Hour))
	req := map[string]any{"image": testECRHost + "/app", "serviceAccountToken": tok,
		"serviceAccountAnnotations": map[string]string{AnnotationECRRole: testRole}}
	// A token (or session) good for 1h: the margin is capped at half, 30m.
	f := podFetcher(now, time.Hour)
	r := runPodProvider(t, f, now, nil, req)
	if r.code != 0 || r.resp.CacheDuration != "30m0s" {
		t.Fatalf("cacheDuration %q (exit %d %s), want 30m0s", r.resp.CacheDuration, r.code, r.stderr)
	}
	f2 := podFetcher(now, 12*time.Hour)
	r = runPodProvider(t, f2, now, nil, req)
	if r.resp.CacheDuration != "11h0m0s" {
		t.Fatalf("cacheDuration %q, want 11h0m0s (12h token, 1h margin)", r.resp.CacheDuration)
	}
}

func TestConfigureKubeletServiceAccountTokens(t *testing.T) {
	code, stdout, stderr := runConfigure(t, mapEnv(nil), "kubelet", "--service-account-tokens")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var cfg configv1.CredentialProviderConfig
	if err := yaml.UnmarshalStrict([]byte(stdout), &cfg); err != nil {
		t.Fatalf("not a strict kubelet.config.k8s.io/v1 CredentialProviderConfig: %v\n%s", err, stdout)
	}
	if len(cfg.Providers) != 1 || cfg.Providers[0].TokenAttributes == nil {
		t.Fatalf("providers %+v", cfg.Providers)
	}
	ta := cfg.Providers[0].TokenAttributes
	if ta.ServiceAccountTokenAudience != "sts.amazonaws.com" || ta.CacheType != configv1.ServiceAccountServiceAccountTokenCacheType ||
		ta.RequireServiceAccount == nil || *ta.RequireServiceAccount || len(ta.RequiredServiceAccountAnnotationKeys) != 0 ||
		strings.Join(ta.OptionalServiceAccountAnnotationKeys, ",") != AnnotationECRRole+","+AnnotationIRSARole {
		t.Errorf("tokenAttributes %+v", ta)
	}
	// An env: list appended at the end (as e2e/run.sh does) still belongs to the provider.
	withEnv := stdout + "    env:\n      - name: AWS_REGION\n        value: us-east-1\n"
	if err := yaml.UnmarshalStrict([]byte(withEnv), &cfg); err != nil || len(cfg.Providers[0].Env) != 1 || cfg.Providers[0].TokenAttributes == nil {
		t.Errorf("with an env: list appended: %v %+v", err, cfg.Providers)
	}
	// Without the flag: no tokenAttributes (kubelet then sends no token).
	_, plain, _ := runConfigure(t, mapEnv(nil), "kubelet")
	if strings.Contains(plain, "tokenAttributes") {
		t.Error("tokenAttributes without --service-account-tokens")
	}
	code, _, stderr = runConfigure(t, mapEnv(nil), "kubelet", "--service-account-tokens", "--api-version", "v1beta1")
	if code != configureExitUsage || !strings.Contains(stderr, "v1") {
		t.Errorf("v1beta1 with tokens: exit %d %q", code, stderr)
	}
}
