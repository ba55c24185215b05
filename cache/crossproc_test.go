//go:build !windows

// Tests that depend on Unix process semantics: several processes sharing a
// cache directory, a lock released by SIGKILL, the process-wide umask, FIFOs.
// Children are this test binary re-executed with -test.run=^TestChildProcess$
// and CACHE_TEST_CHILD set to what they should do.

package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	envChild  = "CACHE_TEST_CHILD"  // "put" or "lock"
	envDir    = "CACHE_TEST_DIR"    // cache directory
	envKey    = "CACHE_TEST_KEY"    // key to store or lock
	envSignal = "CACHE_TEST_SIGNAL" // put: wait for this file; lock: create it once locked
)

// TestChildProcess is not a test: it is the body of the child processes the
// other tests start. Run directly, it skips.
func TestChildProcess(t *testing.T) {
	mode := os.Getenv(envChild)
	if mode == "" {
		t.Skip("only runs as a child of the cross-process tests")
	}
	s := Open(os.Getenv(envDir))
	key := os.Getenv(envKey)
	signal := os.Getenv(envSignal)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	switch mode {
	case "put":
		// Start line: every child waits for the parent's go, so the Puts overlap.
		for {
			if _, err := os.Stat(signal); err == nil {
				break
			}
			select {
			case <-ctx.Done():
				t.Fatal("no start signal")
			case <-time.After(time.Millisecond):
			}
		}
		if err := s.Put(ctx, key, childEntry(key), t0); err != nil {
			t.Fatalf("child Put(%q): %v", key, err)
		}
	case "lock":
		if _, err := s.LockKey(ctx, key); err != nil {
			t.Fatalf("child LockKey(%q): %v", key, err)
		}
		if err := os.WriteFile(signal, []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Second) // hold the lock until the parent kills us
		t.Fatal("child was not killed")
	default:
		t.Fatalf("unknown child mode %q", mode)
	}
}

func childEntry(key string) Entry {
	e := lifetime(t0, 12*time.Hour)
	e.Password = "password-for-" + key
	return e
}

// syncBuffer is the child's output, safe to print while the child still runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// child is a running copy of this test binary.
type child struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{} // closed once the child has exited and been reaped
	err  error         // Wait's result, set before done is closed
}

// startChild starts this test binary as a child. At cleanup the child is
// killed (only it) if still running.
func startChild(t *testing.T, env ...string) *child {
	t.Helper()
	c := &child{out: new(syncBuffer), done: make(chan struct{})}
	c.cmd = exec.Command(os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1", "-test.timeout=60s", "-test.v")
	c.cmd.Env = append(os.Environ(), env...)
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.err = c.cmd.Wait(); close(c.done) }()
	t.Cleanup(func() {
		select {
		case <-c.done:
		default:
			_ = c.cmd.Process.Kill()
			select {
			case <-c.done:
			case <-time.After(10 * time.Second):
				t.Errorf("child %d did not exit after SIGKILL", c.cmd.Process.Pid)
			}
		}
	})
	return c
}

func TestCrossProcessPuts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := filepath.Join(t.TempDir(), "ecr")
	start := filepath.Join(t.TempDir(), "go")
	const n = 16
	children := make([]*child, n)
	for i := range n {
		children[i] = startChild(t, envChild+"=put", envDir+"="+dir, envKey+"="+fmt.Sprint("key-", i), envSignal+"="+start)
	}
	if err := os.WriteFile(start, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(60 * time.Second)
	for i, c := range children {
		select {
		case <-c.done:
			if c.err != nil {
				t.Errorf("child %d: %v\n%s", i, c.err, c.out)
			}
		case <-deadline:
			t.Fatalf("child %d did not finish in time\n%s", i, c.out)
		}
	}
	s := Open(dir)
	got := readDisk(t, s).Entries
	if len(got) != n {
		t.Errorf("file holds %d entries after %d concurrent child Puts", len(got), n)
	}
	for i := range n {
		key := fmt.Sprint("key-", i)
		if e, ok := got[key]; !ok || !sameEntry(e, childEntry(key)) {
			t.Errorf("entry %s lost or wrong: %+v", key, e)
		}
	}
	assertNoTemp(t, dir)
}

func TestCrossProcessLockReleasedOnKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := filepath.Join(t.TempDir(), "ecr")
	marker := filepath.Join(t.TempDir(), "locked")
	c := startChild(t, envChild+"=lock", envDir+"="+dir, envKey+"=shared", envSignal+"="+marker)

	// Wait until the child says it holds the lock.
	deadline := time.After(30 * time.Second)
	for {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		select {
		case <-c.done:
			t.Fatalf("child exited before taking the lock: %v\n%s", c.err, c.out)
		case <-deadline:
			t.Fatalf("child did not take the lock in time\n%s", c.out)
		case <-time.After(5 * time.Millisecond):
		}
	}

	s := Open(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	unlock, err := s.LockKey(ctx, "shared")
	cancel()
	if err == nil {
		unlock()
		t.Fatal("LockKey succeeded while another process holds the lock")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("LockKey while another process holds the lock: err = %v, want DeadlineExceeded", err)
	}
	// Other keys are free meanwhile.
	ctx, cancel = context.WithTimeout(context.Background(), 2*time.Second)
	unlock, err = s.LockKey(ctx, "other")
	cancel()
	if err != nil {
		t.Fatalf("LockKey(other) while the child holds shared: %v", err)
	}
	unlock()

	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 2*time.Second)
	unlock, err = s.LockKey(ctx, "shared")
	cancel()
	if err != nil {
		t.Fatalf("LockKey after the holder was killed: %v", err)
	}
	unlock()

	select {
	case <-c.done:
		var ee *exec.ExitError
		if !errors.As(c.err, &ee) {
			t.Fatalf("child exit: %v\n%s", c.err, c.out)
		}
		if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Errorf("child did not die of SIGKILL: %v\n%s", c.err, c.out)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("child not reaped after SIGKILL")
	}
}

// TestPutPermissionsUmaskZero changes the process-wide umask, so it must not
// run in parallel with anything (and does not call t.Parallel).
func TestPutPermissionsUmaskZero(t *testing.T) {
	base := t.TempDir()
	old := syscall.Umask(0)
	defer syscall.Umask(old)

	s := Open(filepath.Join(base, "new", "ecr"))
	mustPut(t, s, "k", lifetime(t0, time.Hour), t0)
	unlock, err := s.LockKey(testCtx(t), "k")
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	syscall.Umask(old)

	checkPerm(t, s.Dir(), 0o700)
	checkPerm(t, filepath.Dir(s.Dir()), 0o700) // parents MkdirAll created
	checkPerm(t, s.Path(), 0o600)
	checkPerm(t, filepath.Join(s.Dir(), lockName), 0o600)
	locks, _ := filepath.Glob(filepath.Join(s.Dir(), keyLockStart+"*.lock"))
	if len(locks) != 1 {
		t.Fatalf("key lock files: %v", locks)
	}
	checkPerm(t, locks[0], 0o600)
	assertNoTemp(t, s.Dir())
}

func TestFIFOCacheFileIsMiss(t *testing.T) {
	s := newStore(t)
	if err := os.MkdirAll(s.Dir(), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(s.Path(), 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	got := make(chan bool, 1)
	go func() { _, ok := s.Get("k"); got <- ok }()
	select {
	case ok := <-got:
		if ok {
			t.Error("Get hit on a FIFO")
		}
	case <-time.After(10 * time.Second):
		// Unblock the reader so the goroutine ends, then fail.
		if w, err := os.OpenFile(s.Path(), os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		t.Fatal("Get blocked on a FIFO")
	}
	// A FIFO that holds a well-formed file's bytes is still refused: only a
	// regular file is read.
	r, err := os.OpenFile(s.Path(), os.O_RDONLY|syscall.O_NONBLOCK, 0) // keeps the pipe's data alive
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w, err := os.OpenFile(s.Path(), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.Write([]byte(`{"version":1,"entries":{"k":{"username":"AWS","password":"p","requested_at":"2025-03-14T15:09:26Z","expires_at":"2025-03-15T03:09:26Z"}}}`))
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, ok := s.Get("k"); got <- ok }()
	select {
	case ok := <-got:
		if ok {
			t.Error("Get served the contents of a FIFO")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Get blocked on a FIFO with data")
	}

	mustPut(t, s, "k", lifetime(t0, time.Hour), t0)
	if fi, err := os.Lstat(s.Path()); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("Put did not replace the FIFO with a regular file: %v %v", fi, err)
	}
}
