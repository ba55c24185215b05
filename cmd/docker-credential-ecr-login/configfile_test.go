package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// A config.yaml with several documents used to answer with the default
// identity (later documents ignored) while doctor said "no configuration
// file". Now get and doctor refuse it, naming the file and line.
func TestConfigWithSeveralDocumentsIsRefused(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := baseEnv(t, fake.URL())
	cfg := filepath.Join(env["HOME"], ".ecr", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
		t.Fatal(err)
	}
	body := "registries:\n---\nregistries:\n  - match: " + hostA + "\n    profile: other\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	want := cfg + ":2: a second YAML document"
	r := runHelper(t, env, "get", hostA)
	if r.code == 0 || !strings.Contains(r.stderr, want) {
		t.Fatalf("get: exit %d, stdout %q, stderr %q; want an error with %q", r.code, r.stdout, r.stderr, want)
	}
	d := runHelperArgs(t, env, "", "doctor", hostA)
	all := d.stdout + d.stderr
	if d.code == 0 || !strings.Contains(all, want) || strings.Contains(all, "no configuration file") {
		t.Fatalf("doctor: exit %d, output %q; want an error with %q and no \"no configuration file\"", d.code, all, want)
	}
	if fake.CallCount() != 0 {
		t.Fatalf("%d ECR calls with a refused configuration", fake.CallCount())
	}
}
