package ecr

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/ecr-login/ecr-login/internal/testenv"

	"github.com/ecr-login/ecr-login/cache"
	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// clearAWSEnv empties every AWS_ variable of the process (the SDK reads the
// process environment) and returns a setter that keeps the process and the
// snapshot handed to the Helper in step.
func clearAWSEnv(t *testing.T) func(k, v string) {
	testenv.ClearAWS(t)
	return func(k, v string) { t.Setenv(k, v) }
}

// TestMFASessionServesOnlyItsIdentity: after `login` for a default profile
// that assumes role A with MFA, a get with environment keys of another
// principal, and a get after [default] was edited to role B, each get the
// token of their own principal (the fake's password names the signer), and
// going back to role A uses the saved session without a new prompt.
func TestMFASessionServesOnlyItsIdentity(t *testing.T) {
	var fake *ecrtest.Fake
	fake = ecrtest.New(ecrtest.WithRequireMFA(diffRoleA, diffMFASerial, diffMFACode), ecrtest.WithPasswordFunc(func(c ecrtest.Call) string {
		if r := fake.AssumedRole(c.AccessKeyID); r != "" {
			return "role:" + r
		}
		return "key:" + c.AccessKeyID
	}))
	ts := httptest.NewServer(fake)
	t.Cleanup(func() { fake.Close(); ts.Close() })
	srv := ts.URL
	dir := t.TempDir()
	set := clearAWSEnv(t)
	cfgPath := filepath.Join(dir, "config")
	for k, v := range map[string]string{
		"HOME": dir, "AWS_CONFIG_FILE": cfgPath, "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL_ECR": srv, "AWS_ENDPOINT_URL_STS": srv, "AWS_REGION": "us-east-1",
	} {
		set(k, v)
	}
	writeConfig := func(role, extra string) {
		t.Helper()
		body := "[default]\nrole_arn = " + role + "\nsource_profile = base\n" + extra + "[profile base]\n" + keys("AKIABASE0000B001")
		if err := os.WriteFile(cfgPath, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var prompts atomic.Int32
	prompt := func(context.Context, string) (string, error) { prompts.Add(1); return diffMFACode, nil }
	cacheDir := filepath.Join(dir, "cache")
	newH := func() *Helper {
		env := getenvSnapshot()
		return NewHelper(Config{Env: env, CacheDir: cacheDir}, WithFetcher(NewSDKFetcher(WithEnv(env), WithPrompter(prompt),
			WithSessionStore(cache.Open(cacheDir)))))
	}
	get := func(want string) {
		t.Helper()
		_, pass, err := newH().Get(diffRegistry)
		if err != nil || pass != want {
			t.Fatalf("got %q, %v; want %q", pass, err, want)
		}
	}

	writeConfig(diffRoleA, "mfa_serial = "+diffMFASerial+"\n")
	if _, err := newH().Login(context.Background(), "default"); err != nil {
		t.Fatal(err)
	}
	if prompts.Load() != 1 {
		t.Fatalf("login prompted %d times", prompts.Load())
	}

	set("AWS_ACCESS_KEY_ID", "AKIAOTHER000E001")
	set("AWS_SECRET_ACCESS_KEY", "s")
	get("key:AKIAOTHER000E001")
	set("AWS_ACCESS_KEY_ID", "")
	set("AWS_SECRET_ACCESS_KEY", "")

	writeConfig(diffRoleB, "")
	get("role:" + diffRoleB)

	writeConfig(diffRoleA, "mfa_serial = "+diffMFASerial+"\n")
	get("role:" + diffRoleA)
	if prompts.Load() != 1 {
		t.Errorf("role A asked again (%d prompts): the saved session was not used", prompts.Load())
	}
}
