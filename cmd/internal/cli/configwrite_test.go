//go:build unix

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Root runs `configure docker` on another user's file, reached through a
// symlink: the file stays that user's (owner and group), the symlink stays,
// and the mode change is announced.
func TestConfigureKeepsTheOwner(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("creating another user's file needs root")
	}
	root := t.TempDir()
	real := filepath.Join(root, "user", "config.json")
	writeFile(t, real, []byte(`{"auths":{}}`), 0o644)
	if err := os.Chmod(real, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(real, 1234, 1235); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "docker")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, filepath.Join(dir, "config.json")); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runConfigure(t, dockerEnv(dir), "docker")
	if code != 0 || !strings.Contains(stdout, "0644 to 0600") {
		t.Fatalf("exit %d\nstdout=%s\nstderr=%s", code, stdout, stderr)
	}
	fi, err := os.Stat(real)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if st.Uid != 1234 || st.Gid != 1235 {
		t.Fatalf("owner %d:%d, want 1234:1235 kept", st.Uid, st.Gid)
	}
	if lfi, err := os.Lstat(filepath.Join(dir, "config.json")); err != nil || lfi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the symlink was replaced: %v %v", lfi, err)
	}
	if !strings.Contains(string(readFile(t, real)), `"public.ecr.aws": "ecr-login"`) {
		t.Fatalf("not configured:\n%s", readFile(t, real))
	}
}

// A hard-linked or read-only config.json is refused with the reason, and
// neither file changes (also as root, which could write anyway).
func TestConfigureRefusesHardLinksAndReadOnlyFiles(t *testing.T) {
	for name, setup := range map[string]func(t *testing.T, path string) string{
		"hard-link": func(t *testing.T, path string) string {
			writeFile(t, path+".orig", []byte("{}\n"), 0o600)
			if err := os.Link(path+".orig", path); err != nil {
				t.Fatal(err)
			}
			return "hard links"
		},
		"read-only": func(t *testing.T, path string) string {
			writeFile(t, path, []byte("{}\n"), 0o400)
			return "read-only (mode 0400)"
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config.json")
			want := setup(t, path)
			before, _ := os.Stat(path)
			code, stdout, stderr := runConfigure(t, dockerEnv(dir), "docker")
			if code == 0 || !strings.Contains(stderr, want) || !strings.Contains(stderr, "nothing was changed") {
				t.Fatalf("exit %d\nstdout=%s\nstderr=%s", code, stdout, stderr)
			}
			after, _ := os.Stat(path)
			if string(readFile(t, path)) != "{}\n" || !os.SameFile(before, after) || after.Mode() != before.Mode() {
				t.Fatalf("the file changed: %v -> %v, %q", before.Mode(), after.Mode(), readFile(t, path))
			}
		})
	}
}
