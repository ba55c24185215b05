package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/cmd/internal/proto"
	"github.com/ecr-login/ecr-login/ecr"
)

// The fuzz targets below run the protocol verbs in-process, the way the two
// binaries' mains do, with a hand-written fetcher instead of the AWS SDK, so
// no network is ever touched.

const (
	// fuzzTokenPassword is the password the fake fetcher issues; it must never
	// reach stderr (and reaches stdout only inside a get answer).
	fuzzTokenPassword = "FUZZ-token-password-5b1e9c0d"
	// fuzzAWSSecret is the static secret key in the environment.
	fuzzAWSSecret = "FUZZ-aws-secret-access-key-77e1"
	// fuzzDeadline bounds one verb; every run must finish well inside it.
	fuzzDeadline = 5 * time.Second
)

// newFuzzFetcher issues 12-hour tokens with fuzzTokenPassword.
func newFuzzFetcher() *fakeFetcher {
	return &fakeFetcher{fetch: func(ctx context.Context, reg ecr.Registry, via ecr.Access) (ecr.Token, error) {
		if via != (ecr.Access{}) {
			// No configuration file exists, so only the default chain is used.
			return ecr.Token{}, errors.New("fakeFetcher: unexpected access " + via.Profile + via.RoleARN)
		}
		if err := ctx.Err(); err != nil {
			return ecr.Token{}, err
		}
		return ecr.Token{Username: "AWS", Password: fuzzTokenPassword,
			ExpiresAt: time.Now().Add(12 * time.Hour), Endpoint: "https://" + reg.Host}, nil
	}}
}

// fuzzEnv is a hermetic environment: static keys, no shared config files
// and no ~/.ecr/config.yaml (HOME is an empty directory), no IMDS, every
// endpoint on a closed loopback port (the fake fetcher means the SDK never
// runs; if it did, it would refuse this list, which is not the process
// environment: see Environ), debug logging so that every log line is
// checked for secrets, and the cache in cacheDir.
func fuzzEnv(home, cacheDir string) []string {
	return []string{
		"HOME=" + home,
		"AWS_ACCESS_KEY_ID=AKIDFUZZ00000001",
		"AWS_SECRET_ACCESS_KEY=" + fuzzAWSSecret,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "no-credentials"),
		"AWS_ENDPOINT_URL_ECR=http://127.0.0.1:9",
		"AWS_ENDPOINT_URL_ECR_PUBLIC=http://127.0.0.1:9",
		"AWS_ENDPOINT_URL_STS=http://127.0.0.1:9",
		"AWS_ECR_CACHE_DIR=" + cacheDir,
		"AWS_ECR_LOG_LEVEL=debug",
	}
}

type verbRun struct {
	code           int
	stdout, stderr string
}

// runVerb runs one docker-protocol verb under fuzzDeadline and fails the test
// if it takes longer.
func runVerb(t *testing.T, run func(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) int, in []byte) verbRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), fuzzDeadline)
	defer cancel()
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := run(ctx, bytes.NewReader(in), &stdout, &stderr)
	if took := time.Since(start); took >= fuzzDeadline {
		t.Fatalf("took %s", took)
	}
	return verbRun{code, stdout.String(), stderr.String()}
}

// checkOneLine fails unless s is exactly one non-empty line ending in "\n".
func checkOneLine(t *testing.T, what, s string) {
	t.Helper()
	if !strings.HasSuffix(s, "\n") || strings.Count(s, "\n") != 1 || strings.TrimSpace(s) == "" {
		t.Fatalf("%s is not one line of text: %q", what, s)
	}
}

// checkNoSecret fails if s contains a secret of the environment or the fake.
func checkNoSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range []string{fuzzTokenPassword, fuzzAWSSecret} {
		if strings.Contains(s, secret) {
			t.Fatalf("%s contains the secret %q:\n%s", what, secret, s)
		}
	}
}

// decodeOne decodes s as exactly one JSON value followed by a newline, with
// no unknown fields.
func decodeOne(t *testing.T, what, s string, v any) {
	t.Helper()
	if !strings.HasSuffix(s, "\n") || strings.Count(s, "\n") != 1 {
		t.Fatalf("%s is not one line: %q", what, s)
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s is not the expected JSON (%v): %q", what, err, s)
	}
	if rest, _ := io.ReadAll(dec.Buffered()); strings.TrimSpace(string(rest)) != "" {
		t.Fatalf("%s has data after the JSON value: %q", what, s)
	}
}

// FuzzGetInput feeds arbitrary stdin to `get` and `erase`. Both exit 0 or 1
// and never leak a secret on stderr. get answers with one JSON document only
// for an input that is an ECR registry, and calls the fetcher for nothing
// else; erase never fetches.
func FuzzGetInput(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		trimmed := strings.TrimSpace(string(in))
		reg, perr := ecr.ParseRegistry(trimmed)
		isECR := perr == nil

		dir := t.TempDir()
		for _, verb := range []string{"erase", "get"} {
			fake := newFuzzFetcher()
			env := fuzzEnv(filepath.Join(dir, "home"), filepath.Join(dir, "cache-"+verb))
			r := runVerb(t, func(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) int {
				return RunDocker(ctx, []string{verb}, stdin, stdout, stderr, env, ecr.WithFetcher(fake))
			}, in)
			calls := fake.called()
			checkNoSecret(t, verb+" stderr", r.stderr)
			if r.code != 0 && r.code != 1 {
				t.Fatalf("%s exit %d\nstdout %q\nstderr %q", verb, r.code, r.stdout, r.stderr)
			}
			if !isECR && len(calls) > 0 {
				t.Fatalf("%s %q: the input is not ECR (%v) but the fetcher was called for %+v", verb, in, perr, calls)
			}

			if verb == "erase" {
				if len(calls) > 0 {
					t.Fatalf("erase called the fetcher %d time(s)", len(calls))
				}
				if r.code == 0 && r.stdout != "" {
					t.Fatalf("erase succeeded with output %q", r.stdout)
				}
				if r.code == 1 {
					checkOneLine(t, "erase stdout", r.stdout)
				}
				continue
			}

			// get
			if r.code == 1 {
				checkOneLine(t, "get stdout", r.stdout)
				checkNoSecret(t, "get error", r.stdout)
				// Every reasonable-size ECR input gets an answer (the fetcher
				// always succeeds). Longer ones may hit the protocol's line limit.
				if isECR && len(in) <= 4096 {
					t.Fatalf("get %q failed for an ECR registry: %q\n%s", in, r.stdout, r.stderr)
				}
				continue
			}
			if !isECR {
				t.Fatalf("get %q: exit 0 for an input that is not ECR (%v): %q", in, perr, r.stdout)
			}
			var answer struct{ ServerURL, Username, Secret string }
			decodeOne(t, "get stdout", r.stdout, &answer)
			if answer.Username != "AWS" || answer.Secret != fuzzTokenPassword || answer.ServerURL != trimmed {
				t.Fatalf("get %q answered %+v", in, answer)
			}
			if len(calls) != 1 || calls[0] != reg {
				t.Fatalf("get %q: fetcher calls %+v, want one for %+v", in, calls, reg)
			}
		}
	})
}

// FuzzStoreInput feeds arbitrary bytes to `store` (docker login): it stores
// nothing, so the cache directory stays untouched whatever the input, and it
// answers with nothing or one line.
func FuzzStoreInput(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		fake := newFuzzFetcher()
		dir := t.TempDir()
		cacheDir := filepath.Join(dir, "cache")
		env := fuzzEnv(filepath.Join(dir, "home"), cacheDir)
		r := runVerb(t, func(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) int {
			return RunDocker(ctx, []string{"store"}, stdin, stdout, stderr, env, ecr.WithFetcher(fake))
		}, in)
		switch r.code {
		case 0:
			if r.stdout != "" {
				t.Fatalf("store succeeded with output %q", r.stdout)
			}
		case 1:
			checkOneLine(t, "store stdout", r.stdout)
		default:
			t.Fatalf("store exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
		}
		checkNoSecret(t, "store stderr", r.stderr)
		if calls := fake.called(); len(calls) > 0 {
			t.Fatalf("store called the fetcher: %+v", calls)
		}
		// The password docker login hands over is never echoed.
		var creds struct{ Secret string }
		if json.Unmarshal(in, &creds) == nil && len(creds.Secret) >= 12 &&
			(strings.Contains(r.stdout, creds.Secret) || strings.Contains(r.stderr, creds.Secret)) &&
			!strings.Contains(storeNote, creds.Secret) {
			t.Fatalf("store echoed the password %q:\nstdout %q\nstderr %q", creds.Secret, r.stdout, r.stderr)
		}
		if _, err := os.Lstat(cacheDir); !os.IsNotExist(err) {
			names, _ := os.ReadDir(cacheDir)
			t.Fatalf("store touched the cache directory (%v): %v", err, names)
		}
	})
}

// storeNote is the fixed text store may print; a "secret" that is part of it
// is not an echo.
const storeNote = "docker-credential-ecr-login: warn: store ignored: this helper gets fresh ECR tokens itself and stores no passwords (set AWS_ECR_IGNORE_CREDS_STORAGE=true to silence this)\n" +
	"credentials not found in native keychain no credentials server URL no credentials username"

// FuzzProviderRequest feeds arbitrary bytes to ecr-credential-provider. It
// exits 0 with exactly one CredentialProviderResponse in the request's
// apiVersion, or 1 with nothing on stdout.
func FuzzProviderRequest(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		fake := newFuzzFetcher()
		dir := t.TempDir()
		env := fuzzEnv(filepath.Join(dir, "home"), filepath.Join(dir, "cache"))
		r := runVerb(t, func(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) int {
			return RunProvider(ctx, nil, stdin, stdout, stderr, env, ecr.WithFetcher(fake))
		}, in)
		calls := fake.called()
		checkNoSecret(t, "provider stderr", r.stderr)

		// What a correct provider makes of the request.
		var req struct {
			APIVersion                string            `json:"apiVersion"`
			Kind                      string            `json:"kind"`
			Image                     string            `json:"image"`
			ServiceAccountToken       string            `json:"serviceAccountToken"`
			ServiceAccountAnnotations map[string]string `json:"serviceAccountAnnotations"`
		}
		valid := len(in) <= proto.MaxStdin && json.Unmarshal(in, &req) == nil &&
			proto.ProviderAPIVersions[req.APIVersion] &&
			(req.Kind == "" || req.Kind == "CredentialProviderRequest") &&
			strings.TrimSpace(req.Image) != ""
		host := "docker.io"
		if h, _, found := strings.Cut(strings.TrimSpace(req.Image), "/"); found {
			host = h
		}
		_, herr := ecr.ParseRegistry(host)
		if len(calls) > 0 && (!valid || herr != nil) {
			t.Fatalf("fetcher called (%+v) for request %q", calls, in)
		}
		// A service account token with a role annotation is a pod's request
		// (fuzzEnv sets no AWS_ECR_ROLE_ARN): it is answered as the pod's role
		// or refused, never with the node's identity. The fuzz fetcher serves
		// only the node, so such a request must fail without a node fetch.
		if valid && req.ServiceAccountToken != "" && req.ServiceAccountAnnotations["eks.amazonaws.com/ecr-role-arn"] != "" {
			for _, via := range fake.accesses() {
				if via == (ecr.Access{}) {
					t.Fatalf("pod request %q fetched with the node's identity", in)
				}
			}
			if r.code != 1 || r.stdout != "" {
				t.Fatalf("pod request %q: exit %d, stdout %q; want a failure (the fuzz fetcher cannot assume roles)", in, r.code, r.stdout)
			}
			return
		}

		switch r.code {
		case 1:
			if r.stdout != "" {
				t.Fatalf("exit 1 with output %q", r.stdout)
			}
			if valid {
				t.Fatalf("valid request %q failed:\n%s", in, r.stderr)
			}
			return
		case 0:
		default:
			t.Fatalf("exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
		}
		if !valid {
			t.Fatalf("exit 0 for an invalid request %q: %q", in, r.stdout)
		}
		var resp struct {
			APIVersion    string `json:"apiVersion"`
			Kind          string `json:"kind"`
			CacheKeyType  string `json:"cacheKeyType"`
			CacheDuration string `json:"cacheDuration"`
			Auth          map[string]struct {
				Username string `json:"username"`
				Password string `json:"password"`
			} `json:"auth"`
		}
		decodeOne(t, "provider stdout", r.stdout, &resp)
		if !proto.ProviderAPIVersions[resp.APIVersion] || resp.APIVersion != req.APIVersion {
			t.Fatalf("response apiVersion %q, request %q", resp.APIVersion, req.APIVersion)
		}
		if resp.Kind != "CredentialProviderResponse" || resp.CacheKeyType != "Registry" {
			t.Fatalf("response kind %q cacheKeyType %q", resp.Kind, resp.CacheKeyType)
		}
		d, err := time.ParseDuration(resp.CacheDuration)
		if err != nil || d < 0 || d > 12*time.Hour {
			t.Fatalf("cacheDuration %q", resp.CacheDuration)
		}
		if herr != nil {
			if len(resp.Auth) != 0 || d != 0 || len(calls) != 0 {
				t.Fatalf("image %q is not ECR, but auth %v cacheDuration %s after %d fetches", req.Image, resp.Auth, d, len(calls))
			}
			return
		}
		a, ok := resp.Auth[host]
		if len(resp.Auth) != 1 || !ok || a.Username != "AWS" || a.Password != fuzzTokenPassword || len(calls) != 1 || d == 0 {
			t.Fatalf("image %q on %s: auth keys %d, entry %v, fetches %d, cacheDuration %s", req.Image, host, len(resp.Auth), ok, len(calls), d)
		}
	})
}
