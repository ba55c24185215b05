package ecr

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

const (
	podRole   = "arn:aws:iam::123456789012:role/app-pull"
	podIssuer = "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	rolePW    = "password-of-app-pull"
)

func saToken(ns, name string, exp time.Time) string {
	return ecrtest.ServiceAccountToken(podIssuer, ns, name, []string{"sts.amazonaws.com"}, exp)
}

func mustPod(t *testing.T, role, token string) *WebIdentity {
	t.Helper()
	w, err := NewWebIdentity(role, token)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestNewWebIdentityReadsClaimsAndRefusesUnreadableOnes(t *testing.T) {
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	w := mustPod(t, podRole, saToken("shop", "cart", exp))
	if w.Issuer != podIssuer || w.Subject != "system:serviceaccount:shop:cart" || !w.ExpiresAt.Equal(exp) ||
		len(w.Audience) != 1 || w.Audience[0] != "sts.amazonaws.com" || w.ServiceAccount() != "shop/cart" {
		t.Errorf("claims = %+v / %q %q %v %v", w.ServiceAccount(), w.Issuer, w.Subject, w.ExpiresAt, w.Audience)
	}
	enc := base64.RawURLEncoding.EncodeToString
	secretish := "SENTINEL-sa-token-part"
	for name, tok := range map[string]string{
		"empty":          "",
		"two parts":      secretish + ".abc",
		"not base64":     "a." + secretish + "!!.c",
		"not json":       "a." + enc([]byte(secretish)) + ".c",
		"no sub":         "a." + enc([]byte(`{"iss":"x","exp":1,"aud":"`+secretish+`"}`)) + ".c",
		"no iss":         "a." + enc([]byte(`{"sub":"x","exp":1,"aud":"`+secretish+`"}`)) + ".c",
		"no exp":         "a." + enc([]byte(`{"iss":"x","sub":"y","aud":"`+secretish+`"}`)) + ".c",
		"exp not a time": "a." + enc([]byte(`{"iss":"x","sub":"y","exp":"soon","aud":"`+secretish+`"}`)) + ".c",
	} {
		_, err := NewWebIdentity(podRole, tok)
		if !errors.Is(err, ErrBadServiceAccountToken) {
			t.Errorf("%s: err = %v, want ErrBadServiceAccountToken", name, err)
			continue
		}
		if strings.Contains(err.Error(), secretish) || (tok != "" && strings.Contains(err.Error(), tok)) {
			t.Errorf("%s: the error quotes the token: %v", name, err)
		}
	}
	if _, err := NewWebIdentity("app-pull", saToken("shop", "cart", exp)); err == nil || !strings.Contains(err.Error(), "not an IAM role ARN") {
		t.Errorf("bad role ARN: err = %v", err)
	}
}

func TestWebIdentityNeverPrintsItsToken(t *testing.T) {
	tok := saToken("shop", "cart", time.Now().Add(time.Hour))
	w := mustPod(t, podRole, tok)
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "pod", w, "via", Access{WebIdentity: w})
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "pod", w, "value", *w)
	out := fmt.Sprintf("%v %+v %#v %s %v %+v %#v %q", w, w, w, w, *w, *w, Access{WebIdentity: w}, w) + logs.String()
	payload := strings.Split(tok, ".")[1]
	if strings.Contains(out, payload) || strings.Contains(out, tok) {
		t.Fatalf("the token was printed:\n%s", out)
	}
	if !strings.Contains(out, "shop/cart") || !strings.Contains(out, podRole) {
		t.Errorf("the printed form should name the service account and the role:\n%s", out)
	}
}

func TestWebIdentityKeyIsPerRoleAndSubjectNotPerToken(t *testing.T) {
	env := func(string) string { return "" }
	exp := time.Now().Add(time.Hour)
	key := func(w *WebIdentity, env Getenv) Identity {
		t.Helper()
		id, err := w.Identity(env)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	a1 := key(mustPod(t, podRole, saToken("shop", "cart", exp)), env)
	a2 := key(mustPod(t, podRole, saToken("shop", "cart", exp.Add(time.Minute))), env)
	b := key(mustPod(t, podRole, saToken("shop", "billing", exp)), env)
	c := key(mustPod(t, podRole+"-other", saToken("shop", "cart", exp)), env)
	other := ecrtest.ServiceAccountToken("https://other-cluster.example", "shop", "cart", []string{"sts.amazonaws.com"}, exp)
	d := key(mustPod(t, podRole, other), env)
	if a1.ID != a2.ID {
		t.Error("a new token of the same service account changed the key")
	}
	for name, id := range map[string]Identity{"another service account": b, "another role": c, "another cluster": d} {
		if id.ID == a1.ID {
			t.Errorf("%s shares the key", name)
		}
	}
	for _, v := range []string{"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_ECR", "AWS_ENDPOINT_URL_ECR_PUBLIC", "AWS_ENDPOINT_URL"} {
		e := key(mustPod(t, podRole, saToken("shop", "cart", exp)), func(k string) string {
			if k == v {
				return "http://127.0.0.1:1"
			}
			return ""
		})
		if e.ID == a1.ID {
			t.Errorf("another endpoint (%s) shares the key", v)
		}
	}
}

// podFake is a fake ECR + STS where role podRole trusts shop/cart only and
// answers tokens minted as that role with rolePW.
func podFake(t *testing.T, opts ...ecrtest.Option) *ecrtest.Server {
	t.Helper()
	fake := ecrtest.NewServer(append([]ecrtest.Option{
		ecrtest.WithWebIdentityTrust(podRole, "system:serviceaccount:shop:cart", "system:serviceaccount:shop:checkout"),
		ecrtest.WithPasswordFunc(func(c ecrtest.Call) string {
			if c.AssumedRole == podRole {
				return rolePW
			}
			return "node-password"
		}),
	}, opts...)...)
	t.Cleanup(fake.Close)
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_ECR": fake.URL(), "AWS_ENDPOINT_URL_ECR_PUBLIC": fake.URL(), "AWS_ENDPOINT_URL_STS": fake.URL(),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": "AKIDNODE0001", "AWS_SECRET_ACCESS_KEY": "SECRET-sentinel-key",
		"AWS_CONFIG_FILE": t.TempDir() + "/config", "AWS_SHARED_CREDENTIALS_FILE": t.TempDir() + "/credentials",
		"AWS_PROFILE": "", "AWS_REGION": "", "AWS_ROLE_ARN": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "",
	} {
		t.Setenv(k, v)
	}
	return fake
}

func sdkHelper(t *testing.T, dir string, timeout time.Duration) (*Helper, *bytes.Buffer) {
	t.Helper()
	logs := &bytes.Buffer{}
	env := os.Getenv
	h := NewHelper(Config{CacheDir: dir, RefreshMargin: time.Hour, Timeout: timeout, Env: env},
		WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	return h, logs
}

func TestPodCredentialsAsTheRoleNeverAsTheNode(t *testing.T) {
	fake := podFake(t)
	dir := t.TempDir()
	h, logs := sdkHelper(t, dir, 10*time.Second)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)

	// Trusted service account: the role's password.
	cartTok := saToken("shop", "cart", exp)
	c, err := h.PodCredentials(ctx, hostA, mustPod(t, podRole, cartTok))
	if err != nil {
		t.Fatal(err)
	}
	if c.Password != rolePW {
		t.Fatalf("password %q, want the role's", c.Password)
	}
	sc := fake.STSCalls()
	if len(sc) != 1 || sc[0].Action != ecrtest.ActionAssumeRoleWithWebIdentity || sc[0].RoleArn != podRole ||
		sc[0].Subject != "system:serviceaccount:shop:cart" || sc[0].RoleSessionName != PodSessionName || sc[0].Region != "us-east-1" && sc[0].Region != "" {
		t.Fatalf("STS calls = %+v", sc)
	}
	if calls := fake.Calls(); len(calls) != 1 || calls[0].AssumedRole != podRole {
		t.Fatalf("ECR calls = %+v, want one signed as the role", calls)
	}

	// The same service account with a new token, from another Helper (as
	// another process would be): no STS and no ECR call.
	h2, _ := sdkHelper(t, dir, 10*time.Second)
	c2, err := h2.PodCredentials(ctx, hostA, mustPod(t, podRole, saToken("shop", "cart", exp.Add(time.Minute))))
	if err != nil || c2.Password != rolePW || !c2.FromCache {
		t.Fatalf("second pod of the same SA: %+v %v", c2, err)
	}
	if fake.STSCallCount() != 1 || fake.CallCount() != 1 {
		t.Fatalf("a new token of the same SA cost %d STS and %d ECR calls, want none", fake.STSCallCount()-1, fake.CallCount()-1)
	}

	// Another service account naming the same role, not trusted: refused,
	// never the cached token of shop/cart, never the node's.
	billTok := saToken("shop", "billing", exp)
	_, err = h2.PodCredentials(ctx, hostA, mustPod(t, podRole, billTok))
	var fe *FetchError
	if !errors.As(err, &fe) || !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("untrusted SA: err = %v, want an access-denied FetchError", err)
	}
	for _, want := range []string{podRole, "shop/billing", "system:serviceaccount:shop:billing", ":sub", "trust policy", "AccessDenied", "not used instead"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q: %v", want, err)
		}
	}
	if fake.CallCount() != 1 {
		t.Errorf("after the refusal ECR was called %d more times (a fallback?)", fake.CallCount()-1)
	}
	// A second trusted SA of the same role gets its own STS call and entry.
	if _, err := h2.PodCredentials(ctx, hostA, mustPod(t, podRole, saToken("shop", "checkout", exp))); err != nil {
		t.Fatal(err)
	}
	if fake.STSCallCount() != 3 || fake.CallCount() != 2 {
		t.Errorf("shop/checkout: %d STS, %d ECR calls in all; want 3 and 2", fake.STSCallCount(), fake.CallCount())
	}
	all := logs.String() + err.Error() + fmt.Sprint(fake.STSCalls())
	for _, tok := range []string{cartTok, billTok, strings.Split(billTok, ".")[1]} {
		if strings.Contains(all, tok) {
			t.Fatal("a service account token reached the logs, an error or the fake's records")
		}
	}
}

func TestPodTokenExpiresWithTheSession(t *testing.T) {
	fake := podFake(t) // ECR tokens live 12h, sessions 1h
	h, _ := sdkHelper(t, t.TempDir(), 10*time.Second)
	c, err := h.PodCredentials(context.Background(), hostA, mustPod(t, podRole, saToken("shop", "cart", time.Now().Add(time.Hour))))
	if err != nil {
		t.Fatal(err)
	}
	sc := fake.STSCalls()
	session := sc[0].Time.Add(ecrtest.DefaultRoleSessionDuration).Truncate(time.Second)
	if !c.ExpiresAt.Equal(session) {
		t.Fatalf("ExpiresAt %v, want the session's end %v (the ECR token said %v)", c.ExpiresAt, session, sc[0].Time.Add(ecrtest.DefaultLifetime))
	}
	if !c.RefreshAt.Before(session) || c.RefreshAt.Before(session.Add(-31*time.Minute)) {
		t.Errorf("RefreshAt %v, want half the session's life before %v", c.RefreshAt, session)
	}
}

func TestPodRefusalsAreExplained(t *testing.T) {
	podFake(t)
	h, _ := sdkHelper(t, t.TempDir(), 10*time.Second)
	ctx := context.Background()
	expired := saToken("shop", "cart", time.Now().Add(-time.Minute))
	_, err := h.PodCredentials(ctx, hostA, mustPod(t, podRole, expired))
	if !errors.Is(err, ErrExpiredCredentials) || !strings.Contains(err.Error(), "ExpiredTokenException") ||
		!strings.Contains(err.Error(), "clock") || !strings.Contains(err.Error(), "shop/cart") {
		t.Errorf("expired token: %v", err)
	}
	wrongAud := ecrtest.ServiceAccountToken(podIssuer, "shop", "cart", []string{"https://kubernetes.default.svc"}, time.Now().Add(time.Hour))
	_, err = h.PodCredentials(ctx, hostA, mustPod(t, podRole, wrongAud))
	if !errors.Is(err, ErrAccessDenied) || !strings.Contains(err.Error(), "InvalidIdentityToken") ||
		!strings.Contains(err.Error(), "serviceAccountTokenAudience") {
		t.Errorf("wrong audience: %v", err)
	}
	_, err = h.PodCredentials(ctx, hostA, mustPod(t, podRole+"-untrusted", saToken("shop", "cart", time.Now().Add(time.Hour))))
	if !errors.Is(err, ErrAccessDenied) || !strings.Contains(err.Error(), podRole+"-untrusted") {
		t.Errorf("role without trust: %v", err)
	}
}

func TestPodStalledSTSIsBoundedByTheDeadline(t *testing.T) {
	fake := podFake(t, ecrtest.WithFault(ecrtest.Fault{Kind: ecrtest.FaultStall, Service: ecrtest.ServiceSTS}))
	h, _ := sdkHelper(t, t.TempDir(), 1500*time.Millisecond)
	done := make(chan error, 1)
	go func() {
		_, err := h.PodCredentials(context.Background(), hostA, mustPod(t, podRole, saToken("shop", "cart", time.Now().Add(time.Hour))))
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "shop/cart") {
			t.Errorf("stalled STS: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("a stalled STS was not cut by the deadline")
	}
	if fake.CallCount() != 0 {
		t.Errorf("ECR was called %d times while STS stalled (as the node?)", fake.CallCount())
	}
}

func TestPodCredentialsForECRPublic(t *testing.T) {
	fake := podFake(t)
	h, _ := sdkHelper(t, t.TempDir(), 10*time.Second)
	c, err := h.PodCredentials(context.Background(), "public.ecr.aws", mustPod(t, podRole, saToken("shop", "cart", time.Now().Add(time.Hour))))
	if err != nil || c.Password != rolePW {
		t.Fatalf("ECR Public as the role: %+v %v", c, err)
	}
	if calls := fake.Calls(); len(calls) != 1 || calls[0].Service != ecrtest.ServiceECRPublic || calls[0].AssumedRole != podRole {
		t.Fatalf("ECR Public calls = %+v", calls)
	}
	// Refused: an error, not the not-found answer (an anonymous pull).
	_, err = h.PodCredentials(context.Background(), "public.ecr.aws", mustPod(t, podRole, saToken("shop", "billing", time.Now().Add(time.Hour))))
	if !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("refused for ECR Public: %v, want access denied", err)
	}
}

func TestPodSessionIsSharedAcrossRegionsOfOneServiceAccountOnly(t *testing.T) {
	fake := podFake(t)
	dir := t.TempDir()
	h, _ := sdkHelper(t, dir, 10*time.Second)
	ctx := context.Background()
	cart := saToken("shop", "cart", time.Now().Add(time.Hour))
	for _, host := range []string{hostA, hostW, "public.ecr.aws"} {
		if c, err := h.PodCredentials(ctx, host, mustPod(t, podRole, cart)); err != nil || c.Password != rolePW {
			t.Fatalf("%s: %+v %v", host, c, err)
		}
	}
	if fake.STSCallCount() != 1 || fake.CallCount() != 3 {
		t.Fatalf("three registries of one service account: %d STS, %d ECR calls; want 1 and 3", fake.STSCallCount(), fake.CallCount())
	}
	// Another service account of the same role: its own session.
	if _, err := h.PodCredentials(ctx, hostW, mustPod(t, podRole, saToken("shop", "checkout", time.Now().Add(time.Hour)))); err != nil {
		t.Fatal(err)
	}
	if sc := fake.STSCalls(); len(sc) != 2 || sc[1].Subject != "system:serviceaccount:shop:checkout" {
		t.Fatalf("shop/checkout reused another service account's session: %+v", sc)
	}
	b, err := os.ReadFile(filepath.Join(dir, cacheFileName(t, dir)))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), strings.Split(cart, ".")[1]) {
		t.Fatal("the service account token is in the cache file")
	}
	if !strings.Contains(string(b), "session of role "+podRole) {
		t.Errorf("no session entry in the cache:\n%s", b)
	}
}

// cacheFileName is the one regular file in dir that is not a lock.
func cacheFileName(t *testing.T, dir string) string {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".json") {
			return e.Name()
		}
	}
	t.Fatalf("no cache file in %s: %v", dir, ents)
	return ""
}
