//go:build unix

package cache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A cache directory that is a symbolic link to another directory is not
// used: nothing is read from or written to the directory it points at, and
// the error says why.
func TestSymlinkedDirectoryIsRefused(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "elsewhere")
	if err := os.Mkdir(real, 0o700); err != nil {
		t.Fatal(err)
	}
	// A valid cache file there, which must not be served.
	good := Open(real)
	now := time.Now()
	e := Entry{Service: "ecr", Region: "us-east-1", IdentityID: "id", Username: "AWS", Password: "p", RequestedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := good.Put(context.Background(), "k", e, now); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(real, FileName))
	link := filepath.Join(root, ".ecr")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	s := Open(link)
	if _, ok := s.Get("k"); ok {
		t.Fatal("served an entry through the symlink")
	}
	err := s.Put(context.Background(), "k2", e, now)
	if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("Put = %v, want ErrUnsafe naming the link", err)
	}
	if _, err := s.LockKey(context.Background(), "k2"); !errors.Is(err, ErrUnsafe) {
		t.Fatalf("LockKey = %v, want ErrUnsafe", err)
	}
	after, _ := os.ReadFile(filepath.Join(real, FileName))
	if string(before) != string(after) {
		t.Fatal("the directory behind the link was written")
	}
	// A link further up the path is fine.
	if err := Open(filepath.Join(link, "sub")).Put(context.Background(), "k3", e, now); err != nil {
		t.Fatalf("a directory under a linked parent: %v", err)
	}
}
