//go:build !windows

package local

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestLoadMappingsRefusesFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "config.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := LoadMappings(fifo, false); done <- err }()
	select {
	case err := <-done:
		if err == nil || !errors.Is(err, ErrMappingConfig) || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("FIFO: err = %v", err)
		}
	case <-time.After(10 * time.Second):
		// Not a timing assertion: a correct LoadMappings returns at once; this
		// only turns a hang into a failure with a message. Unblock the open.
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		t.Fatal("LoadMappings blocked on a FIFO")
	}
}
