package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// Per-registry profiles and roles, names in front of ECR, and MFA, driven
// through the binary against the fake ECR + STS.

const awsProfiles = `[profile prod]
aws_access_key_id = AKIDPRODKEY00001
aws_secret_access_key = SENTINEL-secret-access-key-0000

[profile base]
aws_access_key_id = AKIDBASEKEY00001
aws_secret_access_key = SENTINEL-secret-access-key-0000

[profile mfa]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = base
mfa_serial = arn:aws:iam::123456789012:mfa/alice
`

func identityEnv(t *testing.T, fake *ecrtest.Server, ecrConfig string) map[string]string {
	t.Helper()
	env := baseEnv(t, fake.URL())
	if err := os.WriteFile(env["AWS_CONFIG_FILE"], []byte(awsProfiles), 0o600); err != nil {
		t.Fatal(err)
	}
	if ecrConfig != "" {
		p := filepath.Join(env["HOME"], "ecr-config.yaml")
		if err := os.WriteFile(p, []byte(ecrConfig), 0o600); err != nil {
			t.Fatal(err)
		}
		env["AWS_ECR_CONFIG"] = p
	}
	return env
}

func TestMappingsChooseProfileRoleAndRegistry(t *testing.T) {
	const role = "arn:aws:iam::999999999999:role/pull"
	fake := ecrtest.NewServer(ecrtest.WithRequireExternalID(role, "ext-42"))
	defer fake.Close()
	env := identityEnv(t, fake, `registries:
  - match: 123456789012.dkr.ecr.us-east-1.amazonaws.com
    profile: prod
  - match: registry.example.com
    registry: 210987654321.dkr.ecr.eu-west-1.amazonaws.com
    profile: prod
  - match: "*.dkr.ecr.us-west-2.amazonaws.com"
    role_arn: `+role+`
    external_id: ext-42
`)
	// The profile, not the environment's keys, signs the call.
	mustAnswer(t, runHelper(t, env, "get", hostA))
	if c := fake.Calls(); len(c) != 1 || c[0].AccessKeyID != "AKIDPRODKEY00001" {
		t.Fatalf("calls = %+v", c)
	}
	// A name in front of ECR: the answer keeps the name, the token comes from eu-west-1.
	a := mustAnswer(t, runHelper(t, env, "get", "https://registry.example.com/v2/"))
	if a.ServerURL != "https://registry.example.com/v2/" || a.Secret != fake.Password() {
		t.Fatalf("answer = %+v", a)
	}
	if c := fake.Calls(); len(c) != 2 || c[1].Region != "eu-west-1" {
		t.Fatalf("calls = %+v", c)
	}
	// A role assumed with the default chain's credentials, with the external id.
	mustAnswer(t, runHelper(t, env, "get", "999999999999.dkr.ecr.us-west-2.amazonaws.com"))
	sts := fake.STSCalls()
	if len(sts) != 1 || sts[0].Action != "AssumeRole" || sts[0].RoleArn != role || sts[0].ExternalID != "ext-42" || sts[0].AccessKeyID != "AKIDTESTKEY00001" {
		t.Fatalf("sts calls = %+v", sts)
	}
	if c := fake.Calls(); len(c) != 3 || c[2].AssumedRole != role || c[2].Region != "us-west-2" {
		t.Fatalf("calls = %+v", c)
	}
	// Unmapped: the default chain (environment keys), and each mapping has its own entry.
	mustAnswer(t, runHelper(t, env, "get", "123456789012.dkr.ecr.us-west-1.amazonaws.com"))
	if c := fake.Calls(); len(c) != 4 || c[3].AccessKeyID != "AKIDTESTKEY00001" {
		t.Fatalf("calls = %+v", c)
	}
	for _, h := range []string{hostA, "registry.example.com", "111111111111.dkr.ecr.us-west-2.amazonaws.com"} {
		mustAnswer(t, runHelper(t, env, "get", h))
	}
	if n := fake.CallCount(); n != 4 {
		t.Fatalf("API calls = %d, want 4 (all cached)", n)
	}
}

func TestBadMappingFileFailsNamingFileAndLine(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := identityEnv(t, fake, "registries:\n  - match: 123456789012.dkr.ecr.us-east-1.amazonaws.com\n    profile: prod\n    rolearn: x\n")
	r := runHelper(t, env, "get", hostA)
	if r.code != 1 || !strings.Contains(r.stdout, env["AWS_ECR_CONFIG"]+":4") || !strings.Contains(r.stdout, `unknown key "rolearn"`) {
		t.Fatalf("exit %d stdout %q", r.code, r.stdout)
	}
	env = identityEnv(t, fake, "registries:\n  - match: 123456789012.dkr.ecr.us-east-1.amazonaws.com\n    profile: missing\n")
	r = runHelper(t, env, "get", hostA)
	if r.code != 1 || !strings.Contains(r.stdout, `profile "missing"`) || !strings.Contains(r.stdout, env["AWS_ECR_CONFIG"]+":2") {
		t.Fatalf("exit %d stdout %q", r.code, r.stdout)
	}
	if fake.CallCount() != 0 {
		t.Fatal("fell back to other credentials")
	}
}

// mfaEnv is identityEnv for profile "mfa" (a role with mfa_serial) without
// environment keys, and a terminal (AWS_ECR_TTY) that answers code.
func mfaEnv(t *testing.T, fake *ecrtest.Server, code string) map[string]string {
	t.Helper()
	env := identityEnv(t, fake, "")
	env["AWS_PROFILE"] = "mfa"
	delete(env, "AWS_ACCESS_KEY_ID")
	delete(env, "AWS_SECRET_ACCESS_KEY")
	tty := filepath.Join(t.TempDir(), "tty")
	if err := os.WriteFile(tty, []byte(code+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env["AWS_ECR_TTY"] = tty
	return env
}

func TestMFAPromptsOnTheTerminalAndKeepsTheSession(t *testing.T) {
	const role, serial = "arn:aws:iam::123456789012:role/admin", "arn:aws:iam::123456789012:mfa/alice"
	fake := ecrtest.NewServer(ecrtest.WithRequireMFA(role, serial, "123456"))
	defer fake.Close()
	env := mfaEnv(t, fake, "123456")
	tty := env["AWS_ECR_TTY"]

	// With a terminal: asked once, on the terminal, never on stdout.
	r := runHelper(t, env, "get", hostA)
	mustAnswer(t, r)
	sts := fake.STSCalls()
	if len(sts) != 1 || sts[0].TokenCode != "123456" || sts[0].SerialNumber != serial {
		t.Fatalf("sts calls = %+v", sts)
	}
	if data, _ := os.ReadFile(tty); !strings.Contains(string(data), "MFA code for "+serial) {
		t.Fatalf("no prompt on the terminal: %q", data)
	}
	// Another region needs a new ECR token but not a new code: the session is kept.
	env["AWS_ECR_TTY"] = filepath.Join(t.TempDir(), "no-terminal")
	mustAnswer(t, runHelper(t, env, "get", "123456789012.dkr.ecr.eu-central-1.amazonaws.com"))
	if n := fake.STSCallCount(); n != 1 {
		t.Fatalf("STS calls = %d, want 1 (session reused)", n)
	}
	if c := fake.Calls(); len(c) != 2 || c[1].AssumedRole != role {
		t.Fatalf("calls = %+v", c)
	}

	// No terminal and no session: a clear error naming the command to run.
	env["AWS_ECR_CACHE_DIR"] = filepath.Join(t.TempDir(), "cache2")
	r = runHelper(t, env, "get", hostA)
	if r.code != 1 || !strings.Contains(r.stdout, "docker-credential-ecr-login login --profile mfa") {
		t.Fatalf("exit %d stdout %q", r.code, r.stdout)
	}
	// `login` asks and keeps the session; pulls then work without a terminal.
	env["AWS_ECR_TTY"] = tty
	r = runHelper(t, env, "login", "") // the profile comes from AWS_PROFILE
	if r.code != 0 || !strings.Contains(r.stdout, `MFA session for profile "mfa" cached until`) {
		t.Fatalf("login: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	env["AWS_ECR_TTY"] = filepath.Join(t.TempDir(), "no-terminal")
	mustAnswer(t, runHelper(t, env, "get", hostA))
	// The session's secrets are only in the 0600 cache file.
	fi, err := os.Stat(filepath.Join(env["AWS_ECR_CACHE_DIR"], "ecr-login-cache.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("cache file: %v %v", err, fi)
	}
}
