package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	credv1 "k8s.io/kubelet/pkg/apis/credentialprovider/v1"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// Per-pod identities, from the built binary: kubelet's request carries the
// pod's service account token and annotations.

const (
	podRole   = "arn:aws:iam::123456789012:role/app-pull"
	podIssuer = "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	rolePW    = "password-issued-to-app-pull"
	nodePW    = "password-issued-to-the-node"
)

func podFake(t *testing.T, opts ...ecrtest.Option) *ecrtest.Server {
	t.Helper()
	fake := ecrtest.NewServer(append([]ecrtest.Option{
		ecrtest.WithWebIdentityTrust(podRole, "system:serviceaccount:shop:cart"),
		ecrtest.WithPasswordFunc(func(c ecrtest.Call) string {
			if c.AssumedRole == podRole {
				return rolePW
			}
			return nodePW
		}),
	}, opts...)...)
	t.Cleanup(fake.Close)
	return fake
}

func podEnv(t *testing.T, fakeURL string, extra ...string) []string {
	return append(append(providerEnv(t, fakeURL), "AWS_ENDPOINT_URL_STS="+fakeURL), extra...)
}

func podRequest(t *testing.T, image, ns, name string, annotations map[string]string) (string, string) {
	t.Helper()
	tok := ecrtest.ServiceAccountToken(podIssuer, ns, name, []string{"sts.amazonaws.com"}, time.Now().Add(time.Hour))
	b, err := json.Marshal(map[string]any{"apiVersion": "credentialprovider.kubelet.k8s.io/v1", "kind": "CredentialProviderRequest",
		"image": image, "serviceAccountToken": tok, "serviceAccountAnnotations": annotations})
	if err != nil {
		t.Fatal(err)
	}
	return string(b), tok
}

func decodeV1(t *testing.T, out []byte) credv1.CredentialProviderResponse {
	t.Helper()
	var r credv1.CredentialProviderResponse
	strictDecode(t, out, &r)
	return r
}

// noToken fails the test if the token (or its claims part) is anywhere in
// the output or under dir (the cache).
func noToken(t *testing.T, tok string, dir string, outputs ...string) {
	t.Helper()
	claims := strings.Split(tok, ".")[1]
	for _, o := range outputs {
		if strings.Contains(o, claims) {
			t.Fatalf("the service account token was printed: %s", o)
		}
	}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), claims) {
				t.Fatalf("the service account token is in %s", p)
			}
		}
		return nil
	})
}

func TestPodPullsAsItsRoleAcrossProcesses(t *testing.T) {
	fake := podFake(t)
	env := podEnv(t, fake.URL())
	ann := map[string]string{"eks.amazonaws.com/ecr-role-arn": podRole}
	var cache string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "AWS_ECR_CACHE_DIR="); ok {
			cache = v
		}
	}

	in, tok := podRequest(t, host+"/app:1", "shop", "cart", ann)
	code, out, stderr := runProvider(t, env, in)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r := decodeV1(t, out)
	if a := r.Auth[host]; a.Username != "AWS" || a.Password != rolePW {
		t.Fatalf("auth %+v, want the role's password", r.Auth)
	}
	// The session lasts 1h: kubelet may keep the answer at most 30m.
	if d := r.CacheDuration.Duration; d <= 0 || d > 30*time.Minute {
		t.Errorf("cacheDuration %s, want (0, 30m] for a 1h session", d)
	}
	if fake.STSCallCount() != 1 || fake.CallCount() != 1 {
		t.Fatalf("%d STS, %d ECR calls; want 1 and 1", fake.STSCallCount(), fake.CallCount())
	}

	// A second pod of the same service account (new token), another process.
	in2, tok2 := podRequest(t, host+"/app:2", "shop", "cart", ann)
	code, out, stderr2 := runProvider(t, env, in2)
	if code != 0 || decodeV1(t, out).Auth[host].Password != rolePW {
		t.Fatalf("second pod: exit %d %s", code, stderr2)
	}
	if fake.STSCallCount() != 1 || fake.CallCount() != 1 {
		t.Errorf("the second pod cost %d STS and %d ECR calls; want none", fake.STSCallCount()-1, fake.CallCount()-1)
	}
	noToken(t, tok, cache, stderr, stderr2)
	noToken(t, tok2, cache)
}

func TestPodOfUntrustedServiceAccountFailsWithoutFallback(t *testing.T) {
	fake := podFake(t)
	env := podEnv(t, fake.URL())
	ann := map[string]string{"eks.amazonaws.com/ecr-role-arn": podRole}
	// shop/cart (trusted) fills the cache first: it must not be served to shop/billing.
	in, _ := podRequest(t, host+"/app", "shop", "cart", ann)
	if code, _, stderr := runProvider(t, env, in); code != 0 {
		t.Fatal(stderr)
	}
	in, tok := podRequest(t, host+"/app", "shop", "billing", ann)
	code, out, stderr := runProvider(t, env, in)
	if code != 1 || len(out) != 0 {
		t.Fatalf("untrusted SA: exit %d, stdout %q", code, out)
	}
	for _, want := range []string{podRole, "shop/billing", `"system:serviceaccount:shop:billing"`, "trust policy", "AccessDenied", "node's identity is not used"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
	if fake.CallCount() != 1 {
		t.Errorf("ECR was called %d times after the refusal (a fallback?)", fake.CallCount()-1)
	}
	noToken(t, tok, t.TempDir(), stderr)
}

func TestPodWithoutRoleIsTheNodeWithoutSTS(t *testing.T) {
	fake := podFake(t)
	env := podEnv(t, fake.URL())
	in, tok := podRequest(t, host+"/app", "shop", "cart", nil)
	code, out, stderr := runProvider(t, env, in)
	if code != 0 || decodeV1(t, out).Auth[host].Password != nodePW {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if fake.STSCallCount() != 0 {
		t.Errorf("%d STS calls for a pod without a role", fake.STSCallCount())
	}
	noToken(t, tok, t.TempDir(), stderr)
}

func TestPodRoleFromProviderEnvAndIRSASetting(t *testing.T) {
	fake := podFake(t)
	irsa := map[string]string{"eks.amazonaws.com/role-arn": podRole}
	in, _ := podRequest(t, host+"/app", "shop", "cart", irsa)
	// Off by default: the IRSA annotation is not the pull role.
	code, out, stderr := runProvider(t, podEnv(t, fake.URL()), in)
	if code != 0 || decodeV1(t, out).Auth[host].Password != nodePW || fake.STSCallCount() != 0 {
		t.Fatalf("IRSA annotation, setting off: exit %d, %d STS calls: %s", code, fake.STSCallCount(), stderr)
	}
	code, out, stderr = runProvider(t, podEnv(t, fake.URL(), "AWS_ECR_ACCEPT_IRSA_ANNOTATION=true"), in)
	if code != 0 || decodeV1(t, out).Auth[host].Password != rolePW {
		t.Fatalf("IRSA annotation, setting on: exit %d: %s", code, stderr)
	}
	in, _ = podRequest(t, host+"/app", "shop", "cart", nil)
	code, out, stderr = runProvider(t, podEnv(t, fake.URL(), "AWS_ECR_ROLE_ARN="+podRole), in)
	if code != 0 || decodeV1(t, out).Auth[host].Password != rolePW {
		t.Fatalf("AWS_ECR_ROLE_ARN: exit %d: %s", code, stderr)
	}
}

func TestPodStalledSTSAndECRPublic(t *testing.T) {
	fake := podFake(t, ecrtest.WithFault(ecrtest.Fault{Kind: ecrtest.FaultStall, Service: ecrtest.ServiceSTS}))
	ann := map[string]string{"eks.amazonaws.com/ecr-role-arn": podRole}
	in, _ := podRequest(t, host+"/app", "shop", "cart", ann)
	code, _, stderr := runProvider(t, podEnv(t, fake.URL(), "AWS_ECR_TIMEOUT=2s"), in)
	if code != 1 || !strings.Contains(stderr, "timed out after 2s") || !strings.Contains(stderr, "shop/cart") {
		t.Fatalf("stalled STS: exit %d: %s", code, stderr)
	}
	if fake.CallCount() != 0 {
		t.Errorf("ECR called %d times while STS stalled", fake.CallCount())
	}
	fake.SetFault(ecrtest.Fault{})
	in, _ = podRequest(t, "public.ecr.aws/team/app", "shop", "cart", ann)
	code, out, stderr := runProvider(t, podEnv(t, fake.URL()), in)
	if code != 0 || decodeV1(t, out).Auth["public.ecr.aws"].Password != rolePW {
		t.Fatalf("ECR Public: exit %d: %s", code, stderr)
	}
	if c := fake.Calls(); len(c) != 1 || c[0].Service != ecrtest.ServiceECRPublic || c[0].AssumedRole != podRole {
		t.Errorf("ECR Public calls %+v", c)
	}
}
