package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/internal/testenv"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// Running the binaries under test: the one way (invoke) every test here
// runs a program, and the helpers around it. Untagged: tests of every
// platform use them.

// ---------------------------------------------------------------------------
// Running the binary with more control than runHelper gives.
// ---------------------------------------------------------------------------

// invocation is one run of a binary.
type invocation struct {
	bin     string // default helperBin
	args    []string
	env     map[string]string
	stdin   []byte
	timeout time.Duration        // default 60s
	sys     *syscall.SysProcAttr // e.g. run as another user (root only)
	dir     string               // working directory
}

// invoke runs inv and returns what it did. It fails the test on a panic or
// when the child outlives its deadline; every value of a secret-looking
// variable in inv.env is checked to appear on neither stream.
func invoke(t *testing.T, inv invocation) run {
	t.Helper()
	if inv.bin == "" {
		inv.bin = helperBin
	}
	if inv.timeout == 0 {
		inv.timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), inv.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, inv.bin, inv.args...)
	cmd.Env = testenv.Environ(inv.env)
	cmd.Stdin = bytes.NewReader(inv.stdin)
	cmd.Dir = inv.dir
	cmd.SysProcAttr = inv.sys
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := run{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("%s %v did not finish within %s\nstdout=%s\nstderr=%s", filepath.Base(inv.bin), inv.args, inv.timeout, r.stdout, r.stderr)
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v", inv.bin, err)
	}
	if strings.Contains(r.stderr, "panic:") || strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stdout, "goroutine ") {
		t.Fatalf("the binary panicked:\nstdout=%s\nstderr=%s", r.stdout, r.stderr)
	}
	for _, k := range []string{"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		if s := inv.env[k]; len(s) >= 8 && (strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s)) {
			t.Fatalf("%s leaked:\nstdout=%s\nstderr=%s", k, r.stdout, r.stderr)
		}
	}
	return r
}

func get(t *testing.T, env map[string]string, host string) run {
	t.Helper()
	return invoke(t, invocation{args: []string{"get"}, env: env, stdin: []byte(host)})
}

func cloneEnv(env map[string]string) map[string]string {
	c := make(map[string]string, len(env))
	for k, v := range env {
		c[k] = v
	}
	return c
}

// answered is mustAnswer, and stdout holds nothing but that one answer line.
func answered(t *testing.T, r run) answer {
	t.Helper()
	a := mustAnswer(t, r)
	if !oneLine(r.stdout) {
		t.Fatalf("stdout holds more than the protocol answer: %q", r.stdout)
	}
	return a
}

// oneLine reports whether s is exactly one non-empty line.
func oneLine(s string) bool {
	return strings.HasSuffix(s, "\n") && strings.Count(s, "\n") == 1 && len(strings.TrimSpace(s)) > 0
}

// cacheEntries reads the cache file in dir: nil when there is none.
func cacheEntries(t *testing.T, dir string) map[string]map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "ecr-login-cache.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Version int                       `json:"version"`
		Entries map[string]map[string]any `json:"entries"`
	}
	if err := json.Unmarshal(data, &f); err != nil || f.Version != 1 {
		t.Fatalf("cache file is not a version 1 cache (%v):\n%s", err, data)
	}
	return f.Entries
}

// countingPasswords makes the fake issue "pw-1", "pw-2", ... so that a
// served token tells which call issued it.
func countingPasswords() ecrtest.Option {
	var n atomic.Int64
	return ecrtest.WithPasswordFunc(func(ecrtest.Call) string { return fmt.Sprintf("pw-%d", n.Add(1)) })
}

// providerBinary builds ecr-credential-provider next to the helper.
func providerBinary(t *testing.T) string {
	t.Helper()
	return bins.Must(t, "../ecr-credential-provider")
}
