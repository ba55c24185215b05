package ecr

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
	"github.com/ecr-login/ecr-login/ecr/local"
)

// The differential identity test. The SDK, with the cache off, is the
// oracle: for each credential setup of the corpus, a child process (a fresh
// SDK: it reads HOME and the shared file paths at start) runs the real
// SDKFetcher against the ecrtest fakes and reports which principal signed
// the GetAuthorizationToken call and which endpoint served it; the same
// child computes our cache key (ResolveIdentity + Helper.cacheKey, and the
// AWS_ECR_KEY_BY_CREDENTIALS variant). For every pair of setups: if the
// principal or the endpoint differ, the keys must differ.
//
// The fakes name the signer in the password they answer: ECR A and B return
// "<server>|role:<arn>" for keys their STS issued, else "<server>|key:<id>".
// Web identity, SSO and container credentials have small fakes here that
// derive the key id from what decides the principal (role, account/role,
// authorization token), so a mix-up shows.

const (
	diffRegistry  = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	diffMFASerial = "arn:aws:iam::000000000000:mfa/me"
	diffMFACode   = "123456"
	diffRoleA     = "arn:aws:iam::111111111111:role/A"
	diffRoleB     = "arn:aws:iam::222222222222:role/B"
	diffRoleC     = "arn:aws:iam::333333333333:role/C"
	diffRoleMFA   = "arn:aws:iam::444444444444:role/MFA"
)

// diffSetup is one credential setup. Files are relative to the fixture
// directory (the same one for every setup, so paths match unless a setup
// moves them); "$DIR", "$A", "$B", "$CTR" in values and bodies stand for
// the directory, the two ECR fakes and the container credentials server.
// An env value "-" removes a variable of the base environment.
type diffSetup struct {
	name  string
	env   map[string]string
	files map[string]string
	cwd   string // working directory, relative to the fixture dir
	// sameCommandLine: a credential_process whose output depends on more
	// than its command line. The default key cannot see that (documented
	// rule); only the AWS_ECR_KEY_BY_CREDENTIALS key must tell them apart.
	sameCommandLine string
}

type diffResult struct {
	Key, CredsKey string // our keys; "" when the setup is an error for us
	KeyErr        string
	Password      string // the fake's answer: endpoint and principal; "" when the fetch failed
	FetchErr      string
}

func keys(id string) string { return "aws_access_key_id = " + id + "\naws_secret_access_key = s\n" }

const procScript = "#!/bin/sh\nprintf '{\"Version\":1,\"AccessKeyId\":\"AKIAPROC%s\",\"SecretAccessKey\":\"s\"}' \"$WHO\"\n"

func diffCorpus() []diffSetup {
	base := "[profile base]\n" + keys("AKIABASE0000B001")
	role := func(arn, extra string) string {
		return "[default]\nrole_arn = " + arn + "\nsource_profile = base\n" + extra + base
	}
	sso := func(account, roleName string) map[string]string {
		return map[string]string{
			"home/.aws/config": "[default]\nsso_session = corp\nsso_account_id = " + account + "\nsso_role_name = " + roleName +
				"\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
			"home/.aws/sso/cache/" + sha1hex("corp") + ".json": `{"accessToken":"sso-access-token","expiresAt":"2099-01-01T00:00:00Z","region":"us-east-1","startUrl":"https://corp.awsapps.com/start"}`,
		}
	}
	cfg := func(body string) map[string]string { return map[string]string{"home/.aws/config": body} }
	cred := func(body string) map[string]string { return map[string]string{"home/.aws/credentials": body} }
	env := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	proc := func(who, cmd string) diffSetup {
		return diffSetup{name: "credential_process " + cmd + " WHO=" + who, env: env("WHO", who),
			files:           map[string]string{"home/.aws/config": "[default]\ncredential_process = " + cmd + "\n", "proc.sh": procScript, "proc2.sh": procScript},
			sameCommandLine: cmd}
	}
	services := func(ep string) map[string]string {
		return cfg("[default]\nservices = s\n" + keys("AKIADEF00000D001") + "[services s]\necr =\n  endpoint_url = " + ep + "\n")
	}
	relFiles := map[string]string{"a/rel/config": "[default]\ncredential_process = sh proc.sh\n", "b/rel/config": "[default]\ncredential_process = sh proc.sh\n",
		"a/proc.sh": strings.Replace(procScript, "%s", "%sINA", 1), "b/proc.sh": strings.Replace(procScript, "%s", "%sINB", 1)}
	return []diffSetup{
		{name: "env keys 1", env: env("AWS_ACCESS_KEY_ID", "AKIAENV00000E001", "AWS_SECRET_ACCESS_KEY", "s")},
		{name: "env keys 2", env: env("AWS_ACCESS_KEY_ID", "AKIAENV00000E002", "AWS_SECRET_ACCESS_KEY", "s")},
		{name: "alias keys", env: env("AWS_ACCESS_KEY", "AKIAALI00000A001", "AWS_SECRET_KEY", "s")},
		{name: "alias keys same as env 1", env: env("AWS_ACCESS_KEY", "AKIAENV00000E001", "AWS_SECRET_KEY", "s")},
		{name: "env keys over an MFA profile", env: env("AWS_ACCESS_KEY_ID", "AKIAENV00000E003", "AWS_SECRET_ACCESS_KEY", "s"),
			files: cfg(role(diffRoleMFA, "mfa_serial = "+diffMFASerial+"\n"))},
		{name: "default static", files: cred("[default]\n" + keys("AKIADEF00000D001"))},
		{name: "default static edited", files: cred("[default]\n" + keys("AKIADEF00000D002"))},
		{name: "AWS_PROFILE static", env: env("AWS_PROFILE", "p"), files: cfg("[profile p]\n" + keys("AKIAPRO00000P001"))},
		{name: "AWS_DEFAULT_PROFILE static", env: env("AWS_DEFAULT_PROFILE", "p"), files: cfg("[profile p]\n" + keys("AKIAPRO00000P002"))},
		{name: "[profile default] replaces [default]", files: cfg("[default]\n" + keys("AKIACFG00000C001") +
			"[profile default]\nrole_arn = " + diffRoleB + "\nsource_profile = base\n" + base)},
		{name: "[default] only", files: cfg("[default]\n" + keys("AKIACFG00000C001"))},
		{name: "role A", files: cfg(role(diffRoleA, ""))},
		{name: "role B", files: cfg(role(diffRoleB, ""))},
		{name: "role A then C", files: cfg("[default]\nrole_arn = " + diffRoleC + "\nsource_profile = mid\n[profile mid]\nrole_arn = " +
			diffRoleA + "\nsource_profile = base\n" + base)},
		{name: "role with MFA", files: cfg(role(diffRoleMFA, "mfa_serial = "+diffMFASerial+"\n"))},
		{name: "SSO account 1", files: sso("111111111111", "Admin")},
		{name: "SSO account 2", files: sso("222222222222", "Admin")},
		{name: "SSO account 1 other role", files: sso("111111111111", "ReadOnly")},
		{name: "web identity env role A", env: env("AWS_WEB_IDENTITY_TOKEN_FILE", "$DIR/wi-token", "AWS_ROLE_ARN", diffRoleA),
			files: map[string]string{"wi-token": "jwt-a"}},
		{name: "web identity env role B", env: env("AWS_WEB_IDENTITY_TOKEN_FILE", "$DIR/wi-token", "AWS_ROLE_ARN", diffRoleB),
			files: map[string]string{"wi-token": "jwt-a"}},
		{name: "web identity profile role C", files: map[string]string{"wi-token": "jwt-a",
			"home/.aws/config": "[default]\nrole_arn = " + diffRoleC + "\nweb_identity_token_file = $DIR/wi-token\n"}},
		{name: "container token 1", env: env("AWS_CONTAINER_CREDENTIALS_FULL_URI", "$CTR/creds", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "ctr-token-1")},
		{name: "container token 2", env: env("AWS_CONTAINER_CREDENTIALS_FULL_URI", "$CTR/creds", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "ctr-token-2")},
		{name: "container token file 1", env: env("AWS_CONTAINER_CREDENTIALS_FULL_URI", "$CTR/creds", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "$DIR/ctr-token"),
			files: map[string]string{"ctr-token": "ctr-file-token-1"}},
		{name: "container token file 2", env: env("AWS_CONTAINER_CREDENTIALS_FULL_URI", "$CTR/creds", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "$DIR/ctr-token"),
			files: map[string]string{"ctr-token": "ctr-file-token-2"}},
		proc("ALICE", "$DIR/proc.sh"),
		proc("BOB", "$DIR/proc.sh"),
		proc("ALICE", "$DIR/proc2.sh"),
		{name: "[services] endpoint B", env: env("AWS_ENDPOINT_URL_ECR", "-"), files: services("$B")},
		{name: "[services] endpoint A", env: env("AWS_ENDPOINT_URL_ECR", "-"), files: services("$A")},
		{name: "profile endpoint_url B", env: env("AWS_ENDPOINT_URL_ECR", "-"), files: cfg("[default]\nendpoint_url = $B\n" + keys("AKIADEF00000D001"))},
		{name: "AWS_ENDPOINT_URL B", env: env("AWS_ENDPOINT_URL_ECR", "-", "AWS_ENDPOINT_URL", "$B"), files: cred("[default]\n" + keys("AKIADEF00000D001"))},
		{name: "AWS_ENDPOINT_URL_ECR B", env: env("AWS_ENDPOINT_URL_ECR", "$B"), files: cred("[default]\n" + keys("AKIADEF00000D001"))},
		{name: "HOME moved", env: env("HOME", "$DIR/home2"), files: map[string]string{"home2/.aws/credentials": "[default]\n" + keys("AKIAHOM00000H002")}},
		// HOME unset, a relative AWS_CONFIG_FILE: the SDK reads it (and runs
		// the relative credential_process) from the working directory.
		{name: "HOME unset, relative config from a", env: env("HOME", "-", "AWS_CONFIG_FILE", "rel/config", "WHO", "A"), cwd: "a", files: relFiles},
		{name: "HOME unset, relative config from b", env: env("HOME", "-", "AWS_CONFIG_FILE", "rel/config", "WHO", "A"), cwd: "b", files: relFiles},
		// Review of issue 10's key (review10): a profile in both files takes
		// from the credentials file only the SDK's merged keys
		// (config.mergeSections): endpoint_url there is ignored.
		{name: "endpoint_url in config A, in credentials B", env: env("AWS_ENDPOINT_URL_ECR", "-"),
			files: map[string]string{"home/.aws/config": "[default]\nendpoint_url = $A\n", "home/.aws/credentials": "[default]\nendpoint_url = $B\n" + keys("AKIADEF00000D001")}},
		{name: "endpoint_url in config B, in credentials B", env: env("AWS_ENDPOINT_URL_ECR", "-"),
			files: map[string]string{"home/.aws/config": "[default]\nendpoint_url = $B\n", "home/.aws/credentials": "[default]\nendpoint_url = $B\n" + keys("AKIADEF00000D001")}},
		{name: "services in config A, in credentials B", env: env("AWS_ENDPOINT_URL_ECR", "-"),
			files: map[string]string{"home/.aws/config": "[default]\nservices = a\n[services a]\necr =\n  endpoint_url = $A\n[services b]\necr =\n  endpoint_url = $B\n",
				"home/.aws/credentials": "[default]\nservices = b\n" + keys("AKIADEF00000D001")}},
		{name: "services in config B, in credentials B", env: env("AWS_ENDPOINT_URL_ECR", "-"),
			files: map[string]string{"home/.aws/config": "[default]\nservices = b\n[services a]\necr =\n  endpoint_url = $A\n[services b]\necr =\n  endpoint_url = $B\n",
				"home/.aws/credentials": "[default]\nservices = b\n" + keys("AKIADEF00000D001")}},
		// A [services x] (or [sso-session x]) section only the credentials
		// file has is merged in whole (config.mergeSections).
		{name: "[services s] in credentials A", env: env("AWS_ENDPOINT_URL_ECR", "-"), files: map[string]string{"home/.aws/config": "[default]\nservices = s\n",
			"home/.aws/credentials": "[default]\n" + keys("AKIADEF00000D001") + "[services s]\necr =\n  endpoint_url = $A\n"}},
		{name: "[services s] in credentials B", env: env("AWS_ENDPOINT_URL_ECR", "-"), files: map[string]string{"home/.aws/config": "[default]\nservices = s\n",
			"home/.aws/credentials": "[default]\n" + keys("AKIADEF00000D001") + "[services s]\necr =\n  endpoint_url = $B\n"}},
		// A config section [Default] (any case) is kept under its own name
		// (config.processConfigSections: strings.EqualFold) and found by
		// exact name.
		{name: "AWS_DEFAULT_PROFILE=Default, [Default] 1", env: env("AWS_DEFAULT_PROFILE", "Default"), files: cfg("[Default]\n" + keys("AKIACAS00000K001"))},
		{name: "AWS_DEFAULT_PROFILE=Default, [Default] 2", env: env("AWS_DEFAULT_PROFILE", "Default"), files: cfg("[Default]\n" + keys("AKIACAS00000K002"))},
		{name: "AWS_PROFILE=DEFAULT, [profile DEFAULT]", env: env("AWS_PROFILE", "DEFAULT"), files: cfg("[DEFAULT]\n" + keys("AKIACAS00000K003") + "[profile DEFAULT]\n" + keys("AKIACAS00000K004"))},
		{name: "config file moved", env: env("AWS_CONFIG_FILE", "$DIR/moved/config"), files: map[string]string{"moved/config": "[default]\n" + keys("AKIAMOV00000M001")}},
		{name: "credentials file moved", env: env("AWS_SHARED_CREDENTIALS_FILE", "$DIR/moved/credentials"), files: map[string]string{"moved/credentials": "[default]\n" + keys("AKIAMOV00000M002")}},
	}
}

func sha1hex(s string) string { h := sha1.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return strings.ToUpper(hex.EncodeToString(h[:6]))
}

// diffWorld is the fakes: ECR+STS A (with web identity and SSO portal
// handlers in front), ECR B, and a container credentials endpoint.
type diffWorld struct {
	a, b       *ecrtest.Fake
	aURL, bURL string
	ctrURL     string
}

func newDiffWorld(t *testing.T) *diffWorld {
	w := &diffWorld{}
	name := func(server string) func(ecrtest.Call) string {
		return func(c ecrtest.Call) string {
			if r := w.a.AssumedRole(c.AccessKeyID); r != "" {
				return server + "|role:" + r
			}
			return server + "|key:" + c.AccessKeyID
		}
	}
	w.a = ecrtest.New(ecrtest.WithPasswordFunc(name("A")), ecrtest.WithRequireMFA(diffRoleMFA, diffMFASerial, diffMFACode))
	w.b = ecrtest.New(ecrtest.WithPasswordFunc(name("B")))
	sa := httptest.NewServer(frontA(w.a))
	sb := httptest.NewServer(w.b)
	ctr := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		// The key id names the authorization token that asked.
		fmt.Fprintf(rw, `{"AccessKeyId":"ASIACTR%s","SecretAccessKey":"s","Token":"t","Expiration":"2099-01-01T00:00:00Z"}`, shortHash(r.Header.Get("Authorization")))
	}))
	t.Cleanup(func() { w.a.Close(); w.b.Close(); sa.Close(); sb.Close(); ctr.Close() })
	w.aURL, w.bURL, w.ctrURL = sa.URL, sb.URL, ctr.URL
	return w
}

// frontA answers AssumeRoleWithWebIdentity and SSO GetRoleCredentials with
// key ids derived from the role (account and role name), and passes
// everything else to the ECR/STS fake.
func frontA(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/federation/credentials" {
			q := r.URL.Query()
			rw.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(rw, `{"roleCredentials":{"accessKeyId":"ASIASSO%s","secretAccessKey":"s","sessionToken":"t","expiration":%d}}`,
				shortHash(q.Get("account_id")+"/"+q.Get("role_name")), time.Now().Add(time.Hour).UnixMilli())
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") == "AssumeRoleWithWebIdentity" {
			rw.Header().Set("Content-Type", "text/xml")
			fmt.Fprintf(rw, `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>`+
				`<Credentials><AccessKeyId>ASIAWEB%s</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>`+
				`<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult>`+
				`<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`, shortHash(form.Get("RoleArn")))
			return
		}
		next.ServeHTTP(rw, r)
	})
}

// childJob is one setup, expanded, as the child process gets it.
type childJob struct {
	Env   []string          // the whole environment
	Files map[string]string // relative path -> body
	Cwd   string            // absolute working directory
}

// runAll runs the corpus in child processes, one per value of HOME (the
// SDK reads its default file paths from HOME when it starts, so a child
// must start with the HOME of the setups it runs); each child runs its
// setups one after the other in the same fixture directory.
func (w *diffWorld) runAll(t *testing.T, dir string, corpus []diffSetup) []diffResult {
	t.Helper()
	expand := strings.NewReplacer("$DIR", dir, "$A", w.aURL, "$B", w.bURL, "$CTR", w.ctrURL).Replace
	groups := map[string][]int{}
	jobs := make([]childJob, len(corpus))
	for i, s := range corpus {
		env := map[string]string{
			"PATH":                      os.Getenv("PATH"),
			"HOME":                      filepath.Join(dir, "home"),
			"AWS_REGION":                "us-east-1",
			"AWS_EC2_METADATA_DISABLED": "true",
			"AWS_ENDPOINT_URL_ECR":      w.aURL,
			"AWS_ENDPOINT_URL_STS":      w.aURL,
			"AWS_ENDPOINT_URL_SSO":      w.aURL,
		}
		for k, v := range s.env {
			if v == "-" {
				delete(env, k)
			} else {
				env[k] = expand(v)
			}
		}
		files := map[string]string{}
		for k, v := range s.files {
			files[k] = expand(v)
		}
		for k, v := range env {
			jobs[i].Env = append(jobs[i].Env, k+"="+v)
		}
		sort.Strings(jobs[i].Env)
		jobs[i].Files, jobs[i].Cwd = files, filepath.Join(dir, s.cwd)
		home, ok := env["HOME"]
		if !ok {
			home = "-"
		}
		groups[home] = append(groups[home], i)
	}
	results := make([]diffResult, len(corpus))
	for home, idx := range groups {
		batch := make([]childJob, len(idx))
		for n, i := range idx {
			batch[n] = jobs[i]
		}
		js, _ := json.Marshal(batch)
		batchFile := filepath.Join(t.TempDir(), "batch.json")
		if err := os.WriteFile(batchFile, js, 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestDifferentialChild$", "-test.count=1")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "ECR_DIFF_BATCH=" + batchFile, "ECR_DIFF_DIR=" + dir}
		if home != "-" {
			cmd.Env = append(cmd.Env, "HOME="+home)
		}
		out, err := cmd.CombinedOutput()
		cancel()
		got := 0
		for _, line := range strings.Split(string(out), "\n") {
			var r struct {
				N int
				diffResult
			}
			if rest, ok := strings.CutPrefix(line, "DIFF:"); ok && json.Unmarshal([]byte(rest), &r) == nil && r.N < len(idx) {
				results[idx[r.N]] = r.diffResult
				got++
			}
		}
		if got != len(idx) {
			t.Fatalf("child for HOME=%s answered %d of %d setups (%v):\n%s", home, got, len(idx), err, out)
		}
	}
	return results
}

// TestDifferentialChild is the child process of TestIdentityDifferential;
// run directly it does nothing.
func TestDifferentialChild(t *testing.T) {
	batchFile := os.Getenv("ECR_DIFF_BATCH")
	if batchFile == "" {
		return
	}
	dir := os.Getenv("ECR_DIFF_DIR")
	js, err := os.ReadFile(batchFile)
	var batch []childJob
	if err != nil || json.Unmarshal(js, &batch) != nil {
		t.Fatalf("batch: %v", err)
	}
	reg, err := ParseRegistry(diffRegistry)
	if err != nil {
		t.Fatal(err)
	}
	prompt := func(context.Context, string) (string, error) { return diffMFACode, nil }
	for n, job := range batch {
		// The same paths for every setup: empty the directory, write its files.
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
		for _, d := range []string{"home", "a", "b"} {
			if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
				t.Fatal(err)
			}
		}
		for name, body := range job.Files {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(body), 0o700); err != nil {
				t.Fatal(err)
			}
		}
		os.Clearenv()
		for _, kv := range job.Env {
			k, v, _ := strings.Cut(kv, "=")
			os.Setenv(k, v)
		}
		if err := os.Chdir(job.Cwd); err != nil {
			t.Fatal(err)
		}
		env := getenvSnapshot()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var r diffResult
		h := NewHelper(Config{Env: env, CacheDisabled: true, KeyByCredentials: true},
			WithFetcher(NewSDKFetcher(WithEnv(env), WithPrompter(prompt))))
		if id, err := local.IdentityFor(env, Access{}); err != nil {
			r.KeyErr = err.Error()
		} else {
			r.Key = local.CacheKey(id, reg)
			if _, cid, err := h.keyByCredentials(ctx, reg, Access{}, id); err == nil {
				r.CredsKey = local.CacheKey(cid, reg)
			}
		}
		tok, err := NewSDKFetcher(WithEnv(env), WithPrompter(prompt)).FetchToken(ctx, reg, Access{})
		cancel()
		if err != nil {
			r.FetchErr = err.Error()
		}
		r.Password = tok.Password
		b, _ := json.Marshal(struct {
			N int
			diffResult
		}{n, r})
		fmt.Println("DIFF:" + string(b))
	}
}

func getenvSnapshot() Getenv {
	m := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return func(k string) string { return m[k] }
}

func TestIdentityDifferential(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the corpus uses /bin/sh credential processes")
	}
	w := newDiffWorld(t)
	dir := t.TempDir()
	corpus := diffCorpus()
	results := w.runAll(t, dir, corpus)
	for i, s := range corpus {
		r := results[i]
		if r.Password == "" || r.KeyErr != "" {
			t.Errorf("%s: the setup must work for the SDK and for us: fetch %q, key %q", s.name, r.FetchErr, r.KeyErr)
		}
		t.Logf("%-45s %s", s.name, r.Password)
	}
	for i := range corpus {
		for j := i + 1; j < len(corpus); j++ {
			a, b := results[i], results[j]
			if a.Password == b.Password {
				continue
			}
			if a.Key == b.Key && (corpus[i].sameCommandLine == "" || corpus[i].sameCommandLine != corpus[j].sameCommandLine) {
				t.Errorf("%q (%s) and %q (%s) share the cache key %s", corpus[i].name, a.Password, corpus[j].name, b.Password, a.Key)
			}
			if a.CredsKey == b.CredsKey {
				t.Errorf("AWS_ECR_KEY_BY_CREDENTIALS: %q (%s) and %q (%s) share the cache key %s", corpus[i].name, a.Password, corpus[j].name, b.Password, a.CredsKey)
			}
		}
	}
}
