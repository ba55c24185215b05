//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// Nothing the helper starts outlives it. A credential_process that never
// ends, and a child of it that never ends either: the helper fails at
// AWS_ECR_TIMEOUT, the caller's stdout and stderr pipes reach EOF (kubelet
// reads them to EOF), and neither process is left. Then the same with a
// process that answers but leaves a child behind: the get succeeds and the
// child is gone too.
func TestCredentialProcessNeverOutlivesTheHelper(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		wantOK       bool
	}{
		{"hangs", `sleep 1000 >/dev/null &
echo $! > $DIR/child.pid
echo $$ > $DIR/script.pid
echo "creds.sh: waiting forever" >&2
sleep 1000
`, false},
		{"answers-and-leaves-a-child", `sleep 1000 >/dev/null &
echo $! > $DIR/child.pid
echo $$ > $DIR/script.pid
echo '{"Version":1,"AccessKeyId":"AKIDPROCESSLEFTOVER","SecretAccessKey":"leftover-secret-value"}'
`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := ecrtest.NewServer()
			defer fake.Close()
			env := keylessEnv(t, fake.URL())
			dir := env["HOME"]
			script := filepath.Join(dir, "creds.sh")
			if err := os.WriteFile(script, []byte("#!/bin/sh\n"+strings.ReplaceAll(tc.script, "$DIR", dir)), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(env["AWS_CONFIG_FILE"], []byte("[default]\ncredential_process = "+script+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			env["AWS_ECR_TIMEOUT"] = "2s"

			// The caller: pipes of its own, read to EOF, everything bounded.
			ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
			defer cancel()
			cmd := exec.Command(helperBin, "get")
			for k, v := range env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			cmd.Stdin = strings.NewReader(hostA)
			outR, outW, _ := os.Pipe()
			errR, errW, _ := os.Pipe()
			cmd.Stdout, cmd.Stderr = outW, errW
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			outW.Close()
			errW.Close()
			type read struct {
				data []byte
				err  error
			}
			readAll := func(r *os.File) <-chan read {
				ch := make(chan read, 1)
				go func() { b, err := io.ReadAll(r); r.Close(); ch <- read{b, err} }()
				return ch
			}
			outC, errC := readAll(outR), readAll(errR)
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			var werr error
			select {
			case werr = <-exited:
			case <-ctx.Done():
				cmd.Process.Kill()
				t.Fatal("the helper did not exit")
			}
			var stdout, stderr read
			for _, p := range []struct {
				ch   <-chan read
				into *read
				name string
			}{{outC, &stdout, "stdout"}, {errC, &stderr, "stderr"}} {
				select {
				case *p.into = <-p.ch:
				case <-ctx.Done():
					t.Fatalf("the caller's %s pipe never reached EOF after the helper exited: something the helper started holds it", p.name)
				}
			}
			var ee *exec.ExitError
			if tc.wantOK != (werr == nil) || (werr != nil && !errors.As(werr, &ee)) {
				t.Fatalf("exit: %v\nstdout=%s\nstderr=%s", werr, stdout.data, stderr.data)
			}
			if !tc.wantOK && (!bytes.Contains(stderr.data, []byte("timed out")) || !bytes.Contains(stderr.data, []byte("creds.sh: waiting forever"))) {
				t.Errorf("stderr does not say it timed out and what the process said:\n%s", stderr.data)
			}
			if tc.wantOK && fake.CallCount() != 1 {
				t.Errorf("API calls = %d, want 1", fake.CallCount())
			}
			for _, f := range []string{"script.pid", "child.pid"} {
				data, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil {
					t.Fatalf("%s: %v (the script did not run as intended)", f, err)
				}
				pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
				if alive := waitGone(t, ctx, pid); alive {
					t.Errorf("%s: process %d outlived the helper", f, pid)
					unix.Kill(pid, unix.SIGKILL)
				}
			}
		})
	}
}

// waitGone reports whether pid is still running when ctx ends. It waits on
// a pidfd, which becomes readable when the process exits; no polling. (An
// exited process waits as a zombie for its new parent to reap it: that is
// gone.)
func waitGone(t *testing.T, ctx context.Context, pid int) bool {
	t.Helper()
	if pid <= 0 {
		t.Fatalf("bad pid %d", pid)
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if err == unix.ESRCH {
		return false
	}
	if err != nil {
		t.Fatalf("pidfd_open(%d): %v", pid, err)
	}
	defer unix.Close(fd)
	dl, _ := ctx.Deadline()
	ms := int(time.Until(dl).Milliseconds())
	for ms > 0 {
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, ms)
		if err == unix.EINTR {
			ms = int(time.Until(dl).Milliseconds())
			continue
		}
		return err != nil || n == 0
	}
	return true
}
