package ecr

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// doctor's steps with the real SDK fetcher against the fakes.

func checkNames(checks []Check) []string {
	var names []string
	for _, c := range checks {
		names = append(names, c.Name)
	}
	return names
}

func findCheck(t *testing.T, checks []Check, name string) Check {
	t.Helper()
	for _, c := range checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %q check in %q", name, checkNames(checks))
	return Check{}
}

// noSecretIn fails if any check carries the secret key or the token.
func noSecretIn(t *testing.T, checks []Check, secrets ...string) {
	t.Helper()
	for _, c := range checks {
		for _, s := range secrets {
			if strings.Contains(c.Detail, s) || strings.Contains(c.Remedy, s) {
				t.Errorf("check %q carries a secret: %+v", c.Name, c)
			}
		}
	}
}

func TestDoctorRunsEveryStepWithTheSDK(t *testing.T) {
	w := newSDKWorld(t)
	checks := w.helper(t, noPrompt(t)).Doctor(context.Background(), hostA)
	want := []string{"registry", "mapping", "credential source", "cache key", "credentials", "caller identity", "token", "cache"}
	if got := checkNames(checks); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("steps %q, want %q", got, want)
	}
	for _, c := range checks {
		if !c.OK || c.Skipped {
			t.Errorf("%s: %+v", c.Name, c)
		}
	}
	if c := findCheck(t, checks, "registry"); !strings.Contains(c.Detail, "account 123456789012") || !strings.Contains(c.Detail, "region us-east-1") {
		t.Errorf("registry: %s", c.Detail)
	}
	if c := findCheck(t, checks, "credentials"); !strings.Contains(c.Detail, "…0001") || !strings.Contains(c.Detail, "do not expire") {
		t.Errorf("credentials: %s", c.Detail)
	}
	if c := findCheck(t, checks, "caller identity"); !strings.Contains(c.Detail, "arn:aws:") {
		t.Errorf("caller identity: %s", c.Detail)
	}
	if c := findCheck(t, checks, "token"); !strings.Contains(c.Detail, "for user AWS") {
		t.Errorf("token: %s", c.Detail)
	}
	if c := findCheck(t, checks, "cache"); !strings.Contains(c.Detail, "does not exist yet") {
		t.Errorf("cache: %s", c.Detail)
	}
	noSecretIn(t, checks, sdkSecret, w.fake.Password())
	// doctor writes nothing to the cache.
	if _, err := os.Stat(filepath.Join(w.dir, "cache")); !os.IsNotExist(err) {
		t.Errorf("doctor created the cache directory: %v", err)
	}
}

// A failing step is reported with its remedy and the steps after it still run.
func TestDoctorReportsEachFailingStep(t *testing.T) {
	w := newSDKWorld(t)

	w.fake.SetFault(ecrtest.Fault{Kind: ecrtest.FaultAccessDenied, Service: "ecr"})
	checks := w.helper(t, noPrompt(t)).Doctor(context.Background(), hostA)
	tok := findCheck(t, checks, "token")
	if tok.OK || !strings.Contains(tok.Detail, ErrAccessDenied.Error()) || !strings.Contains(tok.Remedy, "ecr:GetAuthorizationToken") {
		t.Errorf("token: %+v", tok)
	}
	if c := findCheck(t, checks, "caller identity"); !c.OK {
		t.Errorf("caller identity failed with ECR refusing: %+v", c)
	}
	findCheck(t, checks, "cache")

	w.fake.SetFault(ecrtest.Fault{Kind: ecrtest.FaultAccessDenied, Service: "sts"})
	checks = w.helper(t, noPrompt(t)).Doctor(context.Background(), hostA)
	if c := findCheck(t, checks, "caller identity"); c.OK || !strings.Contains(c.Remedy, "STS refused") {
		t.Errorf("caller identity: %+v", c)
	}
	if c := findCheck(t, checks, "token"); !c.OK {
		t.Errorf("token failed with STS refusing: %+v", c)
	}
	noSecretIn(t, checks, sdkSecret, w.fake.Password())
	w.fake.SetFault(ecrtest.Fault{})

}

// A role that cannot be assumed fails at "credentials", and doctor stops there.
func TestDoctorRoleRefusedStopsAtCredentials(t *testing.T) {
	const role = "arn:aws:iam::555555555555:role/X"
	w := newSDKWorld(t, ecrtest.WithRequireExternalID(role, "right"))
	w.writeConfig(t, "[profile r]\nrole_arn = "+role+"\nsource_profile = base\nexternal_id = wrong\n[profile base]\n"+keys("AKIABASE0000B001"))
	w.set("AWS_ACCESS_KEY_ID", "")
	w.set("AWS_SECRET_ACCESS_KEY", "")
	w.set("AWS_PROFILE", "r")
	checks := w.helper(t, noPrompt(t)).Doctor(context.Background(), hostA)
	if c := findCheck(t, checks, "credential source"); !c.OK || !strings.Contains(c.Detail, role) {
		t.Errorf("credential source: %+v", c)
	}
	c := findCheck(t, checks, "credentials")
	if c.OK || c.Detail != ErrAccessDenied.Error() || !strings.Contains(c.Remedy, "AssumeRole") || !strings.Contains(c.Remedy, "external id") {
		t.Errorf("credentials: %+v", c)
	}
	if last := checks[len(checks)-1]; last.Name != "credentials" {
		t.Errorf("doctor went on after the credentials failed: %q", checkNames(checks))
	}
	if w.fake.CallCount() != 0 {
		t.Errorf("ECR called %d times", w.fake.CallCount())
	}
}

func TestDoctorWithoutRegistryChecksCredentialsAndCache(t *testing.T) {
	w := newSDKWorld(t)
	checks := w.helper(t, noPrompt(t), func(c *Config) { c.CacheDisabled = true }).Doctor(context.Background(), "")
	want := []string{"credential source", "cache key", "credentials", "caller identity", "cache"}
	if got := checkNames(checks); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("steps %q, want %q", got, want)
	}
	if c := findCheck(t, checks, "cache"); !c.OK || !strings.Contains(c.Detail, "caching is off") {
		t.Errorf("cache: %+v", c)
	}
}

func TestDoctorStopsAtTheFirstStepThatCannotGoOn(t *testing.T) {
	w := newSDKWorld(t)
	checks := w.helper(t, noPrompt(t)).Doctor(context.Background(), "registry.example.com")
	if len(checks) != 1 || checks[0].Name != "registry" || checks[0].OK || checks[0].Remedy == "" {
		t.Fatalf("not ECR: %+v", checks)
	}
	w.set("AWS_ACCESS_KEY_ID", "")
	w.set("AWS_SECRET_ACCESS_KEY", "")
	checks = w.helper(t, noPrompt(t)).Doctor(context.Background(), hostA)
	c := findCheck(t, checks, "credential source")
	if c.OK || !strings.Contains(c.Remedy, "no AWS credentials found") {
		t.Errorf("credential source: %+v", c)
	}
	for _, n := range checkNames(checks) {
		if n == "credentials" || n == "token" {
			t.Errorf("step %q ran without credentials", n)
		}
	}
	if w.fake.CallCount() != 0 || w.fake.STSCallCount() != 0 {
		t.Errorf("AWS was called without credentials")
	}
}

// The cache step counts this identity's entries and refuses a directory
// others can write to.
func TestDoctorCacheStep(t *testing.T) {
	w := newSDKWorld(t)
	h := w.helper(t, noPrompt(t))
	if _, err := h.Credentials(context.Background(), hostA); err != nil {
		t.Fatal(err)
	}
	c := findCheck(t, h.Doctor(context.Background(), ""), "cache")
	if !c.OK || !strings.Contains(c.Detail, "1 entries, 1 for this identity (1 fresh)") {
		t.Errorf("cache: %+v", c)
	}
	if runtime.GOOS == "windows" {
		return // no mode bits
	}
	dir := filepath.Join(w.dir, "cache")
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	c = findCheck(t, h.Doctor(context.Background(), ""), "cache")
	if said := c.Detail + " " + c.Remedy; c.OK || !strings.Contains(said, "writable by other") || !strings.Contains(said, "chmod 700 "+dir) {
		t.Errorf("cache: %+v", c)
	}
}

func TestDescribeAccess(t *testing.T) {
	for via, want := range map[Access]string{
		{}:                               "the default chain",
		{Profile: "p"}:                   `profile "p"`,
		{RoleARN: "arn:r"}:               "role arn:r assumed with the default chain",
		{Profile: "p", RoleARN: "arn:r"}: `profile "p", then role arn:r`,
	} {
		if got := describeAccess(via); got != want {
			t.Errorf("%+v: %q, want %q", via, got, want)
		}
	}
}
