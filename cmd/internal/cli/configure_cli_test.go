//go:build unix

// File modes, umask and symlinks are Unix notions; on Windows these tests
// would test nothing the code does there.

package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigureUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{nil, 2, "", "usage: docker-credential-ecr-login configure <command>"},
		{[]string{"nope"}, 2, "", `unknown command "nope"`},
		{[]string{"-h"}, 0, "usage: docker-credential-ecr-login configure <command>", ""},
		{[]string{"--help"}, 0, "Commands:", ""},
		{[]string{"docker", "-h"}, 0, "configure docker [--dry-run]", ""},
		{[]string{"podman", "--help"}, 0, "--authfile PATH", ""},
		{[]string{"containers", "-h"}, 0, "configure containers [--authfile PATH]", ""},
		{[]string{"kubelet", "-h"}, 0, "--api-version", ""},
		{[]string{"docker", "--bogus"}, 2, "", "flag provided but not defined: -bogus"},
		{[]string{"podman", "--authfile"}, 2, "", "flag needs an argument"},
		{[]string{"docker", "--dry-run=maybe"}, 2, "", "invalid boolean value"},
		{[]string{"kubelet", "extra"}, 2, "", `unexpected argument "extra"`},
		{[]string{"kubelet", "--api-version", "v2"}, 2, "", "want v1, v1beta1 or v1alpha1"},
		{[]string{"kubelet", "--cache-duration", "soon"}, 2, "", "--cache-duration"},
		{[]string{"kubelet", "--cache-duration", "-1h"}, 2, "", "--cache-duration"},
		{[]string{"kubelet", "--authfile", "x"}, 2, "", "flag provided but not defined"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runConfigure(t, mapEnv(nil), tt.args...)
		if code != tt.code {
			t.Errorf("%q: exit %d, want %d", tt.args, code, tt.code)
		}
		if tt.stdout == "" && stdout != "" || !strings.Contains(stdout, tt.stdout) {
			t.Errorf("%q: stdout %q, want %q", tt.args, stdout, tt.stdout)
		}
		if tt.stderr == "" && stderr != "" || !strings.Contains(stderr, tt.stderr) {
			t.Errorf("%q: stderr %q, want %q", tt.args, stderr, tt.stderr)
		}
	}
}

func TestConfigureHelperNotOnPath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	env := map[string]string{"DOCKER_CONFIG": filepath.Join(dir, "d"), "PATH": bin}
	_, _, stderr := runConfigure(t, mapEnv(env), "docker")
	if !strings.Contains(stderr, "not in any directory on $PATH") {
		t.Errorf("no PATH warning: %q", stderr)
	}
	writeFile(t, filepath.Join(bin, DockerHelperName), []byte("#!/bin/sh\n"), 0o755)
	_, _, stderr = runConfigure(t, mapEnv(env), "docker")
	if strings.Contains(stderr, "PATH") {
		t.Errorf("PATH warning with the helper installed: %q", stderr)
	}
}
