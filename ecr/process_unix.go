//go:build unix

package ecr

import (
	"os/exec"
	"syscall"
)

// detach runs cmd in a new session: its own process group, and no
// controlling terminal (a read from the terminal fails instead of stopping
// the process until the deadline).
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}

// killTree kills the process group led by pid: the process and every
// descendant that did not leave the group.
func killTree(pid int) error {
	if pid <= 0 {
		return nil
	}
	err := syscall.Kill(-pid, syscall.SIGKILL)
	if err == syscall.ESRCH {
		return nil
	}
	return err
}
