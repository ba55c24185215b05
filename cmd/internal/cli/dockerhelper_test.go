package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecr-login/ecr-login/ecr"
)

// runDockerVerb runs one protocol verb with a fake fetcher and env.
func runDockerVerb(t *testing.T, env []string, verb, stdin string) (int, string, string, *fakeFetcher) {
	t.Helper()
	fake := newFuzzFetcher()
	var stdout, stderr bytes.Buffer
	code := RunDocker(context.Background(), []string{verb}, strings.NewReader(stdin), &stdout, &stderr, env, ecr.WithFetcher(fake))
	return code, stdout.String(), stderr.String(), fake
}

// ecr answers ecr.ErrNotFound; the adapter turns it into the protocol's
// not-found, in its exact text, so clients pull anonymously.
func TestDockerAdapterNotFound(t *testing.T) {
	dir := t.TempDir()
	withKeys := fuzzEnv(filepath.Join(dir, "home"), filepath.Join(dir, "cache"))
	var noKeys []string
	for _, kv := range withKeys {
		if !strings.HasPrefix(kv, "AWS_ACCESS_KEY_ID=") && !strings.HasPrefix(kv, "AWS_SECRET_ACCESS_KEY=") {
			noKeys = append(noKeys, kv)
		}
	}
	for _, tc := range []struct {
		name, host string
		env        []string
	}{
		{"not ECR", "docker.io", withKeys},
		{"ECR Public without AWS credentials", "public.ecr.aws", noKeys},
	} {
		code, stdout, _, fake := runDockerVerb(t, tc.env, "get", tc.host)
		if code != 1 || stdout != "credentials not found in native keychain\n" || len(fake.called()) != 0 {
			t.Errorf("%s: exit %d, stdout %q, %d fetches; want 1, the protocol's not-found, none", tc.name, code, stdout, len(fake.called()))
		}
	}
	// A real failure is not not-found.
	code, stdout, _, _ := runDockerVerb(t, noKeys, "get", "123456789012.dkr.ecr.us-east-1.amazonaws.com")
	if code != 1 || strings.Contains(stdout, "not found in native keychain") {
		t.Errorf("private ECR without credentials: exit %d, stdout %q; want a real error", code, stdout)
	}
}

// store and erase for an ECR host succeed and print nothing; get answers
// with the token under the name asked for.
func TestDockerAdapterStoreAndErase(t *testing.T) {
	dir := t.TempDir()
	env := fuzzEnv(filepath.Join(dir, "home"), filepath.Join(dir, "cache"))
	host := "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	for verb, in := range map[string]string{"store": `{"ServerURL":"` + host + `","Username":"AWS","Secret":"x"}`, "erase": host} {
		if code, stdout, stderr, _ := runDockerVerb(t, env, verb, in); code != 0 || stdout != "" || !strings.Contains(stderr, "ignored") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 0, nothing, a note", verb, code, stdout, stderr)
		}
	}
	code, stdout, _, _ := runDockerVerb(t, env, "get", host)
	if code != 0 || !strings.Contains(stdout, `"ServerURL":"`+host+`"`) || !strings.Contains(stdout, fuzzTokenPassword) {
		t.Errorf("get: exit %d, stdout %q", code, stdout)
	}
	code, stdout, _, _ = runDockerVerb(t, env, "list", "")
	if code != 0 || !strings.Contains(stdout, `"https://`+host+`":"AWS"`) {
		t.Errorf("list: exit %d, stdout %q", code, stdout)
	}
}
