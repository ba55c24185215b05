package main

import (
	"strings"
	"testing"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

func TestDoctor(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := identityEnv(t, fake, "registries:\n  - match: registry.example.com\n    registry: 210987654321.dkr.ecr.eu-west-1.amazonaws.com\n    profile: prod\n")
	env["AWS_SESSION_TOKEN"] = sessionToken

	r := runHelper(t, env, "doctor", "")
	if r.code != 0 {
		t.Fatalf("doctor without registry: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runDoctor(t, env, "registry.example.com")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"✓ version: docker-credential-ecr-login",
		"✓ settings: config file " + env["AWS_ECR_CONFIG"] + " (1 mappings)",
		"AWS_SECRET_ACCESS_KEY (set)", "AWS_SESSION_TOKEN (set)",
		"✓ registry: 210987654321.dkr.ecr.eu-west-1.amazonaws.com: service ecr, partition aws, region eu-west-1",
		"✓ mapping: " + env["AWS_ECR_CONFIG"] + `:2 applies: profile "prod"`,
		`✓ credential source: shared-config static keys: profile "prod"`,
		"✓ credentials: key id …0001",
		"✓ caller identity: arn:aws:iam::",
		"✓ token: ECR issued a token for user AWS",
		"✓ cache: ",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("missing %q in\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "✗") || strings.Contains(r.stdout, fake.Password()) {
		t.Fatalf("failed step or secret in output:\n%s", r.stdout)
	}
	// Our own lines show a key id by its last 4 characters only (the caller
	// identity line is STS's answer; the fake names users after their key).
	for _, line := range strings.Split(r.stdout, "\n") {
		if !strings.HasPrefix(line, "✓ caller identity") && strings.Contains(line, "AKIDPRODKEY00001") {
			t.Fatalf("full key id in %q", line)
		}
	}
	if fake.STSCallCount() != 2 || fake.CallCount() != 1 { // two doctor runs, one with a registry
		t.Fatalf("sts %d ecr %d calls", fake.STSCallCount(), fake.CallCount())
	}

	// A failing step fails the command and says what to do.
	fake.SetFault(ecrtest.Fault{Kind: ecrtest.FaultAccessDenied, Service: "ecr"})
	r = runDoctor(t, env, hostA)
	if r.code != 1 || !strings.Contains(r.stdout, "✗ token: GetAuthorizationToken failed: access denied") || !strings.Contains(r.stdout, "fix: AWS denied the request") {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	// No credentials at all.
	delete(env, "AWS_ACCESS_KEY_ID")
	delete(env, "AWS_SECRET_ACCESS_KEY")
	r = runDoctor(t, env, hostA)
	if r.code != 1 || !strings.Contains(r.stdout, "✗ credential source") || !strings.Contains(r.stdout, "no AWS credentials found") {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
}

func runDoctor(t *testing.T, env map[string]string, registry string) run {
	t.Helper()
	return runHelperArgs(t, env, "", "doctor", registry)
}
