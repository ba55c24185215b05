package cache

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A writer killed between creating its temp file and renaming it leaves the
// temp file behind. The next write removes those older than staleTempAge and
// leaves younger ones (a writer that may still be running) and other files.
func TestPutRemovesStaleTempFiles(t *testing.T) {
	s := newStore(t)
	mustPut(t, s, "first", lifetime(t0, 12*time.Hour), t0)
	dir := s.Dir()
	old := time.Now().Add(-staleTempAge - time.Minute)
	write := func(name string, mtime time.Time) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(`{"version":1,"entr`), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stale1 := write("."+FileName+".123456.tmp", old)
	stale2 := write("."+FileName+".999.tmp", old)
	young := write("."+FileName+".777.tmp", time.Now())
	otherOld := write("notes.tmp", old)            // not ours
	otherPrefix := write(".other.json.1.tmp", old) // not ours
	staleDir := filepath.Join(dir, "."+FileName+".555.tmp")
	if err := os.Mkdir(staleDir, 0o700); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(staleDir, old, old)

	mustPut(t, s, "second", lifetime(t0, 12*time.Hour), t0)

	for _, p := range []string{stale1, stale2} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("stale temp file %s survived a write (%v)", filepath.Base(p), err)
		}
	}
	for _, p := range []string{young, otherOld, otherPrefix, staleDir} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(p), err)
		}
	}
	if f := readDisk(t, s); len(f.Entries) != 2 {
		t.Errorf("entries after the cleanup: %+v", f.Entries)
	}
}

// Reading a bad file several times in one process warns once per problem.
func TestReadProblemWarnedOnce(t *testing.T) {
	var logs bytes.Buffer
	s := newStore(t, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	writeRaw(t, s, []byte("garbage"))
	for i := 0; i < 3; i++ {
		s.Get("k")
		s.Entries()
	}
	if n := strings.Count(logs.String(), "ignoring token cache file"); n != 1 {
		t.Errorf("warned %d times, want once:\n%s", n, logs.String())
	}
	writeRaw(t, s, []byte(`{"version":7}`)) // another problem: warned too
	s.Get("k")
	if n := strings.Count(logs.String(), "ignoring token cache file"); n != 2 {
		t.Errorf("a different problem was not warned: %d warnings\n%s", n, logs.String())
	}
}
