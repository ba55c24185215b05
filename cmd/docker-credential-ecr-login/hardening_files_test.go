//go:build unix

package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// ---------------------------------------------------------------------------
// 2. File system
// ---------------------------------------------------------------------------

const nobody = 65534

// asUser runs a program as cred's user (nil: as the test's own).
func asUser(cred *syscall.Credential) *syscall.SysProcAttr {
	if cred == nil {
		return nil
	}
	return &syscall.SysProcAttr{Credential: cred}
}

// unprivileged returns a credential for the nobody user, a copy of the helper
// that user may run, and a base directory it can reach (0755, owned by the
// caller). When the test does not run as root it returns a nil credential:
// the test user is unprivileged already.
func unprivileged(t *testing.T) (*syscall.Credential, string, string) {
	t.Helper()
	base, err := os.MkdirTemp("", "ecr-login-unpriv-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		return nil, helperBin, base
	}
	bin := filepath.Join(base, "docker-credential-ecr-login")
	data, err := os.ReadFile(helperBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cred := &syscall.Credential{Uid: nobody, Gid: nobody}
	// Can we actually switch user here (no user namespace restrictions)?
	probe := exec.Command(bin, "version")
	probe.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	probe.Dir = base
	if out, err := probe.CombinedOutput(); err != nil {
		t.Skipf("cannot run a process as uid %d here: %v %s", nobody, err, out)
	}
	return cred, bin, base
}

// snapshot describes every path under root except those under skip: type,
// mode, size and a digest of the content or the link target.
func snapshot(t *testing.T, root, skip string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if skip != "" && (p == skip || strings.HasPrefix(p, skip+string(filepath.Separator))) {
			if d.IsDir() && p == skip {
				return fs.SkipDir
			}
			return nil
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		desc := fmt.Sprintf("%v %d", fi.Mode(), fi.Size())
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			desc += " -> " + target
		case fi.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			desc += " " + hex.EncodeToString(sum[:8])
		}
		out[p] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameSnapshot(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for p, d := range after {
		if b, ok := before[p]; !ok {
			t.Errorf("%s: the helper created %s (%s) outside the cache directory", what, p, d)
		} else if b != d {
			t.Errorf("%s: the helper changed %s outside the cache directory: %s -> %s", what, p, b, d)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			t.Errorf("%s: the helper removed %s outside the cache directory", what, p)
		}
	}
}

// In every broken cache location the helper still answers with a token from
// ECR, warns on stderr, and writes nothing outside the cache directory.
func TestCacheLocationProblemsStillAnswer(t *testing.T) {
	root := os.Geteuid() == 0
	type fsCase struct {
		name     string
		asNobody bool
		// setup prepares home and returns the cache directory to use.
		setup func(t *testing.T, home string, env map[string]string) string
		warn  []string // on stderr
		after func(t *testing.T, home, cacheDir string)
	}
	mkdir := func(t *testing.T, p string, mode os.FileMode) {
		t.Helper()
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // not subject to the umask
			t.Fatal(err)
		}
	}
	// planted is a valid cache file that a followed symlink would serve.
	planted := func(t *testing.T, env map[string]string) []byte {
		t.Helper()
		e := cloneEnv(env)
		e["AWS_ECR_CACHE_DIR"] = filepath.Join(t.TempDir(), "other-cache")
		mustAnswer(t, get(t, e, hostA))
		data, err := os.ReadFile(filepath.Join(e["AWS_ECR_CACHE_DIR"], "ecr-login-cache.json"))
		if err != nil {
			t.Fatal(err)
		}
		return bytes.ReplaceAll(data, []byte(ecrtest.DefaultPassword(ecrtest.DefaultAccountID)), []byte("PLANTED-PASSWORD"))
	}
	cases := []fsCase{
		{
			name: "read-only-dir", asNobody: true,
			setup: func(t *testing.T, home string, env map[string]string) string {
				d := filepath.Join(home, "cache")
				mkdir(t, d, 0o500)
				return d
			},
			warn: []string{"permission denied", "fix its permissions", "could not save the token in the cache"},
		},
		{
			name: "parent-is-a-file",
			setup: func(t *testing.T, home string, env map[string]string) string {
				if err := os.WriteFile(filepath.Join(home, "not-a-dir"), []byte("x"), 0o600); err != nil {
					t.Fatal(err)
				}
				return filepath.Join(home, "not-a-dir", "cache")
			},
			warn: []string{"not a directory", "use another cache directory", "could not save the token in the cache"},
		},
		{
			name: "owned-by-another-user",
			setup: func(t *testing.T, home string, env map[string]string) string {
				if !root {
					t.Skip("needs root to chown")
				}
				d := filepath.Join(home, "cache")
				mkdir(t, d, 0o700)
				if err := os.Chown(d, nobody, nobody); err != nil {
					t.Fatal(err)
				}
				return d
			},
			warn: []string{"owned by uid 65534", "use a cache directory of your own", "could not save the token in the cache"},
			after: func(t *testing.T, home, cacheDir string) {
				if ents, _ := os.ReadDir(cacheDir); len(ents) != 0 {
					t.Errorf("wrote into a directory owned by another user: %v", ents)
				}
			},
		},
		{
			name: "world-writable-dir",
			setup: func(t *testing.T, home string, env map[string]string) string {
				d := filepath.Join(home, "cache")
				mkdir(t, d, 0o777)
				return d
			},
			warn: []string{"writable by other users", "make it private: chmod 700", "could not save the token in the cache"},
			after: func(t *testing.T, home, cacheDir string) {
				if ents, _ := os.ReadDir(cacheDir); len(ents) != 0 {
					t.Errorf("wrote into a world-writable directory: %v", ents)
				}
			},
		},
		{
			name: "cache-file-symlink-to-outside",
			setup: func(t *testing.T, home string, env map[string]string) string {
				d := filepath.Join(home, "cache")
				mkdir(t, d, 0o700)
				outside := filepath.Join(home, "outside.json")
				if err := os.WriteFile(outside, planted(t, env), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(outside, filepath.Join(d, "ecr-login-cache.json")); err != nil {
					t.Fatal(err)
				}
				return d
			},
			warn: []string{"is a symlink; remove it"},
			after: func(t *testing.T, home, cacheDir string) {
				fi, err := os.Lstat(filepath.Join(cacheDir, "ecr-login-cache.json"))
				if err == nil && fi.Mode().IsRegular() && fi.Mode().Perm() != 0o600 {
					t.Errorf("the replacing cache file has mode %v", fi.Mode())
				}
			},
		},
		{
			name: "lock-file-symlink",
			setup: func(t *testing.T, home string, env map[string]string) string {
				d := filepath.Join(home, "cache")
				mkdir(t, d, 0o700)
				// Dangling, so that following it would create the target.
				if err := os.Symlink(filepath.Join(home, "created-through-lock-link"), filepath.Join(d, "ecr-login-cache.lock")); err != nil {
					t.Fatal(err)
				}
				return d
			},
			warn: []string{"is a symlink; remove it", "could not save the token in the cache"},
		},
		{
			name: "fetch-lock-symlink",
			setup: func(t *testing.T, home string, env map[string]string) string {
				d := filepath.Join(home, "cache")
				e := cloneEnv(env)
				e["AWS_ECR_CACHE_DIR"] = d
				mustAnswer(t, get(t, e, hostA)) // creates the fetch lock of this key
				locks, _ := filepath.Glob(filepath.Join(d, "ecr-login-fetch-*.lock"))
				if len(locks) == 0 {
					t.Fatal("no fetch lock file after a get")
				}
				for i, l := range locks {
					if err := os.Remove(l); err != nil {
						t.Fatal(err)
					}
					if err := os.Symlink(filepath.Join(home, fmt.Sprintf("created-through-fetch-lock-%d", i)), l); err != nil {
						t.Fatal(err)
					}
				}
				if err := os.Remove(filepath.Join(d, "ecr-login-cache.json")); err != nil {
					t.Fatal(err)
				}
				return d
			},
			warn: []string{"is a symlink; remove it", "token cache unavailable"},
		},
		{
			name: "cache-file-is-a-directory",
			setup: func(t *testing.T, home string, env map[string]string) string {
				d := filepath.Join(home, "cache")
				mkdir(t, filepath.Join(d, "ecr-login-cache.json"), 0o700)
				if err := os.Chmod(d, 0o700); err != nil {
					t.Fatal(err)
				}
				return d
			},
			warn: []string{"not a regular file; remove it", "could not save the token in the cache"},
		},
		{
			name: "cache-file-is-a-fifo",
			setup: func(t *testing.T, home string, env map[string]string) string {
				d := filepath.Join(home, "cache")
				mkdir(t, d, 0o700)
				if err := syscall.Mkfifo(filepath.Join(d, "ecr-login-cache.json"), 0o600); err != nil {
					t.Skipf("mkfifo: %v", err)
				}
				return d
			},
			warn: []string{"not a regular file; remove it"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := ecrtest.NewServer()
			defer fake.Close()
			var cred *syscall.Credential
			bin := helperBin
			home := t.TempDir()
			if tc.asNobody {
				var base string
				cred, bin, base = unprivileged(t)
				home = filepath.Join(base, "home")
				if err := os.Mkdir(home, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			env := baseEnv(t, fake.URL())
			env["HOME"] = home
			env["AWS_CONFIG_FILE"] = filepath.Join(home, "aws-config")
			env["AWS_SHARED_CREDENTIALS_FILE"] = filepath.Join(home, "aws-credentials")
			env["AWS_ECR_CACHE_DIR"] = filepath.Join(home, "cache")
			dir := tc.setup(t, home, env)
			env["AWS_ECR_CACHE_DIR"] = dir
			if cred != nil {
				// Hand the whole home over to the unprivileged user.
				filepath.WalkDir(home, func(p string, d fs.DirEntry, err error) error {
					if err == nil {
						os.Lchown(p, nobody, nobody)
					}
					return nil
				})
			}
			fake.Reset()
			before := snapshot(t, home, dir)
			r := invoke(t, invocation{bin: bin, args: []string{"get"}, env: env, stdin: []byte(hostA), sys: asUser(cred), dir: home})
			a := answered(t, r)
			if a.Secret != fake.Password() || a.ServerURL != hostA {
				t.Fatalf("answer %+v, want the token from the fake", a)
			}
			if n := fake.CallCount(); n != 1 {
				t.Fatalf("API calls = %d, want 1 (the token must come from ECR)", n)
			}
			t.Logf("stderr:\n%s", r.stderr)
			if !strings.Contains(r.stderr, "warn: ") {
				t.Errorf("no warning on stderr:\n%s", r.stderr)
			}
			for _, w := range tc.warn {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("want %q on stderr:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "error:") {
				t.Errorf("an answered get printed an error:\n%s", r.stderr)
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			for i, l := range lines {
				if slices.Contains(lines[:i], l) {
					t.Errorf("the same warning twice: %s", l)
				}
			}
			sameSnapshot(t, tc.name, before, snapshot(t, home, dir))
			if tc.after != nil {
				tc.after(t, home, dir)
			}
		})
	}
}

// With umask 0 every file the helper makes is still private.
// Not parallel: the umask is process-wide.
func TestFilesArePrivateUnderUmask0(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := baseEnv(t, fake.URL())
	home := env["HOME"]
	dir := filepath.Join(home, "deep", "er", "cache")
	env["AWS_ECR_CACHE_DIR"] = dir
	logFile := filepath.Join(home, "helper.log")
	env["AWS_ECR_LOG_FILE"] = logFile
	// A pre-existing log file that is too open is tightened.
	oldLog := filepath.Join(home, "old.log")
	if err := os.WriteFile(oldLog, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(oldLog, 0o666); err != nil {
		t.Fatal(err)
	}

	old := syscall.Umask(0)
	r := get(t, env, hostA)
	env2 := cloneEnv(env)
	env2["AWS_ECR_LOG_FILE"] = oldLog
	r2 := get(t, env2, hostB)
	syscall.Umask(old)
	answered(t, r)
	mustAnswer(t, r2)

	want := map[string]os.FileMode{
		filepath.Join(home, "deep"):       0o700,
		filepath.Join(home, "deep", "er"): 0o700,
		dir:                               0o700,
		filepath.Join(dir, "ecr-login-cache.json"): 0o600,
		filepath.Join(dir, "ecr-login-cache.lock"): 0o600,
		logFile: 0o600,
		oldLog:  0o600,
	}
	locks, _ := filepath.Glob(filepath.Join(dir, "ecr-login-fetch-*.lock"))
	if len(locks) == 0 {
		t.Error("no fetch lock file")
	}
	for _, l := range locks {
		want[l] = 0o600
	}
	for p, m := range want {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if fi.Mode().Perm() != m {
			t.Errorf("%s: mode %04o, want %04o", p, fi.Mode().Perm(), m)
		}
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if _, ok := want[filepath.Join(dir, e.Name())]; !ok {
			t.Errorf("unexpected file in the cache directory: %s", e.Name())
		}
	}
}
