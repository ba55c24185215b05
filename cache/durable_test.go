package cache

import (
	"bytes"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/internal/atomicfile"
)

// watchWrites makes s record, for each file write, whether it asked for a
// durable (fsynced) one; the write itself still happens.
func watchWrites(s *Store) *[]bool {
	var got []bool
	s.write = func(path string, data []byte, o atomicfile.Options) error {
		got = append(got, !o.NoSync)
		return atomicfile.Write(path, data, o)
	}
	return &got
}

// TestPutSyncsWhenItReplacesSomethingUsable: the file is fsynced before the
// rename exactly when the file it replaces held a usable entry, so a power
// cut can only cost the token this write just fetched (see writeAtomic).
func TestPutSyncsWhenItReplacesSomethingUsable(t *testing.T) {
	s := newStore(t)
	writes := watchWrites(s)
	a, b := lifetime(t0, 12*time.Hour), lifetime(t0, 12*time.Hour)
	b.Password = "b"
	later := t0.Add(13 * time.Hour) // a and b have expired
	c := lifetime(later, 12*time.Hour)
	c.Password = "c"

	mustPut(t, s, "a", a, t0)                   // no file: nothing to lose
	mustPut(t, s, "b", b, t0)                   // a is usable
	mustPut(t, s, "a", a, t0.Add(time.Hour))    // a's own fallback and b
	mustPut(t, s, "c", c, later)                // only expired entries
	mustPut(t, s, "c", c, later.Add(time.Hour)) // c's fallback
	want := []bool{false, true, true, false, true}
	if !slices.Equal(*writes, want) {
		t.Errorf("durable per Put = %v, want %v", *writes, want)
	}
	if f := readDisk(t, s); !sameEntries(f.Entries, map[string]Entry{"c": c}) {
		t.Errorf("file holds %+v, want only c", f.Entries)
	}

	// A corrupt file holds nothing readable: the next Put need not sync.
	writeRaw(t, s, []byte(`{"version":1,"entr`))
	*writes = nil
	mustPut(t, s, "a", c, later)
	// Delete keeps what it does not match: always synced.
	if _, err := s.Delete(testCtx(t), func(string, Entry) bool { return false }); err != nil {
		t.Fatal(err)
	}
	if want := []bool{false, true}; !slices.Equal(*writes, want) {
		t.Errorf("durable for Put over a corrupt file, then Delete = %v, want %v", *writes, want)
	}
}

// TestUnsyncedFileTornIsMiss: what a power cut can leave of a write that was
// not fsynced (a prefix of the file, zeros where the data had not reached the
// disk, an empty file) reads as a miss, never as a partial or wrong entry, and
// the next Put replaces it. This is what makes skipping the fsync safe.
func TestUnsyncedFileTornIsMiss(t *testing.T) {
	s := newStore(t)
	e := lifetime(t0, 12*time.Hour)
	e.Endpoint = "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com"
	mustPut(t, s, "k", e, t0)
	other := lifetime(t0, 12*time.Hour)
	other.Password = "other"
	mustPut(t, s, "other", other, t0)
	full, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	var torn [][]byte
	for n := range len(full) {
		torn = append(torn, full[:n]) // cut short
		zeroed := bytes.Clone(full)
		clear(zeroed[n:]) // the tail never written: zeros, same size
		torn = append(torn, zeroed)
	}
	whole := bytes.TrimSpace(full)
	hits := 0
	for _, content := range torn {
		writeRaw(t, s, content)
		for key, want := range map[string]Entry{"k": e, "other": other} {
			got, ok := s.Get(key)
			if !ok {
				continue
			}
			// Only the complete file (less trailing white space) may answer.
			if !bytes.Equal(bytes.TrimSpace(content), whole) || !sameEntry(got, want) {
				t.Fatalf("a torn file (%d of %d bytes: %q) answered %q with %+v", len(content), len(full), content, key, got)
			}
			hits++
		}
	}
	if hits != 2 {
		t.Errorf("the complete file without its newline answered %d keys, want 2", hits)
	}
	// The next write replaces a torn file.
	writeRaw(t, s, full[:len(full)/2])
	mustPut(t, s, "k", e, t0)
	if got, ok := s.Get("k"); !ok || !sameEntry(got, e) {
		t.Errorf("after a Put over a torn file: %+v, %v", got, ok)
	}
}
