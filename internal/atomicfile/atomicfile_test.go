package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// TestWriteCleansUp (moved from cli's TestConfigureWriteAtomicCleansUp).
func TestWriteCleansUp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Renaming a file over a non-empty directory fails.
	target := filepath.Join(dir, "config.json")
	if err := os.MkdirAll(target, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(target, []byte("{}\n"), Options{}); err == nil {
		t.Fatal("no error")
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"config.json"}) {
		t.Errorf("temporary file left: %v", names)
	}
	// A directory that does not exist: nothing to clean, an error.
	if err := Write(filepath.Join(dir, "nope", "config.json"), nil, Options{}); err == nil {
		t.Fatal("no error")
	}
}

// TestWritePrepare: Prepare sees the temporary file (named by TempPattern,
// next to the target) at mode 0600 and still empty; its error leaves the
// old file and no temporary file.
func TestWritePrepare(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "f.json")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	calls := 0
	err := Write(target, []byte("new"), Options{TempPattern: ".f.json.*.tmp", Prepare: func(f *os.File) error {
		calls++
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		name := filepath.Base(f.Name())
		if filepath.Dir(f.Name()) != dir || !strings.HasPrefix(name, ".f.json.") || !strings.HasSuffix(name, ".tmp") {
			t.Errorf("temporary file %s", f.Name())
		}
		if fi.Size() != 0 || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
			t.Errorf("in Prepare: size %d, mode %v; want empty and 0600", fi.Size(), fi.Mode().Perm())
		}
		return nil
	}})
	if err != nil || calls != 1 {
		t.Fatalf("Write: %v, Prepare called %d times", err, calls)
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Errorf("target holds %q", b)
	}
	if fi, err := os.Stat(target); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
		t.Errorf("target: %v, %v; want mode 0600", fi.Mode(), err)
	}

	errNo := errors.New("no")
	err = Write(target, []byte("newer"), Options{SyncDir: true, Prepare: func(*os.File) error { return errNo }})
	if !errors.Is(err, errNo) {
		t.Errorf("Write: %v, want Prepare's error", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Errorf("after a failed Prepare the target holds %q", b)
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"f.json"}) {
		t.Errorf("dir holds %v", names)
	}
}

// TestWriteReplacesSymlink: a symlink at the target is replaced, its
// destination left alone.
func TestWriteReplacesSymlink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dest, link := filepath.Join(dir, "dest"), filepath.Join(dir, "link")
	if err := os.WriteFile(dest, []byte("dest"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dest, link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if err := Write(link, []byte("new"), Options{}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dest); string(b) != "dest" {
		t.Errorf("the symlink's destination changed: %q", b)
	}
	if fi, err := os.Lstat(link); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("link is now %v, %v; want a regular file", fi.Mode(), err)
	}
}

// TestWriteNoSync: the file is fsynced before the rename unless NoSync says
// otherwise; the contents and the mode are the same either way. Not parallel:
// it swaps syncFile.
func TestWriteNoSync(t *testing.T) {
	calls := 0
	syncFile = func(f *os.File) error { calls++; return f.Sync() }
	t.Cleanup(func() { syncFile = (*os.File).Sync })
	target := filepath.Join(t.TempDir(), "f.json")
	for _, o := range []Options{{}, {NoSync: true}, {SyncDir: true}} {
		calls = 0
		if err := Write(target, []byte("data"), o); err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{false: 1, true: 0}[o.NoSync]; calls != want {
			t.Errorf("%+v: %d fsyncs of the file, want %d", o, calls, want)
		}
		got, err := os.ReadFile(target)
		if err != nil || string(got) != "data" {
			t.Errorf("%+v: file holds %q, %v", o, got, err)
		}
		if fi, err := os.Stat(target); err != nil {
			t.Error(err)
		} else if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
			t.Errorf("%+v: mode %v, want 0600", o, fi.Mode())
		}
	}
}
