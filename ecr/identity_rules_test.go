package ecr

import (
	"context"
	"net/http/httptest"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// TestProfileDefaultReplacesDefault: with both [default] and [profile
// default] in the config file, the SDK reads [profile default] only; the
// description (shown in errors) must not name [default]'s static keys.
func TestProfileDefaultReplacesDefault(t *testing.T) {
	id := mustResolveIn(t, t.TempDir(), idSetup{config: "[default]\n" + keys("AKIASTATIC00S001") +
		"[profile default]\ncredential_process = /bin/false\n"})
	if id.Source != SourceProcess || strings.Contains(id.Description, "S001") {
		t.Fatalf("got %s: %s", id.Source, id.Description)
	}
	id = mustResolveIn(t, t.TempDir(), idSetup{config: "[default]\n" + keys("AKIASTATIC00S001") +
		"[profile default]\nrole_arn = " + diffRoleB + "\nsource_profile = base\n[profile base]\n" + keys("AKIABASE0000B001")})
	if id.Source != SourceAssumeRole || !strings.Contains(id.Description, diffRoleB) || strings.Contains(id.Description, "S001") {
		t.Fatalf("got %s: %s", id.Source, id.Description)
	}
	// [default] alone is still read.
	id = mustResolveIn(t, t.TempDir(), idSetup{config: "[default]\n" + keys("AKIASTATIC00S001")})
	if id.Source != SourceStatic || !strings.Contains(id.Description, "S001") {
		t.Fatalf("got %s: %s", id.Source, id.Description)
	}
}

// TestEndpointSettingsAreInTheKey: endpoint settings that cannot be run
// against a fake (ignoring configured endpoints sends the SDK to AWS) are
// checked on the key alone.
func TestEndpointSettingsAreInTheKey(t *testing.T) {
	dir := t.TempDir()
	base := "[default]\n" + keys("AKIADEF00000D001")
	mustBeDistinct(t, dir, map[string]idSetup{
		"plain":                       {config: base},
		"env ignore":                  {config: base, env: map[string]string{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}},
		"profile ignore":              {config: base + "ignore_configured_endpoint_urls = true\n"},
		"profile endpoint_url":        {config: base + "endpoint_url = http://127.0.0.1:1\n"},
		"services ecr":                {config: base + "services = s\n[services s]\necr =\n  endpoint_url = http://127.0.0.1:1\n"},
		"services sts":                {config: base + "services = s\n[services s]\nsts =\n  endpoint_url = http://127.0.0.1:1\n"},
		"AWS_ENDPOINT_URL_STS":        {config: base, env: map[string]string{"AWS_ENDPOINT_URL_STS": "http://127.0.0.1:1"}},
		"AWS_ENDPOINT_URL_ECR_PUBLIC": {config: base, env: map[string]string{"AWS_ENDPOINT_URL_ECR_PUBLIC": "http://127.0.0.1:1"}},
	})
}

// TestHomeAsTheSDKFindsIt: HOME unset means the account's home
// (user.Current), as in the SDK; relative file paths are keyed absolute.
func TestHomeAsTheSDKFindsIt(t *testing.T) {
	u, err := user.Current()
	if err != nil || u.HomeDir == "" || runtime.GOOS == "windows" {
		t.Skip("no account home to compare with")
	}
	if got := UserHomeDir(idEnv(nil)); got != u.HomeDir {
		t.Errorf("UserHomeDir without HOME = %q, want %q", got, u.HomeDir)
	}
	if got := UserHomeDir(idEnv(map[string]string{"HOME": "/h"})); got != "/h" {
		t.Errorf("UserHomeDir = %q, want /h", got)
	}
	cfg, creds := SharedConfigPaths(idEnv(nil))
	if cfg != filepath.Join(u.HomeDir, ".aws", "config") || creds != filepath.Join(u.HomeDir, ".aws", "credentials") {
		t.Errorf("SharedConfigPaths without HOME = %q, %q", cfg, creds)
	}
	wd, _ := os.Getwd()
	if cfg, _ := SharedConfigPaths(idEnv(map[string]string{"AWS_CONFIG_FILE": "rel/config"})); cfg != filepath.Join(wd, "rel", "config") {
		t.Errorf("relative AWS_CONFIG_FILE = %q, want it absolute", cfg)
	}
}

// TestLoginUnknownProfileSaysSo: `login --profile nope` names the profile
// and the files, not "from :".
func TestLoginUnknownProfileSaysSo(t *testing.T) {
	dir := t.TempDir()
	env := idEnv(map[string]string{"HOME": dir, "USERPROFILE": dir, "AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_EC2_METADATA_DISABLED": "true"})
	h := NewHelper(Config{Env: env, CacheDir: filepath.Join(dir, "cache")})
	_, err := h.Login(context.Background(), "nope")
	if err == nil || !strings.Contains(err.Error(), `profile "nope" is not defined`) || strings.Contains(err.Error(), "from :") {
		t.Fatalf("got %v", err)
	}
}

// TestDoctorSaysKeyMode: doctor names the cache key mode in use.
func TestDoctorSaysKeyMode(t *testing.T) {
	for _, byCreds := range []bool{false, true} {
		home := t.TempDir()
		h := NewHelper(Config{Env: idEnv(map[string]string{"HOME": home, "USERPROFILE": home, "AWS_ACCESS_KEY_ID": "AKIAENV00000E001", "AWS_SECRET_ACCESS_KEY": "s"}),
			CacheDisabled: true, KeyByCredentials: byCreds}, WithFetcher(&fakeFetcher{}))
		found := false
		for _, c := range h.Doctor(context.Background(), "") {
			if c.Name == "cache key" {
				found = true
				if strings.HasPrefix(c.Detail, "by the resolved access key id") != byCreds {
					t.Errorf("KeyByCredentials=%v: %q", byCreds, c.Detail)
				}
			}
		}
		if !found {
			t.Errorf("KeyByCredentials=%v: no cache key check", byCreds)
		}
	}
}

// TestKeyByCredentialsRunsTheProcessOnHits: in the opt-in mode a hit runs
// credential_process (and follows what it prints), a miss runs it once; in
// the default mode a hit runs nothing.
func TestKeyByCredentialsRunsTheProcessOnHits(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses a /bin/sh credential process")
	}
	var fake *ecrtest.Fake
	fake = ecrtest.New(ecrtest.WithPasswordFunc(func(c ecrtest.Call) string { return "key:" + c.AccessKeyID }))
	ts := httptest.NewServer(fake)
	t.Cleanup(func() { fake.Close(); ts.Close() })
	dir := t.TempDir()
	set := clearAWSEnv(t)
	runs := filepath.Join(dir, "runs")
	script := filepath.Join(dir, "proc.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho x >> "+runs+"\n"+strings.SplitN(procScript, "\n", 2)[1]), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte("[default]\ncredential_process = "+script+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"HOME": dir, "AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL_ECR": ts.URL, "AWS_REGION": "us-east-1"} {
		set(k, v)
	}
	countRuns := func() int {
		b, _ := os.ReadFile(runs)
		return strings.Count(string(b), "x")
	}
	for _, byCreds := range []bool{false, true} {
		os.Remove(runs)
		cacheDir := t.TempDir()
		get := func(who, want string) {
			t.Helper()
			set("WHO", who)
			env := getenvSnapshot()
			h := NewHelper(Config{Env: env, CacheDir: cacheDir, KeyByCredentials: byCreds}, WithFetcher(NewSDKFetcher(WithEnv(env))))
			if _, pass, err := h.Get(diffRegistry); err != nil || pass != want {
				t.Fatalf("KeyByCredentials=%v WHO=%s: got %q, %v; want %q", byCreds, who, pass, err, want)
			}
		}
		get("ALICE", "key:AKIAPROCALICE")
		if n := countRuns(); n != 1 {
			t.Errorf("KeyByCredentials=%v: a miss ran the process %d times, want 1", byCreds, n)
		}
		if byCreds {
			get("ALICE", "key:AKIAPROCALICE")
			get("BOB", "key:AKIAPROCBOB")
			if n := countRuns(); n != 3 {
				t.Errorf("the process ran %d times over a miss, a hit and a miss, want 3", n)
			}
		} else {
			get("BOB", "key:AKIAPROCALICE") // documented: keyed by the command line
			if n := countRuns(); n != 1 {
				t.Errorf("a default-mode hit ran the process (%d runs)", n)
			}
		}
	}
}
