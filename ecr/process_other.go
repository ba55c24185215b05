//go:build !unix

package ecr

import (
	"os"
	"os/exec"
)

// detach: no process groups here; the process is killed alone.
func detach(*exec.Cmd) {}

// killTree kills the process pid (not its children: see process.go).
func killTree(pid int) error {
	if pid <= 0 {
		return nil
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return nil
	}
	return p.Kill()
}
