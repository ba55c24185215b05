package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// Binaries builds the module's commands for a test process, each once, into
// one temporary directory. The zero value is ready; Close removes what it built.
type Binaries struct {
	mu    sync.Mutex
	dir   string
	built map[string]built
}

type built struct {
	path string
	err  error
}

// Build builds the command in package directory pkg (relative to the test's
// working directory, "." for the package under test) and returns the
// binary's path, named after the directory (".exe" on Windows).
func (b *Binaries) Build(pkg string) (string, error) {
	abs, err := filepath.Abs(pkg)
	if err != nil {
		return "", err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if r, ok := b.built[abs]; ok {
		return r.path, r.err
	}
	if b.dir == "" {
		if b.dir, err = os.MkdirTemp("", "ecr-login-bin-"); err != nil {
			return "", err
		}
	}
	if b.built == nil {
		b.built = map[string]built{}
	}
	path := filepath.Join(b.dir, filepath.Base(abs))
	if runtime.GOOS == "windows" {
		path += ".exe"
	}
	if out, err := exec.Command("go", "build", "-o", path, abs).CombinedOutput(); err != nil {
		b.built[abs] = built{err: fmt.Errorf("building %s: %v\n%s", pkg, err, out)}
	} else {
		b.built[abs] = built{path: path}
	}
	return b.built[abs].path, b.built[abs].err
}

// Must is Build that fails the test on error.
func (b *Binaries) Must(t testing.TB, pkg string) string {
	t.Helper()
	path, err := b.Build(pkg)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// Close removes the binaries.
func (b *Binaries) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dir != "" {
		os.RemoveAll(b.dir)
	}
}
