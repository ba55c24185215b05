//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// The scenario: a credential_process prints valid JSON whose
// Expiration the SDK cannot parse. The SDK quotes the whole output in its
// error; its secret key and session token must appear nowhere: not on
// stdout (Docker shows it), stderr, the log file, nor doctor's report.
// Once with realistic secrets, once with values of no secret shape (found
// only because the process's output was registered).
func TestCredentialProcessSecretsNeverLeak(t *testing.T) {
	for name, sec := range map[string][2]string{
		"realistic": {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
			"IQoJb3JpZ2luX2VjEHYaCXVzLWVhc3QtMSJHMEUCIQDp8kJj3Q7W2vPq9zWm0xXyLq+Y7cT1v4sB6nHfGk2uRwIgWb5Z9yX/3Lr8NqM1eP0sT7fD6cV2kH4jA9uG8iY5oQEq9QII"},
		"no-shape": {"process-secret-no-shape-8c1d", "process-session-no-shape-8c1d"},
	} {
		t.Run(name, func(t *testing.T) {
			secret, token := sec[0], sec[1]
			fake := ecrtest.NewServer()
			defer fake.Close()
			env := keylessEnv(t, fake.URL())
			home := env["HOME"]
			script := filepath.Join(home, "creds.sh")
			out := `{"Version":1,"AccessKeyId":"ASIAPROCESSEXPIRY1","SecretAccessKey":"` + secret + `","SessionToken":"` + token + `","Expiration":"2030-01-01 00:00:00"}`
			// It also says something on stderr, with the secret in it.
			body := "#!/bin/sh\necho \"creds.sh: issued key with secret " + secret + "\" >&2\necho '" + out + "'\n"
			if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(env["AWS_CONFIG_FILE"], []byte("[default]\ncredential_process = "+script+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			env["AWS_ECR_LOG_FILE"] = filepath.Join(home, "helper.log")
			env["AWS_ECR_LOG_LEVEL"] = "debug"

			runs := map[string]run{
				"get":    runHelper(t, env, "get", hostA),
				"token":  runHelperArgs(t, env, "", "token", hostA),
				"doctor": runHelperArgs(t, env, "", "doctor", hostA),
			}
			runs["provider"] = invoke(t, invocation{bin: providerBinary(t), env: env,
				stdin: []byte(`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"` + hostA + `/app:1"}`)})
			log, err := os.ReadFile(env["AWS_ECR_LOG_FILE"])
			if err != nil {
				t.Fatal(err)
			}
			for what, r := range runs {
				if r.code == 0 {
					t.Errorf("%s: exit 0, want a failure\nstdout=%s\nstderr=%s", what, r.stdout, r.stderr)
				}
				for _, s := range []string{secret, token} {
					if strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s) {
						t.Errorf("%s: secret on stdout or stderr:\nstdout=%s\nstderr=%s", what, r.stdout, r.stderr)
					}
				}
			}
			for _, s := range []string{secret, token} {
				if strings.Contains(string(log), s) {
					t.Errorf("secret in the log file:\n%s", log)
				}
			}
			// The scenario did reach the places that used to leak, and they
			// still say what is wrong.
			if !strings.Contains(runs["get"].stdout, "2030-01-01 00:00:00") || !strings.Contains(runs["doctor"].stdout, "fix: could not load AWS credentials") ||
				!strings.Contains(string(log), "level=ERROR") || !strings.Contains(runs["get"].stderr, "creds.sh: issued key with secret [REDACTED]") {
				t.Errorf("the scenario did not run as intended:\nget=%+v\ndoctor=%s\nlog=%s", runs["get"], runs["doctor"].stdout, log)
			}
			if fake.CallCount() != 0 {
				t.Errorf("ECR was called %d times with credentials the SDK refused", fake.CallCount())
			}
		})
	}
}

// AWS_ECR_LOG_FILE naming a symbolic link (or a file with another hard
// link) is refused: the helper never writes through it nor chmods the file
// it points at.
func TestLogFileNeverThroughALink(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := baseEnv(t, fake.URL())
	home := env["HOME"]
	other := filepath.Join(home, "someone-elses-file")
	if err := os.WriteFile(other, []byte("keep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, setup := range map[string]func(string) error{
		"symlink":  func(p string) error { return os.Symlink(other, p) },
		"hardlink": func(p string) error { return os.Link(other, p) },
	} {
		link := filepath.Join(home, name+".log")
		if err := setup(link); err != nil {
			t.Fatal(err)
		}
		env["AWS_ECR_LOG_FILE"] = link
		r := runHelper(t, env, "get", hostA)
		if r.code == 0 || !strings.Contains(r.stderr, link) {
			t.Errorf("%s: exit %d, stderr %q: want a refusal naming the file", name, r.code, r.stderr)
		}
		fi, err := os.Stat(other)
		data, _ := os.ReadFile(other)
		if err != nil || fi.Mode().Perm() != 0o644 || string(data) != "keep\n" {
			t.Errorf("%s: the linked file changed: mode %v, %q", name, fi.Mode(), data)
		}
	}
}
