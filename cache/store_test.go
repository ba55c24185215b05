package cache

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

const tmpPattern = "." + FileName + ".*.tmp"

// newStore returns a store whose directory does not exist yet.
func newStore(t *testing.T, opts ...Option) *Store {
	t.Helper()
	return Open(filepath.Join(t.TempDir(), "ecr"), opts...)
}

// testCtx is bounded so that a lock bug fails the test instead of hanging it.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustPut(t *testing.T, s *Store, key string, e Entry, now time.Time) {
	t.Helper()
	if err := s.Put(testCtx(t), key, e, now); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

// sameEntry compares entries, times by instant and zone offset.
func sameEntry(a, b Entry) bool {
	sameTime := func(x, y time.Time) bool {
		_, ox := x.Zone()
		_, oy := y.Zone()
		return x.Equal(y) && ox == oy
	}
	ta, tb := a, b
	ta.RequestedAt, ta.ExpiresAt, tb.RequestedAt, tb.ExpiresAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return ta == tb && sameTime(a.RequestedAt, b.RequestedAt) && sameTime(a.ExpiresAt, b.ExpiresAt)
}

func sameEntries(a, b map[string]Entry) bool {
	if len(a) != len(b) {
		return false
	}
	for k, ea := range a {
		eb, ok := b[k]
		if !ok || !sameEntry(ea, eb) {
			return false
		}
	}
	return true
}

// writeRaw puts content at the cache file path of s, creating a private dir.
func writeRaw(t *testing.T, s *Store, content []byte) {
	t.Helper()
	if err := os.MkdirAll(s.Dir(), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.Path(), content, 0o600); err != nil {
		t.Fatal(err)
	}
}

// readDisk parses the cache file directly, checking the format on the way.
func readDisk(t *testing.T, s *Store) File {
	t.Helper()
	data, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatalf("reading cache file: %v", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("cache file is not a JSON object: %v\n%s", err, data)
	}
	if v := string(raw["version"]); v != "1" {
		t.Fatalf(`cache file has "version": %s, want 1`, v)
	}
	f, err := Decode(data)
	if err != nil {
		t.Fatalf("Decode(cache file): %v", err)
	}
	return f
}

func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, tmpPattern))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	if m := leftovers(t, dir); len(m) > 0 {
		t.Errorf("temp files left behind: %v", m)
	}
}

func skipOnWindows(t *testing.T, why string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("not on Windows: " + why)
	}
}

func symlinkOrSkip(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		if runtime.GOOS == "windows" {
			t.Skipf("cannot create symlinks here: %v", err)
		}
		t.Fatal(err)
	}
}

func TestOpenDoesNoIO(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	s := Open(dir)
	if s.Dir() != dir || s.Path() != filepath.Join(dir, FileName) {
		t.Errorf("Dir/Path = %q/%q", s.Dir(), s.Path())
	}
	if _, ok := s.Get("k"); ok {
		t.Error("Get on a missing directory hit")
	}
	if n := len(s.Entries()); n != 0 {
		t.Errorf("Entries on a missing directory: %d", n)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open/Get/Entries created the directory (stat: %v)", err)
	}
}

func TestPutGetRoundTrip(t *testing.T) {
	s := newStore(t)
	want := Entry{
		Service:     "ecr",
		Region:      "ap-southeast-2",
		IdentityID:  "3f2a",
		Identity:    "profile prod: assume role arn:aws:iam::1:role/x",
		Endpoint:    "https://123456789012.dkr.ecr.ap-southeast-2.amazonaws.com",
		Username:    "AWS",
		Password:    "eyJwYXlsb2FkIjoi\u00e9\"\\\n<&>",
		RequestedAt: t0.Add(123456789 * time.Nanosecond),
		ExpiresAt:   t0.Add(12 * time.Hour).In(time.FixedZone("", -(3*60+30)*60)),
	}
	mustPut(t, s, "k", want, t0)
	got, ok := s.Get("k")
	if !ok {
		t.Fatal("Get after Put missed")
	}
	if !sameEntry(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	if _, ok := s.Get("other"); ok {
		t.Error("Get of an absent key hit")
	}
	if all := s.Entries(); len(all) != 1 || !sameEntry(all["k"], want) {
		t.Errorf("Entries = %+v", all)
	}
}

func TestPutKeepsOtherKeys(t *testing.T) {
	s := newStore(t)
	a, b := lifetime(t0, 12*time.Hour), lifetime(t0, 6*time.Hour)
	a.Password, b.Password = "pa", "pb"
	mustPut(t, s, "a", a, t0)
	mustPut(t, s, "b", b, t0.Add(time.Minute))
	f := readDisk(t, s)
	if !sameEntries(f.Entries, map[string]Entry{"a": a, "b": b}) {
		t.Errorf("after two Puts the file holds %+v", f.Entries)
	}
	// A third Put replaces one key and keeps the other.
	a2 := lifetime(t0.Add(time.Hour), 12*time.Hour)
	a2.Password = "pa2"
	mustPut(t, s, "a", a2, t0.Add(time.Hour))
	if !sameEntries(s.Entries(), map[string]Entry{"a": a2, "b": b}) {
		t.Errorf("after overwrite: %+v", s.Entries())
	}
}

func TestPutPrunesUnusable(t *testing.T) {
	s := newStore(t)
	now := t0.Add(24 * time.Hour)
	old := lifetime(t0, time.Hour)                        // expired long ago
	atNow := lifetime(t0, 24*time.Hour)                   // ExpiresAt == now: not usable
	justAfter := lifetime(t0, 24*time.Hour+1)             // usable for 1ns more
	stale := lifetime(t0.Add(13*time.Hour), 12*time.Hour) // not fresh, still usable
	for k, e := range map[string]Entry{"old": old, "atNow": atNow, "justAfter": justAfter, "stale": stale} {
		mustPut(t, s, k, e, t0) // all usable at t0
	}
	if n := len(readDisk(t, s).Entries); n != 4 {
		t.Fatalf("setup: %d entries, want 4", n)
	}
	fresh := lifetime(now, 12*time.Hour)
	mustPut(t, s, "new", fresh, now)
	got := readDisk(t, s).Entries
	want := map[string]Entry{"justAfter": justAfter, "stale": stale, "new": fresh}
	if !sameEntries(got, want) {
		keys := make([]string, 0, len(got))
		for k := range got {
			keys = append(keys, k)
		}
		t.Errorf("after pruning Put at %v the file holds %v, want justAfter, stale, new", now, keys)
	}

	// The entry being stored is subject to the same rule: one already expired
	// at now is not written.
	mustPut(t, s, "dead", lifetime(t0, time.Hour), now)
	if _, ok := s.Get("dead"); ok {
		t.Error("an entry already expired at now was stored")
	}
}

func TestDelete(t *testing.T) {
	s := newStore(t)
	ctx := testCtx(t)
	for i, id := range []string{"A", "B", "A", "C", "A"} {
		e := lifetime(t0, 12*time.Hour)
		e.IdentityID = id
		mustPut(t, s, fmt.Sprintf("k%d", i), e, t0)
	}
	n, err := s.Delete(ctx, func(_ string, e Entry) bool { return e.IdentityID == "A" })
	if err != nil || n != 3 {
		t.Fatalf("Delete(identity A) = %d, %v; want 3, nil", n, err)
	}
	got := readDisk(t, s).Entries
	if len(got) != 2 || got["k1"].IdentityID != "B" || got["k3"].IdentityID != "C" {
		t.Errorf("after Delete: %+v", got)
	}
	n, err = s.Delete(ctx, func(string, Entry) bool { return false })
	if err != nil || n != 0 {
		t.Errorf("Delete(nothing) = %d, %v; want 0, nil", n, err)
	}
	n, err = s.Delete(ctx, func(k string, _ Entry) bool { return k == "k3" })
	if err != nil || n != 1 {
		t.Errorf("Delete(by key) = %d, %v; want 1, nil", n, err)
	}
	if got := readDisk(t, s).Entries; len(got) != 1 {
		t.Errorf("after deleting k3: %+v", got)
	}
	n, err = s.Delete(ctx, func(string, Entry) bool { return true })
	if err != nil || n != 1 || len(readDisk(t, s).Entries) != 0 {
		t.Errorf("Delete(all) = %d, %v; file %+v", n, err, readDisk(t, s).Entries)
	}
}

func TestDeleteOnMissingOrCorruptFile(t *testing.T) {
	s := newStore(t)
	n, err := s.Delete(testCtx(t), func(string, Entry) bool { return true })
	if err != nil || n != 0 {
		t.Errorf("Delete with no file = %d, %v", n, err)
	}
	writeRaw(t, s, []byte("{not json"))
	n, err = s.Delete(testCtx(t), func(string, Entry) bool { return true })
	if err != nil || n != 0 {
		t.Errorf("Delete on a corrupt file = %d, %v", n, err)
	}
	if got := readDisk(t, s); len(got.Entries) != 0 {
		t.Errorf("after Delete the file holds %+v", got.Entries)
	}
}

func TestFileFormat(t *testing.T) {
	s := newStore(t)
	mustPut(t, s, "k", lifetime(t0, time.Hour), t0)
	data, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	var generic struct {
		Version *int                                  `json:"version"`
		Entries map[string]map[string]json.RawMessage `json:"entries"`
	}
	if err := json.Unmarshal(data, &generic); err != nil {
		t.Fatalf("file is not the expected JSON shape: %v\n%s", err, data)
	}
	if generic.Version == nil || *generic.Version != 1 {
		t.Errorf("version = %v, want 1\n%s", generic.Version, data)
	}
	fields := generic.Entries["k"]
	for _, name := range []string{"service", "region", "identity_id", "username", "password", "requested_at", "expires_at"} {
		if _, ok := fields[name]; !ok {
			t.Errorf("entry has no %q field\n%s", name, data)
		}
	}
	if !bytes.Contains(data, []byte(`"version": 1`)) {
		t.Errorf("file does not contain %q:\n%s", `"version": 1`, data)
	}
	if !bytes.HasSuffix(data, []byte("}\n")) {
		t.Error("file does not end with a newline")
	}
}

func TestForeignOrCorruptFile(t *testing.T) {
	valid := `{"username":"AWS","password":"p","requested_at":"2025-03-14T15:09:26Z","expires_at":"2025-03-15T03:09:26Z"}`
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 512)
	for i := range random {
		random[i] = byte(rng.UintN(256))
	}
	cases := map[string]string{
		"version 2":           `{"version":2,"entries":{"k":` + valid + `}}`,
		"version 0":           `{"version":0,"entries":{"k":` + valid + `}}`,
		"no version":          `{"entries":{"k":` + valid + `}}`,
		"version as string":   `{"version":"1","entries":{"k":` + valid + `}}`,
		"empty":               ``,
		"whitespace":          " \n\t ",
		"empty object":        `{}`,
		"null":                `null`,
		"truncated":           `{"version":1,"entries":{"k":` + valid[:40],
		"trailing garbage":    `{"version":1,"entries":{"k":` + valid + `}} x`,
		"random bytes":        string(random),
		"NUL bytes":           "\x00\x00\x00\x00",
		"JSON array":          `[{"version":1}]`,
		"JSON string":         `"version"`,
		"entries is an array": `{"version":1,"entries":[` + valid + `]}`,
		"entry is a number":   `{"version":1,"entries":{"k":5}}`,
		"entry is null":       `{"version":1,"entries":{"k":null}}`,
		"missing password":    `{"version":1,"entries":{"k":` + strings.Replace(valid, `"password":"p",`, ``, 1) + `}}`,
		"empty password":      `{"version":1,"entries":{"k":` + strings.Replace(valid, `"password":"p"`, `"password":""`, 1) + `}}`,
		"missing expires_at":  `{"version":1,"entries":{"k":` + strings.Replace(valid, `,"expires_at":"2025-03-15T03:09:26Z"`, ``, 1) + `}}`,
		"bad expires_at":      `{"version":1,"entries":{"k":` + strings.Replace(valid, `2025-03-15T03:09:26Z`, `tomorrow`, 1) + `}}`,
		"password is number":  `{"version":1,"entries":{"k":` + strings.Replace(valid, `"password":"p"`, `"password":7`, 1) + `}}`,
		"UTF-8 BOM":           "\uFEFF" + `{"version":1,"entries":{"k":` + valid + `}}`,
	}
	// The control: the same entry in a good file is served.
	t.Run("control", func(t *testing.T) {
		s := newStore(t)
		writeRaw(t, s, []byte(`{"version":1,"entries":{"k":`+valid+`}}`))
		if _, ok := s.Get("k"); !ok {
			t.Fatal("the valid control file is a miss")
		}
	})
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			s := newStore(t, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			writeRaw(t, s, []byte(content))
			if e, ok := s.Get("k"); ok {
				t.Errorf("Get hit on a bad file: %+v", e)
			}
			if n := len(s.Entries()); n != 0 {
				t.Errorf("Entries has %d entries", n)
			}
			e := lifetime(t0, 12*time.Hour)
			e.Password = "new"
			if err := s.Put(testCtx(t), "new", e, t0); err != nil {
				t.Fatalf("Put over a bad file: %v", err)
			}
			f := readDisk(t, s)
			if !sameEntries(f.Entries, map[string]Entry{"new": e}) {
				t.Errorf("after Put the file holds %+v, want only the new entry", f.Entries)
			}
			assertNoTemp(t, s.Dir())
		})
	}
}

func TestDecodeDropsOnlyInvalidEntries(t *testing.T) {
	s := newStore(t)
	writeRaw(t, s, []byte(`{"version":1,"entries":{
		"good":{"username":"AWS","password":"p","requested_at":"2025-03-14T15:09:26Z","expires_at":"2025-03-15T03:09:26Z"},
		"bad":{"username":"AWS","requested_at":"2025-03-14T15:09:26Z","expires_at":"2025-03-15T03:09:26Z"}}}`))
	if _, ok := s.Get("good"); !ok {
		t.Error("a valid entry next to an invalid one is a miss")
	}
	if _, ok := s.Get("bad"); ok {
		t.Error("an entry without a password is served")
	}
	mustPut(t, s, "new", lifetime(t0, time.Hour), t0)
	got := readDisk(t, s).Entries
	if _, ok := got["good"]; !ok || len(got) != 2 {
		t.Errorf("after Put: %+v, want good and new", got)
	}
}

func TestCorruptFileIsLogged(t *testing.T) {
	var logs bytes.Buffer
	s := newStore(t, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	s.Get("k")
	if logs.Len() != 0 {
		t.Errorf("a missing file was logged: %s", logs.String())
	}
	writeRaw(t, s, []byte("garbage"))
	s.Get("k")
	if !strings.Contains(logs.String(), "ignoring token cache file") || !strings.Contains(logs.String(), s.Path()) {
		t.Errorf("a corrupt file was not logged with its path: %q", logs.String())
	}
}

func TestFileSizeLimit(t *testing.T) {
	body := []byte(`{"version":1,"entries":{"k":{"username":"AWS","password":"p","requested_at":"2025-03-14T15:09:26Z","expires_at":"2025-03-15T03:09:26Z"}}}`)
	pad := func(n int) []byte {
		return append(append([]byte{}, body...), bytes.Repeat([]byte{' '}, n-len(body))...)
	}
	s := newStore(t)
	writeRaw(t, s, pad(maxFileSize))
	if _, ok := s.Get("k"); !ok {
		t.Error("a file of exactly maxFileSize bytes is a miss")
	}
	writeRaw(t, s, pad(maxFileSize+1))
	if _, ok := s.Get("k"); ok {
		t.Error("a file over maxFileSize bytes is served")
	}
	if _, err := Decode(pad(maxFileSize + 1)); err == nil {
		t.Error("Decode accepted more than maxFileSize bytes")
	}
}

func TestPermissions(t *testing.T) {
	skipOnWindows(t, "no Unix permission bits")
	s := newStore(t)
	mustPut(t, s, "k", lifetime(t0, time.Hour), t0)
	unlock, err := s.LockKey(testCtx(t), "k")
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	checkPerm(t, s.Dir(), 0o700)
	checkPerm(t, s.Path(), 0o600)
	checkPerm(t, filepath.Join(s.Dir(), lockName), 0o600)
	locks, _ := filepath.Glob(filepath.Join(s.Dir(), keyLockStart+"*.lock"))
	if len(locks) != 1 {
		t.Fatalf("key lock files: %v", locks)
	}
	checkPerm(t, locks[0], 0o600)

	// A later Put keeps the file private even if someone loosened it.
	if err := os.Chmod(s.Path(), 0o644); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, "k2", lifetime(t0, time.Hour), t0)
	checkPerm(t, s.Path(), 0o600)
}

func checkPerm(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s has mode %04o, want %04o", filepath.Base(path), got, want)
	}
}

func TestNoTempFilesAfterSuccess(t *testing.T) {
	s := newStore(t)
	for i := range 5 {
		mustPut(t, s, fmt.Sprint(i), lifetime(t0, time.Hour), t0)
	}
	if _, err := s.Delete(testCtx(t), func(string, Entry) bool { return true }); err != nil {
		t.Fatal(err)
	}
	assertNoTemp(t, s.Dir())
}

func TestFailedWriteReadOnlyDir(t *testing.T) {
	skipOnWindows(t, "no Unix permission bits")
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions; see TestFailedWriteTargetIsDirectory")
	}
	s := newStore(t)
	before := lifetime(t0, time.Hour)
	mustPut(t, s, "before", before, t0)
	if err := os.Chmod(s.Dir(), 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(s.Dir(), 0o700) })
	if err := s.Put(testCtx(t), "k", lifetime(t0, time.Hour), t0); err == nil {
		t.Fatal("Put into a read-only directory succeeded")
	}
	assertNoTemp(t, s.Dir())
	if e, ok := s.Get("before"); !ok || !sameEntry(e, before) {
		t.Error("the failed Put damaged the existing file")
	}
}

func TestFailedWriteTargetIsDirectory(t *testing.T) {
	// Works as root: rename(file, dir) fails whatever the permissions.
	s := newStore(t)
	if err := os.MkdirAll(filepath.Join(s.Path(), "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Get("k"); ok {
		t.Error("Get hit when the cache file is a directory")
	}
	if err := s.Put(testCtx(t), "k", lifetime(t0, time.Hour), t0); err == nil {
		t.Fatal("Put succeeded although the cache file name is a directory")
	}
	assertNoTemp(t, s.Dir())
	if fi, err := os.Lstat(s.Path()); err != nil || !fi.IsDir() {
		t.Errorf("the directory in the way was changed: %v %v", fi, err)
	}
}

func TestCacheFileSymlink(t *testing.T) {
	s := newStore(t)
	if err := os.MkdirAll(s.Dir(), 0o700); err != nil {
		t.Fatal(err)
	}
	// The target is a perfectly good cache file of ours, elsewhere.
	other := Open(filepath.Join(t.TempDir(), "other"))
	mustPut(t, other, "k", lifetime(t0, time.Hour), t0)
	orig, err := os.ReadFile(other.Path())
	if err != nil {
		t.Fatal(err)
	}
	symlinkOrSkip(t, other.Path(), s.Path())

	if _, ok := s.Get("k"); ok {
		t.Error("Get followed a symlinked cache file")
	}
	if n := len(s.Entries()); n != 0 {
		t.Errorf("Entries followed a symlinked cache file: %d entries", n)
	}
	mustPut(t, s, "k2", lifetime(t0, time.Hour), t0)
	fi, err := os.Lstat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !fi.Mode().IsRegular() {
		t.Errorf("after Put the cache file has mode %v, want a regular file", fi.Mode())
	}
	if after, _ := os.ReadFile(other.Path()); !bytes.Equal(after, orig) {
		t.Errorf("Put wrote through the symlink: target now\n%s", after)
	}
	if _, ok := s.Get("k2"); !ok {
		t.Error("Get missed the entry just stored")
	}
	if _, ok := s.Get("k"); ok {
		t.Error("the symlink target's entry leaked into the cache")
	}
}

func TestLockFileSymlinkIsUnsafe(t *testing.T) {
	t.Run("key lock to existing file", func(t *testing.T) {
		s := newStore(t)
		target := filepath.Join(t.TempDir(), "victim")
		if err := os.WriteFile(target, []byte("keep"), 0o600); err != nil {
			t.Fatal(err)
		}
		path := keyLockPath(t, s, "k")
		symlinkOrSkip(t, target, path)
		unlock, err := s.LockKey(testCtx(t), "k")
		if !errors.Is(err, ErrUnsafe) {
			if err == nil {
				unlock()
			}
			t.Fatalf("LockKey through a symlink: err = %v, want ErrUnsafe", err)
		}
		if b, _ := os.ReadFile(target); string(b) != "keep" {
			t.Errorf("symlink target changed: %q", b)
		}
	})
	t.Run("key lock dangling", func(t *testing.T) {
		s := newStore(t)
		target := filepath.Join(t.TempDir(), "would-be-created")
		path := keyLockPath(t, s, "k")
		symlinkOrSkip(t, target, path)
		unlock, err := s.LockKey(testCtx(t), "k")
		if !errors.Is(err, ErrUnsafe) {
			if err == nil {
				unlock()
			}
			t.Fatalf("LockKey through a dangling symlink: err = %v, want ErrUnsafe", err)
		}
		if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("LockKey created the symlink target (%v)", err)
		}
	})
	t.Run("store lock", func(t *testing.T) {
		s := newStore(t)
		if err := os.MkdirAll(s.Dir(), 0o700); err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(t.TempDir(), "victim")
		symlinkOrSkip(t, target, filepath.Join(s.Dir(), lockName))
		err := s.Put(testCtx(t), "k", lifetime(t0, time.Hour), t0)
		if !errors.Is(err, ErrUnsafe) {
			t.Fatalf("Put with a symlinked lock file: err = %v, want ErrUnsafe", err)
		}
		if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Put created the symlink target (%v)", err)
		}
		if _, err := os.Lstat(s.Path()); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Put wrote the cache file without its lock (%v)", err)
		}
	})
}

// keyLockPath finds the lock file LockKey uses for key by taking it once, so
// the test does not depend on how the name is derived. The file is removed.
func keyLockPath(t *testing.T, s *Store, key string) string {
	t.Helper()
	unlock, err := s.LockKey(testCtx(t), key)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	m, err := filepath.Glob(filepath.Join(s.Dir(), keyLockStart+"*.lock"))
	if err != nil || len(m) != 1 {
		t.Fatalf("key lock files: %v %v", m, err)
	}
	if err := os.Remove(m[0]); err != nil {
		t.Fatal(err)
	}
	return m[0]
}

func TestUnsafeDirectory(t *testing.T) {
	skipOnWindows(t, "no Unix permission bits")
	for _, mode := range []fs.FileMode{0o777, 0o770, 0o702, fs.ModeSticky | 0o777} {
		t.Run(mode.String(), func(t *testing.T) {
			s := newStore(t)
			mustPut(t, s, "k", lifetime(t0, time.Hour), t0)
			orig, _ := os.ReadFile(s.Path())
			if err := os.Chmod(s.Dir(), mode); err != nil {
				t.Fatal(err)
			}
			if _, ok := s.Get("k"); ok {
				t.Error("Get served from a directory others can write")
			}
			if err := s.Put(testCtx(t), "k2", lifetime(t0, time.Hour), t0); !errors.Is(err, ErrUnsafe) {
				t.Errorf("Put: err = %v, want ErrUnsafe", err)
			}
			if _, err := s.LockKey(testCtx(t), "k"); !errors.Is(err, ErrUnsafe) {
				t.Errorf("LockKey: err = %v, want ErrUnsafe", err)
			}
			if n, err := s.Delete(testCtx(t), func(string, Entry) bool { return true }); !errors.Is(err, ErrUnsafe) || n != 0 {
				t.Errorf("Delete = %d, %v; want 0, ErrUnsafe", n, err)
			}
			if now, _ := os.ReadFile(s.Path()); !bytes.Equal(now, orig) {
				t.Error("the file in the unsafe directory was rewritten")
			}
			if fi, _ := os.Stat(s.Dir()); fi.Mode()&(fs.ModePerm|fs.ModeSticky) != mode {
				t.Errorf("directory mode changed to %v", fi.Mode())
			}
		})
	}
}

func TestUnsafeFileIsMissAndReplaced(t *testing.T) {
	skipOnWindows(t, "no Unix permission bits")
	s := newStore(t)
	mustPut(t, s, "k", lifetime(t0, time.Hour), t0)
	if err := os.Chmod(s.Path(), 0o666); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Get("k"); ok {
		t.Error("Get served a file others can write")
	}
	mustPut(t, s, "k2", lifetime(t0, time.Hour), t0)
	checkPerm(t, s.Path(), 0o600)
	if got := readDisk(t, s).Entries; len(got) != 1 {
		t.Errorf("the untrusted file's entries were kept: %+v", got)
	}
}

func TestOwnedByAnotherUser(t *testing.T) {
	skipOnWindows(t, "no Unix ownership")
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	const nobody = 65534
	t.Run("directory", func(t *testing.T) {
		s := newStore(t)
		mustPut(t, s, "k", lifetime(t0, time.Hour), t0)
		if err := os.Chown(s.Dir(), nobody, nobody); err != nil {
			t.Fatal(err)
		}
		if _, ok := s.Get("k"); ok {
			t.Error("Get served from a directory owned by another user")
		}
		if err := s.Put(testCtx(t), "k2", lifetime(t0, time.Hour), t0); !errors.Is(err, ErrUnsafe) {
			t.Errorf("Put: err = %v, want ErrUnsafe", err)
		}
		if _, err := s.LockKey(testCtx(t), "k"); !errors.Is(err, ErrUnsafe) {
			t.Errorf("LockKey: err = %v, want ErrUnsafe", err)
		}
	})
	t.Run("file", func(t *testing.T) {
		s := newStore(t)
		mustPut(t, s, "k", lifetime(t0, time.Hour), t0)
		if err := os.Chown(s.Path(), nobody, nobody); err != nil {
			t.Fatal(err)
		}
		if _, ok := s.Get("k"); ok {
			t.Error("Get served a file owned by another user")
		}
		// Our directory, so the foreign file is simply replaced.
		mustPut(t, s, "k2", lifetime(t0, time.Hour), t0)
		if _, ok := s.Get("k2"); !ok {
			t.Error("Put did not replace the foreign file with one of ours")
		}
	})
}

func TestCacheDirNotADirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := Open(path)
	if _, ok := s.Get("k"); ok {
		t.Error("Get hit")
	}
	if err := s.Put(testCtx(t), "k", lifetime(t0, time.Hour), t0); err == nil {
		t.Error("Put into a regular file succeeded")
	}
	if _, err := s.LockKey(testCtx(t), "k"); err == nil {
		t.Error("LockKey in a regular file succeeded")
	}
}

// A symlinked cache directory is refused (issue 10): see symlink_test.go.

// lockAsync takes the key lock in a goroutine and reports the outcome.
type lockResult struct {
	unlock func()
	err    error
}

func lockAsync(ctx context.Context, s *Store, key string) <-chan lockResult {
	ch := make(chan lockResult, 1)
	go func() {
		u, err := s.LockKey(ctx, key)
		ch <- lockResult{u, err}
	}()
	return ch
}

func TestLockKeySameKeyWaits(t *testing.T) {
	s := newStore(t)
	unlock1, err := s.LockKey(testCtx(t), "k")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	second := lockAsync(ctx, s, "k")
	select {
	case r := <-second:
		if r.err == nil {
			r.unlock()
		}
		unlock1()
		t.Fatalf("second LockKey returned while the first holds the lock: %v", r.err)
	case <-time.After(300 * time.Millisecond):
	}
	unlock1()
	select {
	case r := <-second:
		if r.err != nil {
			t.Fatalf("second LockKey after unlock: %v", r.err)
		}
		r.unlock()
	case <-ctx.Done():
		t.Fatal("second LockKey did not get the lock after the first unlocked")
	}
}

func TestLockKeyContextDone(t *testing.T) {
	s := newStore(t)
	unlock, err := s.LockKey(testCtx(t), "k")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	select {
	case r := <-lockAsync(ctx, s, "k"):
		if r.err == nil {
			r.unlock()
		}
		if !errors.Is(r.err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want context.DeadlineExceeded", r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("LockKey ignored its context deadline")
	}

	ctx2, cancel2 := context.WithCancelCause(context.Background())
	cause := errors.New("user gave up")
	ch := lockAsync(ctx2, s, "k")
	cancel2(cause)
	select {
	case r := <-ch:
		if r.err == nil {
			r.unlock()
		}
		if !errors.Is(r.err, cause) {
			t.Errorf("err = %v, want the cancel cause", r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("LockKey ignored cancellation")
	}
}

func TestLockKeyDifferentKeysIndependent(t *testing.T) {
	s := newStore(t)
	unlockA, err := s.LockKey(testCtx(t), "a")
	if err != nil {
		t.Fatal(err)
	}
	defer unlockA()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	unlockB, err := s.LockKey(ctx, "b")
	if err != nil {
		t.Fatalf("LockKey(b) while a is held: %v", err)
	}
	defer unlockB()
	// Holding key locks does not block writes either.
	if err := s.Put(ctx, "a", lifetime(t0, time.Hour), t0); err != nil {
		t.Errorf("Put while key locks are held: %v", err)
	}
}

func TestLockKeyReacquire(t *testing.T) {
	s := newStore(t)
	for i := range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		unlock, err := s.LockKey(ctx, "k")
		cancel()
		if err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		unlock()
	}
}

func TestPutWaitsForStoreLock(t *testing.T) {
	s := newStore(t)
	mustPut(t, s, "k", lifetime(t0, time.Hour), t0)
	release, err := s.lock(testCtx(t), filepath.Join(s.Dir(), lockName))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := s.Put(ctx, "k2", lifetime(t0, time.Hour), t0); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Put while the store lock is held: err = %v, want DeadlineExceeded", err)
	}
	if _, ok := s.Get("k2"); ok {
		t.Error("Put wrote without the store lock")
	}
	// Readers do not need the lock.
	if _, ok := s.Get("k"); !ok {
		t.Error("Get blocked or missed while the store lock is held")
	}
	release()
	mustPut(t, s, "k2", lifetime(t0, time.Hour), t0)
}

func TestConcurrentPutsInProcess(t *testing.T) {
	s := newStore(t)
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := lifetime(t0, time.Hour)
			e.Password = fmt.Sprint("p", i)
			errs <- s.Put(testCtx(t), fmt.Sprint("k", i), e, t0)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	got := readDisk(t, s).Entries
	if len(got) != n {
		t.Errorf("%d entries after %d concurrent Puts", len(got), n)
	}
	for i := range n {
		if got[fmt.Sprint("k", i)].Password != fmt.Sprint("p", i) {
			t.Errorf("entry k%d lost or wrong: %+v", i, got[fmt.Sprint("k", i)])
		}
	}
	assertNoTemp(t, s.Dir())
}

// TestReadersNeverSeePartialFile checks that a reader racing writers always
// sees a complete file: rename is atomic, readers take no lock.
func TestReadersNeverSeePartialFile(t *testing.T) {
	if !replaceWhileOpenWorks(t) {
		t.Skip("no POSIX rename semantics here: see TestPutWhileReaderHasFileOpen")
	}
	s := newStore(t)
	mustPut(t, s, "stable", lifetime(t0, time.Hour), t0)
	stop := make(chan struct{})
	var misses, reads int
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			reads++
			if _, ok := s.Get("stable"); !ok {
				misses++
			}
		}
	}()
	for i := range 50 {
		e := lifetime(t0, time.Hour)
		e.Password = strings.Repeat("x", 1000*(i%7+1)) // vary the size
		if err := s.Put(testCtx(t), fmt.Sprint("k", i%5), e, t0); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	<-done
	if misses > 0 {
		t.Errorf("%d of %d reads during writes missed a key that was always present", misses, reads)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"version":1,"entries":{"k":{"service":"ecr","region":"us-east-1","identity_id":"i","username":"AWS","password":"p","requested_at":"2025-03-14T15:09:26Z","expires_at":"2025-03-15T03:09:26.123456789+05:30"}}}`))
	f.Add([]byte(`{"version":1,"entries":{}}`))
	f.Add([]byte(`{"version":1,"entries":null}`))
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":2,"entries":{}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))
	f.Add([]byte(`{"version":1,"entries":{"k":{"username":"AWS","password":"p","requested_at":"0001-01-01T00:00:00Z","expires_at":"9999-12-31T23:59:59Z"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		f1, err := Decode(data)
		if err != nil {
			return
		}
		if f1.Version != FormatVersion || f1.Entries == nil {
			t.Fatalf("Decode succeeded with version %d, entries %v", f1.Version, f1.Entries)
		}
		for k, e := range f1.Entries {
			if !e.valid() {
				t.Fatalf("Decode kept invalid entry %q: %+v", k, e)
			}
		}
		// What Decode accepts, update must be able to write back.
		out, err := json.MarshalIndent(f1, "", "  ")
		if err != nil {
			t.Fatalf("re-encoding a decoded file: %v\ninput: %q", err, data)
		}
		f2, err := Decode(out)
		if err != nil {
			t.Fatalf("decoding a re-encoded file: %v\ninput: %q\nre-encoded: %s", err, data, out)
		}
		if !sameEntries(f1.Entries, f2.Entries) {
			t.Fatalf("entries changed across a round trip\nfirst:  %+v\nsecond: %+v", f1.Entries, f2.Entries)
		}
	})
}
