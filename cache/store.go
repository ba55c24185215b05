package cache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ecr-login/ecr-login/internal/atomicfile"
)

// File names inside the cache directory. They differ from the awslabs
// helper's cache.json, which is left alone when both share ~/.ecr.
const (
	FileName     = "ecr-login-cache.json"
	lockName     = "ecr-login-cache.lock"
	keyLockStart = "ecr-login-fetch-"

	// FormatVersion is written into every file; a file with another version is
	// treated as foreign (a miss) and replaced on the next write.
	FormatVersion = 1

	// maxFileSize bounds what is read back: a larger file is not ours.
	maxFileSize = 4 << 20
)

// errCorrupt marks a file that is not a cache file of this version: it reads
// as empty and the next write replaces it.
var errCorrupt = errors.New("not a token cache file")

// ErrUnsafe is returned when the cache directory or file cannot be trusted
// (a symlink, owned by someone else, writable by others).
var ErrUnsafe = errors.New("cache location is unsafe")

// File is the on-disk format.
type File struct {
	Version int              `json:"version"`
	Entries map[string]Entry `json:"entries"`
}

// Store is a token cache in one directory. The zero value is not usable; use Open.
type Store struct {
	dir    string
	logger *slog.Logger
	poll   time.Duration

	mu     sync.Mutex
	warned map[string]bool // read problems already logged

	// write is atomicfile.Write (tests watch the options writeAtomic asks for).
	write func(path string, data []byte, o atomicfile.Options) error
}

// Option configures a Store.
type Option func(*Store)

// WithLogger sends the store's diagnostics (corrupt files, failed writes) to l.
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.logger = l } }

// Open returns a Store for dir. It does no I/O: a missing directory is created
// on the first write.
func Open(dir string, opts ...Option) *Store {
	s := &Store{dir: dir, logger: slog.New(slog.DiscardHandler), poll: 50 * time.Millisecond, write: atomicfile.Write}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Dir is the cache directory.
func (s *Store) Dir() string { return s.dir }

// CheckDir says why the cache directory cannot be used, or nil.
func (s *Store) CheckDir() error { return checkDir(s.dir) }

// Path is the cache file.
func (s *Store) Path() string { return filepath.Join(s.dir, FileName) }

// Get returns the entry stored under key. A missing, corrupt, foreign or unsafe
// file is a miss, never an error.
func (s *Store) Get(key string) (Entry, bool) {
	f, err := s.read()
	if err != nil {
		s.logRead(err)
		return Entry{}, false
	}
	e, ok := f.Entries[key]
	return e, ok
}

// Entries returns every entry in the file (see Get for what counts as a miss).
func (s *Store) Entries() map[string]Entry {
	f, err := s.read()
	if err != nil {
		s.logRead(err)
		return map[string]Entry{}
	}
	return f.Entries
}

func (s *Store) logRead(err error) {
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	// One process reads the file several times (lookup, re-check under the
	// lock, fallback, write): say what is wrong with it once.
	s.mu.Lock()
	seen := s.warned[err.Error()]
	if s.warned == nil {
		s.warned = map[string]bool{}
	}
	s.warned[err.Error()] = true
	s.mu.Unlock()
	if seen {
		return
	}
	s.logger.Warn("ignoring token cache file", "path", s.Path(), "reason", err.Error())
}

// Put stores e under key. It reads the file under the write lock, adds e,
// drops entries no longer usable at now, and replaces the file atomically, so
// that concurrent writers of different keys keep each other's entries.
func (s *Store) Put(ctx context.Context, key string, e Entry, now time.Time) error {
	if !e.valid() {
		return errors.New("cache entry needs a username, a password and both times")
	}
	return s.update(ctx, func(entries map[string]Entry) (durable bool) {
		// The write must survive a power cut only if the file held a usable
		// entry (this key's fallback included): see writeAtomic.
		for _, old := range entries {
			if old.Usable(now) {
				durable = true
				break
			}
		}
		entries[key] = e
		for k, old := range entries {
			if !old.Usable(now) {
				delete(entries, k)
			}
		}
		return durable
	})
}

// Delete removes the entries for which match returns true and says how many went.
func (s *Store) Delete(ctx context.Context, match func(key string, e Entry) bool) (int, error) {
	n := 0
	err := s.update(ctx, func(entries map[string]Entry) bool {
		for k, e := range entries {
			if match(k, e) {
				delete(entries, k)
				n++
			}
		}
		return true // what is left must not be lost
	})
	return n, err
}

// update reads the file under the write lock, applies change and replaces
// the file; change says whether the new file must be durable (writeAtomic).
func (s *Store) update(ctx context.Context, change func(map[string]Entry) (durable bool)) error {
	if err := s.ensureDir(); err != nil {
		return err
	}
	unlock, err := s.lock(ctx, filepath.Join(s.dir, lockName))
	if err != nil {
		return err
	}
	defer unlock()
	s.removeStaleTemps()
	f, err := s.read()
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, errCorrupt) || errors.Is(err, ErrUnsafe):
		// Missing, foreign or unsafe: start afresh; rename replaces it.
		s.logRead(err)
		f = File{Entries: map[string]Entry{}}
	default:
		// A passing failure (out of file handles, I/O error): do not
		// overwrite entries we could not read.
		return fmt.Errorf("reading token cache: %w", err)
	}
	durable := change(f.Entries)
	f.Version = FormatVersion
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding token cache: %w", err)
	}
	return s.writeAtomic(FileName, append(data, '\n'), durable)
}

// LockKey takes the fetch lock for key: while a process holds it, other
// processes that missed the same key wait instead of calling the issuer, then
// read what the holder stored. It waits until ctx is done. The lock is an OS
// file lock, so it is released when the holder exits, even by SIGKILL.
func (s *Store) LockKey(ctx context.Context, key string) (unlock func(), err error) {
	if err := s.ensureDir(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(key))
	return s.lock(ctx, filepath.Join(s.dir, keyLockStart+hex.EncodeToString(sum[:8])+".lock"))
}

// lock takes an exclusive OS lock on path, polling until ctx is done.
func (s *Store) lock(ctx context.Context, path string) (func(), error) {
	f, err := openLockFile(path)
	if errors.Is(err, fs.ErrPermission) {
		return nil, fmt.Errorf("opening cache lock: %w (the cache directory must be writable by you; fix its permissions or use another cache directory)", err)
	}
	if err != nil {
		return nil, fmt.Errorf("opening cache lock: %w", err)
	}
	wait := time.Millisecond
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if ok {
			return func() { unlockFile(f); f.Close() }, nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for cache lock %s: %w", path, context.Cause(ctx))
		case <-time.After(wait):
		}
		if wait *= 2; wait > s.poll {
			wait = s.poll
		}
	}
}

// read loads and checks the cache file.
func (s *Store) read() (File, error) {
	if err := checkDir(s.dir); err != nil {
		return File{}, err
	}
	f, err := openNoFollow(s.Path())
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	if err := checkFile(f); err != nil {
		return File{}, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return File{}, err
	}
	return Decode(data)
}

// Decode parses a cache file. It fails on anything that is not a well-formed
// file of this FormatVersion; entries missing required fields are dropped.
func Decode(data []byte) (File, error) {
	if len(data) > maxFileSize {
		return File{}, fmt.Errorf("%w: larger than %d bytes", errCorrupt, maxFileSize)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return File{}, fmt.Errorf("%w: empty", errCorrupt)
	}
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		return File{}, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	if f.Version != FormatVersion {
		return File{}, fmt.Errorf("%w: format version %d, want %d", errCorrupt, f.Version, FormatVersion)
	}
	for k, e := range f.Entries {
		if !e.valid() {
			delete(f.Entries, k)
		}
	}
	if f.Entries == nil {
		f.Entries = map[string]Entry{}
	}
	return f, nil
}

// ensureDir creates the directory (0700) if needed and checks it is safe to write.
func (s *Store) ensureDir() error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("creating cache directory: %w; use another cache directory", err)
	}
	return checkDir(s.dir)
}

// staleTempAge is the age from which a temp file of writeAtomic counts as
// abandoned. Temp files are made only under the write lock and live for
// milliseconds; one that is older was left by a writer that was killed (or
// lost power) between creating and renaming it.
const staleTempAge = time.Minute

// removeStaleTemps deletes temp files that killed writers left in the cache
// directory, so that they do not pile up. It runs under the write lock and
// leaves young ones alone, in case some other writer does not take the lock.
func (s *Store) removeStaleTemps() {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	prefix := "." + FileName + "."
	for _, d := range ents {
		name := d.Name()
		if !d.Type().IsRegular() || !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, ".tmp") {
			continue
		}
		fi, err := d.Info()
		if err != nil || time.Since(fi.ModTime()) < staleTempAge {
			continue
		}
		if err := os.Remove(filepath.Join(s.dir, name)); err == nil {
			s.logger.Debug("removed a temp file left by an interrupted cache write", "path", filepath.Join(s.dir, name))
		}
	}
}

// writeAtomic replaces name in the cache directory with data through
// atomicfile.Write (a 0600 temp file in the directory, rename; the temp file
// removed on every error path), under the temp name removeStaleTemps looks
// for. Readers see the old file or the new one, whole, durable or not.
//
// The directory is not fsynced after the rename (it cost a cold get ~7 ms
// on the bench machine): a power cut before the rename reaches the disk leaves
// the previous file, complete, so the worst case is a token fetched again.
//
// The file itself is fsynced before the rename only when durable, that is
// when the file it replaces held a usable entry. A write that is not fsynced
// can, after a power cut (or an ENOSPC that only writeback reports), leave
// the file empty, cut short or zero-filled. Decode refuses all of those, so
// the file reads as a miss, never as a partial or wrong answer
// (TestUnsyncedFileTornIsMiss), and the next write replaces it. As the old
// file held nothing usable, nothing is lost but what this write added: a
// token one fetch replaces (or an MFA session, one prompt). That is the cold
// get (no file yet, or only expired entries), where the fsync was ~1 ms of a
// ~12 ms run on the bench machine, more on a busy disk. Every other write (a
// refresh while a fallback token exists, one beside other identities' tokens
// or MFA sessions, any Delete) is fsynced as before.
func (s *Store) writeAtomic(name string, data []byte, durable bool) error {
	o := atomicfile.Options{TempPattern: "." + name + ".*.tmp", NoSync: !durable}
	if err := s.write(filepath.Join(s.dir, name), data, o); err != nil {
		return fmt.Errorf("writing token cache: %w", err)
	}
	return nil
}
