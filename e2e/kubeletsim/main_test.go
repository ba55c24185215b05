package main

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const testConfig = `apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
  - name: other
    matchImages: ["*.example.com"]
    defaultCacheDuration: "1m"
    apiVersion: credentialprovider.kubelet.k8s.io/v1
  - name: fake-provider
    matchImages:
      - "*.dkr.ecr.*.amazonaws.com"
    defaultCacheDuration: "12h"
    apiVersion: credentialprovider.kubelet.k8s.io/v1
    args: ["--flag"]
    env:
      - name: FAKE_ANSWER
        value: %s
`

func writeConfig(t *testing.T, answer string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(strings.Replace(testConfig, "%s", answer, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadConfigAndMatch(t *testing.T) {
	cfg, err := readConfig(writeConfig(t, "ok"))
	if err != nil {
		t.Fatal(err)
	}
	p, glob, err := matchProvider(cfg, "123456789012.dkr.ecr.us-east-1.amazonaws.com/app")
	if err != nil || p == nil || p.Name != "fake-provider" || glob != "*.dkr.ecr.*.amazonaws.com" {
		t.Fatalf("matchProvider = %v, %q, %v; want fake-provider", p, glob, err)
	}
	if p, _, _ := matchProvider(cfg, "quay.io/app"); p != nil {
		t.Errorf("matchProvider(quay.io/app) = %s, want none", p.Name)
	}

	bad := map[string]string{
		"unknown field":           strings.Replace(testConfig, "args:", "argz:", 1),
		"wrong kind":              strings.Replace(testConfig, "kind: CredentialProviderConfig", "kind: Config", 1),
		"bad plugin apiVersion":   strings.Replace(testConfig, "credentialprovider.kubelet.k8s.io/v1\n    args", "credentialprovider.kubelet.k8s.io/v2\n    args", 1),
		"no defaultCacheDuration": strings.Replace(testConfig, `    defaultCacheDuration: "12h"`+"\n", "", 1),
		"name with a slash":       strings.Replace(testConfig, "name: fake-provider", "name: ../fake-provider", 1),
	}
	for what, text := range bad {
		p := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := readConfig(p); err == nil {
			t.Errorf("readConfig with %s: no error", what)
		}
	}
}

// fakeProvider is a shell script answering according to $FAKE_ANSWER, which
// only the config's env sets; it also insists on the request and args.
const fakeProvider = `#!/bin/sh
req=$(cat)
case $req in *'"kind":"CredentialProviderRequest"'*'"image":"123456789012.dkr.ecr.us-east-1.amazonaws.com/app"'*) ;; *) echo "bad request: $req" >&2; exit 3;; esac
[ "$1" = --flag ] || { echo "bad args: $*" >&2; exit 4; }
h=123456789012.dkr.ecr.us-east-1.amazonaws.com
case $FAKE_ANSWER in
ok) v=credentialprovider.kubelet.k8s.io/v1 k=Registry ;;
wrong-version) v=credentialprovider.kubelet.k8s.io/v1beta1 k=Registry ;;
bad-key-type) v=credentialprovider.kubelet.k8s.io/v1 k=Repository ;;
*) echo "FAKE_ANSWER not set" >&2; exit 5 ;;
esac
printf '{"apiVersion":"%s","kind":"CredentialProviderResponse","cacheKeyType":"%s","cacheDuration":"1h","auth":{"%s":{"username":"AWS","password":"pw"}}}\n' "$v" "$k" "$h"
`

func TestExecProvider(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake provider is a shell script")
	}
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "fake-provider"), []byte(fakeProvider), 0o755); err != nil {
		t.Fatal(err)
	}
	const repo = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app"
	for answer, wantErr := range map[string]string{"ok": "", "wrong-version": "does not match", "bad-key-type": "invalid cacheKeyType"} {
		cfg, err := readConfig(writeConfig(t, answer))
		if err != nil {
			t.Fatal(err)
		}
		p, _, _ := matchProvider(cfg, repo)
		resp, err := execProvider(p, bin, repo, "", nil, io.Discard)
		if wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), wantErr) {
				t.Errorf("%s: execProvider error %v, want one containing %q", answer, err, wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", answer, err)
		}
		creds, err := lookup(resp, repo)
		if err != nil || len(creds) != 1 || creds[0].username != "AWS" || creds[0].password != "pw" {
			t.Errorf("%s: lookup = %d credentials, %v; want AWS/pw", answer, len(creds), err)
		}
	}
}
