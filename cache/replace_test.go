package cache

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/internal/atomicfile"
)

// replaceWhileOpenWorks reports whether this platform can rename a file over
// one that a reader of this package (openNoFollow) has open. Unix always can.
// Windows can with POSIX rename semantics (NTFS, Windows 10 1809 and later);
// FAT, older Windows and Wine 8 (no FileRenameInformationEx) cannot.
func replaceWhileOpenWorks(t *testing.T) bool {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a"), []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b"), []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := openNoFollow(filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return atomicfile.Replace(dir, "b", "a") == nil
}

// TestPutWhileReaderHasFileOpen: a reader holding the cache file open does not
// stop a writer from replacing it, and keeps reading what it opened.
func TestPutWhileReaderHasFileOpen(t *testing.T) {
	if !replaceWhileOpenWorks(t) {
		if runtime.GOOS != "windows" {
			t.Fatal("rename over an open file failed on " + runtime.GOOS)
		}
		t.Skip("this Windows file system has no POSIX rename semantics (FAT, Windows before 10 1809, or Wine 8): a writer retries for replaceBudget, then reports the error")
	}
	s := newStore(t)
	mustPut(t, s, "k1", lifetime(t0, time.Hour), t0)
	f, err := openNoFollow(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mustPut(t, s, "k2", lifetime(t0, time.Hour), t0)
	if got := readDisk(t, s).Entries; len(got) != 2 {
		t.Errorf("after a Put while a reader had the file open: %d entries, want 2", len(got))
	}
	old := make([]byte, maxFileSize)
	n, _ := f.Read(old)
	if dec, err := Decode(old[:n]); err != nil || len(dec.Entries) != 1 {
		t.Errorf("the open reader sees %d entries (err %v), want the 1 it opened", len(dec.Entries), err)
	}
}
