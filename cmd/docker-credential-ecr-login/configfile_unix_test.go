//go:build !windows

package main

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// A FIFO as the configuration file used to block every get until the
// deadline; it is refused without being opened for a blocking read.
func TestConfigFIFOIsRefused(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := baseEnv(t, fake.URL())
	fifo := filepath.Join(env["HOME"], "config.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	env["AWS_ECR_CONFIG"] = fifo
	r := runHelper(t, env, "get", hostA)
	if r.code == 0 || !strings.Contains(r.stderr, fifo+" is not a regular file but a FIFO") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}
