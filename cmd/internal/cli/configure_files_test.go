//go:build unix

// File modes, umask and symlinks are Unix notions; on Windows these tests
// would test nothing the code does there.

package cli

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestConfigureModes is not parallel: it sets the process umask.
func TestConfigureModes(t *testing.T) {
	for _, mask := range []int{0, 0o022} {
		old := syscall.Umask(mask)
		func() {
			defer syscall.Umask(old)
			root := t.TempDir()
			dir := filepath.Join(root, "a", "docker")
			if code, stdout, stderr := runConfigure(t, dockerEnv(dir), "docker"); code != 0 {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			checkMode(t, dir, 0o700)
			checkMode(t, filepath.Join(dir, "config.json"), 0o600)

			// An existing, looser file becomes 0600 and says so.
			path := filepath.Join(root, "loose", "config.json")
			writeFile(t, path, []byte("{}"), 0o644)
			if err := os.Chmod(path, 0o666); err != nil {
				t.Fatal(err)
			}
			code, stdout, _ := runConfigure(t, dockerEnv(filepath.Dir(path)), "docker")
			if code != 0 || !strings.Contains(stdout, "0666 to 0600") {
				t.Errorf("exit %d, stdout:\n%s", code, stdout)
			}
			checkMode(t, path, 0o600)
		}()
	}
}

func checkMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %04o, want %04o", path, got, want)
	}
}
