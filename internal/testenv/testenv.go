// Package testenv is the one home of the test scaffolding shared by the
// packages' tests: the binary builder, the hermetic environment (for the
// test process and for the programs it runs) and a settable clock.
// Only _test.go files import it. It imports nothing of this module, so the
// tests inside ecr can use it too.
package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Hermetic makes the test process's environment hermetic for the AWS SDK,
// which reads the process environment: every inherited AWS_* variable is
// emptied, HOME and USERPROFILE are a new temporary directory, the shared
// config and credentials files are named inside it (and absent), EC2
// instance metadata is off, and then vars are set. It returns the directory.
// t.Setenv restores everything when the test ends (so the test cannot be
// parallel).
func Hermetic(t testing.TB, vars map[string]string) string {
	t.Helper()
	ClearAWS(t)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"HOME":                        dir,
		"USERPROFILE":                 dir,
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	for k, v := range vars {
		t.Setenv(k, v)
	}
	return dir
}

// ClearAWS empties every AWS_* variable of the test process for the rest
// of the test (t.Setenv restores them).
func ClearAWS(t testing.TB) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
		}
	}
}

// ChildEnv is the hermetic environment of a program a test runs: a new
// temporary home (HOME and USERPROFILE), PATH, EC2 instance metadata off,
// the ECR, ECR Public and STS endpoints at fakeURL, a cache directory and
// shared config files inside the home (absent until a test writes them),
// and nothing inherited from the test process's AWS_* variables. Callers
// add credentials and settings to the map; Environ turns it into a list.
func ChildEnv(t testing.TB, fakeURL string) map[string]string {
	t.Helper()
	home := t.TempDir()
	return map[string]string{
		"HOME":                        home,
		"USERPROFILE":                 home,
		"PATH":                        os.Getenv("PATH"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_ENDPOINT_URL_ECR":        fakeURL,
		"AWS_ENDPOINT_URL_ECR_PUBLIC": fakeURL,
		"AWS_ENDPOINT_URL_STS":        fakeURL,
		"AWS_ECR_CACHE_DIR":           filepath.Join(home, "cache"),
		"AWS_CONFIG_FILE":             filepath.Join(home, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "aws-credentials"),
	}
}

// Environ lists env as KEY=VALUE for exec.Cmd.Env; empty values are left
// out, so deleting or emptying a key both unset it.
func Environ(env map[string]string) []string {
	var out []string
	for k, v := range env {
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// Clock is a settable fake time, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time; pass it where a func() time.Time is asked.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
