//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// ~/.ecr as a symbolic link to another directory: the get still answers,
// with a warning naming the link, and nothing is written behind it.
func TestSymlinkedCacheDirIsNotUsed(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := baseEnv(t, fake.URL())
	delete(env, "AWS_ECR_CACHE_DIR") // the default, ~/.ecr
	home := env["HOME"]
	elsewhere := filepath.Join(home, "elsewhere")
	if err := os.Mkdir(elsewhere, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, filepath.Join(home, ".ecr")); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		r := runHelper(t, env, "get", hostA)
		mustAnswer(t, r)
		if !strings.Contains(r.stderr, "symbolic link") || !strings.Contains(r.stderr, filepath.Join(home, ".ecr")) {
			t.Fatalf("no warning naming the link:\n%s", r.stderr)
		}
	}
	if fake.CallCount() != 2 {
		t.Fatalf("API calls = %d, want 2 (no cache)", fake.CallCount())
	}
	if ents, _ := os.ReadDir(elsewhere); len(ents) != 0 {
		t.Fatalf("written behind the link: %v", ents)
	}
	r := runHelperArgs(t, env, "", "doctor")
	if !strings.Contains(r.stdout, "✗ cache") || !strings.Contains(r.stdout, "symbolic link") {
		t.Fatalf("doctor does not report the link:\n%s", r.stdout)
	}
}
