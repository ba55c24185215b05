//go:build unix

package ecr

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSharedConfigFIFOIsRefused: a FIFO as ~/.aws/config (or the
// credentials file, or the container token file) is an error at once, never
// a wait for a writer.
func TestSharedConfigFIFOIsRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"} {
		t.Run(name, func(t *testing.T) {
			env := idEnv(map[string]string{"HOME": dir, name: fifo, "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/"})
			done := make(chan error, 1)
			go func() { _, err := ResolveIdentity(env); done <- err }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), "not a regular file") {
					t.Fatalf("got %v, want a not-a-regular-file error", err)
				}
			case <-time.After(20 * time.Second): // a guard against the hang, not a synchronisation
				// Unblock the reader so the goroutine ends.
				if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
					f.Close()
				}
				t.Fatal("ResolveIdentity blocked on a FIFO")
			}
		})
	}
}
