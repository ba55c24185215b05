//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// ---------------------------------------------------------------------------
// 6. Secrets never leak
// ---------------------------------------------------------------------------

const (
	sentinelSecret   = "SENTINEL-SECRET-ACCESS-KEY-5b1e0c"
	sentinelSession  = "SENTINEL-SESSION-TOKEN-5b1e0c"
	sentinelPassword = "SENTINEL-ECR-PASSWORD-5b1e0c"
)

// Every code path, run with sentinel secrets and a debug log file: the AWS
// secret key and session token appear nowhere, and the ECR password only in
// a successful answer's Secret and in the 0600 cache file.
func TestSentinelSecretsNeverLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs every command and fault against the binary (about 20s); make test runs it")
	}
	root := t.TempDir()
	fake := ecrtest.NewServer(ecrtest.WithPassword(sentinelPassword))
	defer fake.Close()
	sentinels := []string{sentinelSecret, sentinelSession, sentinelPassword}

	var mu sync.Mutex
	n := 0
	newEnv := func() map[string]string {
		mu.Lock()
		n++
		i := n
		mu.Unlock()
		home := filepath.Join(root, fmt.Sprintf("home-%02d", i))
		if err := os.MkdirAll(filepath.Join(home, "tmp"), 0o700); err != nil {
			t.Fatal(err)
		}
		env := baseEnv(t, fake.URL())
		env["HOME"] = home
		env["TMPDIR"] = filepath.Join(home, "tmp")
		env["AWS_SECRET_ACCESS_KEY"] = sentinelSecret
		env["AWS_SESSION_TOKEN"] = sentinelSession
		env["AWS_ECR_CACHE_DIR"] = filepath.Join(home, "cache")
		env["AWS_CONFIG_FILE"] = filepath.Join(home, "aws-config")
		env["AWS_SHARED_CREDENTIALS_FILE"] = filepath.Join(home, "aws-credentials")
		env["AWS_ECR_LOG_FILE"] = filepath.Join(home, "helper.log")
		env["AWS_ECR_LOG_LEVEL"] = "debug"
		env["AWS_ECR_TIMEOUT"] = "2s"
		return env
	}
	// check inspects one run. secretOK: stdout may carry the password as the
	// protocol answer's Secret (get) or as the whole output (token).
	check := func(t *testing.T, what string, r run, allowed string) {
		t.Helper()
		out := r.stdout
		switch allowed {
		case "secret":
			var a map[string]any
			if json.Unmarshal([]byte(out), &a) == nil && a["Secret"] == sentinelPassword {
				delete(a, "Secret")
				b, _ := json.Marshal(a)
				out = string(b)
			}
		case "token":
			if out == sentinelPassword+"\n" {
				out = ""
			}
		case "provider":
			var a map[string]any
			if json.Unmarshal([]byte(out), &a) == nil {
				if auth, ok := a["auth"].(map[string]any); ok {
					for _, v := range auth {
						if m, ok := v.(map[string]any); ok && m["password"] == sentinelPassword {
							delete(m, "password")
						}
					}
				}
				b, _ := json.Marshal(a)
				out = string(b)
			}
		}
		for _, s := range sentinels {
			if strings.Contains(out, s) {
				t.Errorf("%s: %s on stdout: %s", what, s, r.stdout)
			}
			if strings.Contains(r.stderr, s) {
				t.Errorf("%s: %s on stderr: %s", what, s, r.stderr)
			}
		}
	}
	getOK := func(t *testing.T, what string, env map[string]string, host string) {
		t.Helper()
		r := get(t, env, host)
		if a := answered(t, r); a.Secret != sentinelPassword {
			t.Fatalf("%s: %+v", what, a)
		}
		check(t, what, r, "secret")
	}

	t.Run("get-miss-hit-list-store-erase-token", func(t *testing.T) {
		env := newEnv()
		getOK(t, "cold get", env, hostA)
		getOK(t, "cached get", env, hostB)
		r := invoke(t, invocation{args: []string{"list"}, env: env})
		check(t, "list", r, "")
		store := `{"ServerURL":"` + hostA + `","Username":"AWS","Secret":"` + sentinelPassword + `"}`
		check(t, "store", invoke(t, invocation{args: []string{"store"}, env: env, stdin: []byte(store)}), "")
		check(t, "erase", invoke(t, invocation{args: []string{"erase"}, env: env, stdin: []byte(hostA)}), "")
		r = invoke(t, invocation{args: []string{"token", hostA}, env: env})
		if r.code != 0 || r.stdout != sentinelPassword+"\n" {
			t.Errorf("token: exit %d stdout %q", r.code, r.stdout)
		}
		check(t, "token", r, "token")
		check(t, "not ECR", get(t, env, "docker.io"), "")
		check(t, "userinfo", get(t, env, "https://AWS:"+sentinelPassword+"@"+hostA), "secret")
		check(t, "version", invoke(t, invocation{args: []string{"version"}, env: env}), "")
		env2 := cloneEnv(env)
		env2["AWS_ECR_TIMEOUT"] = "soon"
		check(t, "bad setting", get(t, env2, hostA), "")
		env3 := cloneEnv(env)
		env3["AWS_ECR_DISABLE_CACHE"] = "1"
		getOK(t, "cache disabled", env3, hostA)
	})
	t.Run("faults", func(t *testing.T) {
		for _, tc := range append([]faultCase{{fault: ecrtest.Fault{Kind: ecrtest.FaultExpiredAuth}}}, faultCases...) {
			t.Run(tc.fault.Kind.String(), func(t *testing.T) {
				t.Parallel()
				f := ecrtest.NewServer(ecrtest.WithPassword(sentinelPassword))
				defer f.Close()
				env := newEnv()
				env["AWS_ENDPOINT_URL_ECR"] = f.URL()
				// Cold: a failure (or the once-served expired token).
				f.SetFault(tc.fault)
				check(t, "cold", get(t, env, hostA), "secret")
				// Warm, stale but valid: the cached token with a warning.
				f.SetFault(ecrtest.Fault{})
				getOK(t, "fill", env, hostA)
				ageCache(t, env["AWS_ECR_CACHE_DIR"], -(11*time.Hour + 30*time.Minute), 30*time.Minute)
				f.SetFault(tc.fault)
				getOK(t, "stale", env, hostA)
			})
		}
	})
	t.Run("filesystem", func(t *testing.T) {
		env := newEnv()
		home := env["HOME"]
		// World-writable directory.
		if err := os.Mkdir(filepath.Join(home, "cache"), 0o700); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Join(home, "cache"), 0o777)
		getOK(t, "world-writable", env, hostA)
		// Cache file a symlink to a file outside.
		env = newEnv()
		home = env["HOME"]
		os.Mkdir(filepath.Join(home, "cache"), 0o700)
		os.WriteFile(filepath.Join(home, "outside"), []byte("{}"), 0o600)
		os.Symlink(filepath.Join(home, "outside"), filepath.Join(home, "cache", "ecr-login-cache.json"))
		getOK(t, "symlink", env, hostA)
		// Uncreatable directory.
		env = newEnv()
		os.WriteFile(filepath.Join(env["HOME"], "file"), nil, 0o600)
		env["AWS_ECR_CACHE_DIR"] = filepath.Join(env["HOME"], "file", "cache")
		getOK(t, "uncreatable", env, hostA)
		// Corrupt cache file.
		env = newEnv()
		os.Mkdir(filepath.Join(env["HOME"], "cache"), 0o700)
		os.WriteFile(filepath.Join(env["HOME"], "cache", "ecr-login-cache.json"), []byte(`{"version":1,"entries":{"k":{"password":`), 0o600)
		getOK(t, "corrupt", env, hostA)
	})
	t.Run("provider", func(t *testing.T) {
		bin := providerBinary(t)
		env := newEnv()
		req := `{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"` + hostA + `/app:1"}`
		for i := 0; i < 2; i++ { // miss, then hit
			r := invoke(t, invocation{bin: bin, env: env, stdin: []byte(req)})
			if r.code != 0 || !strings.Contains(r.stdout, sentinelPassword) {
				t.Fatalf("provider: exit %d\nstdout=%s\nstderr=%s", r.code, r.stdout, r.stderr)
			}
			check(t, "provider", r, "provider")
		}
		env["AWS_ECR_CACHE_DIR"] = filepath.Join(env["HOME"], "cache2")
		f := ecrtest.NewServer(ecrtest.WithPassword(sentinelPassword), ecrtest.WithFault(ecrtest.Fault{Kind: ecrtest.FaultAccessDenied}))
		defer f.Close()
		env["AWS_ENDPOINT_URL_ECR"] = f.URL()
		r := invoke(t, invocation{bin: bin, env: env, stdin: []byte(req)})
		if r.code != 1 {
			t.Fatalf("provider with AccessDenied: exit %d", r.code)
		}
		check(t, "provider failure", r, "")
	})

	// On disk: the secret key and session token nowhere; the password only
	// in private cache files.
	logs := 0
	cacheFiles := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if filepath.Base(p) == "helper.log" {
			logs++
			if !bytes.Contains(data, []byte("level=DEBUG")) {
				t.Errorf("%s: no debug records; the scenario did not log at debug level", p)
			}
		}
		for _, s := range []string{sentinelSecret, sentinelSession} {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s holds %s", p, s)
			}
		}
		if bytes.Contains(data, []byte(sentinelPassword)) {
			fi, _ := os.Stat(p)
			if filepath.Base(p) != "ecr-login-cache.json" || fi.Mode().Perm() != 0o600 {
				t.Errorf("the ECR password is in %s (mode %v), which is not a private cache file", p, fi.Mode())
			}
			cacheFiles++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if logs < 10 || cacheFiles == 0 {
		t.Fatalf("the scenarios left %d log files and %d cache files holding the password; the check saw too little", logs, cacheFiles)
	}
}
