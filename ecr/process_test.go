//go:build unix

package ecr

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// syncBuffer is a bytes.Buffer safe for the relay goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// processEnv points the SDK at fake and at a config file holding config,
// with nothing else to find.
func processEnv(t *testing.T, fake *ecrtest.Server, config string) string {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"HOME": dir, "AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL_ECR": fake.URL(), "AWS_ENDPOINT_URL_STS": fake.URL(),
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "",
		"AWS_ROLE_ARN": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_ENDPOINT_URL": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": "",
	} {
		t.Setenv(k, v)
	}
	config = strings.ReplaceAll(config, "$DIR", dir)
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o700); err != nil {
		t.Fatal(err)
	}
}

// The chain the fetcher rebuilds around its own process command is the
// SDK's: the process's keys sign directly, or assume each profile's role on
// the way up source_profile, with the profile's session name; and the
// process's stderr reaches the fetcher's writer, not the helper's stderr.
func TestCredentialProcessChainIsTheSDKs(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	dir := processEnv(t, fake, `[profile proc]
credential_process = $DIR/creds.sh
[profile chained]
role_arn = arn:aws:iam::123456789012:role/ecr-pull
source_profile = proc
role_session_name = my-session
[profile twice]
role_arn = arn:aws:iam::210987654321:role/second
source_profile = chained
`)
	writeScript(t, filepath.Join(dir, "creds.sh"), `echo "note from the process" >&2
echo '{"Version":1,"AccessKeyId":"AKIDPROCESSCHAIN01","SecretAccessKey":"process-secret-key-value-1"}'
`)
	reg, err := ParseRegistry("123456789012.dkr.ecr.us-east-1.amazonaws.com")
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	f := NewSDKFetcher(WithProcessStderr(&stderr))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	for _, tc := range []struct{ profile, key, role string }{
		{"proc", "AKIDPROCESSCHAIN01", ""},
		{"chained", "", "arn:aws:iam::123456789012:role/ecr-pull"},
		{"twice", "", "arn:aws:iam::210987654321:role/second"},
	} {
		fake.Reset()
		if _, err := f.FetchToken(ctx, reg, Access{Profile: tc.profile}); err != nil {
			t.Fatalf("%s: %v", tc.profile, err)
		}
		calls := fake.Calls()
		if len(calls) != 1 || (tc.key != "" && calls[0].AccessKeyID != tc.key) || calls[0].AssumedRole != tc.role {
			t.Fatalf("%s: calls = %+v", tc.profile, calls)
		}
	}
	sts := fake.STSCalls()
	if len(sts) == 0 || sts[0].AccessKeyID != "AKIDPROCESSCHAIN01" || sts[0].RoleSessionName != "my-session" {
		t.Fatalf("first AssumeRole = %+v, want it signed by the process's key with the profile's session name", sts)
	}
	if got := strings.Count(stderr.String(), "note from the process\n"); got != 3 {
		t.Fatalf("the process's stderr reached the fetcher's writer %d times, want 3: %q", got, stderr.String())
	}
}

// A process output the SDK refuses (an Expiration it cannot parse) is
// quoted in the SDK's error: its secrets are registered and redacted.
func TestRefusedProcessOutputIsRedacted(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	dir := processEnv(t, fake, "[profile proc]\ncredential_process = $DIR/creds.sh\n")
	const secret, token = "ProcSecretNotShaped-91ab", "ProcTokenNotShaped-91ab"
	writeScript(t, filepath.Join(dir, "creds.sh"), `echo '{"Version":1,"AccessKeyId":"ASIAPROCESSEXPIRY1","SecretAccessKey":"`+secret+`","SessionToken":"`+token+`","Expiration":"2030-01-01 00:00:00"}'
`)
	t.Setenv("AWS_PROFILE", "proc")
	var logs bytes.Buffer
	h := NewHelper(Config{Env: os.Getenv, CacheDisabled: true, Timeout: 20 * time.Second}, WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	_, _, err := h.Get("123456789012.dkr.ecr.us-east-1.amazonaws.com")
	if err == nil {
		t.Fatal("want an error")
	}
	var doctor strings.Builder
	for _, c := range h.Doctor(context.Background(), "123456789012.dkr.ecr.us-east-1.amazonaws.com") {
		doctor.WriteString(c.Name + ": " + c.Detail + " fix: " + c.Remedy + "\n")
	}
	for what, text := range map[string]string{"error": err.Error(), "log": logs.String(), "doctor": doctor.String()} {
		if strings.Contains(text, secret) || strings.Contains(text, token) {
			t.Errorf("%s holds a secret of the process output:\n%s", what, text)
		}
		if !strings.Contains(text, "2030-01-01 00:00:00") {
			t.Errorf("%s no longer says what was wrong:\n%s", what, text)
		}
	}
}
