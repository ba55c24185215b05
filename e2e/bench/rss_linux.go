//go:build linux

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// maxRSSKiB is ru_maxrss of a finished child as wait4 reported it (KiB on
// Linux). Beware: os/exec starts children with clone(CLONE_VM|CLONE_VFORK),
// and execve folds the high-water RSS of the mm it leaves (the parent's!)
// into the child's signal->maxrss, so this is max(parent's peak RSS, child's
// peak RSS). See peakRSS for a figure that only counts the child.
func maxRSSKiB(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss
	}
	return 0
}

// selfHWMKiB is this process's own VmHWM, to show what pollutes ru_maxrss.
func selfHWMKiB() int64 {
	v, _ := statusKiB("/proc/self/status", "VmHWM:")
	return v
}

const rssSupported = true

// memFigures are what peakRSS reads at the exit of the child (KiB).
type memFigures struct {
	HWM      int64 // VmHWM: peak resident set of the program image
	RssAnon  int64 // resident anonymous memory (heap, stacks, runtime data)
	RssFile  int64 // resident file-backed pages (the binary's text and rodata)
	RuMaxRSS int64 // wait4 ru_maxrss of the same run (includes the parent's peak)
}

// peakRSS runs bin under ptrace, with every thread traced
// (PTRACE_O_TRACECLONE) and stopped at exit (PTRACE_O_TRACEEXIT), and reads
// VmHWM from /proc while the exiting thread still holds the program's mm: the
// peak resident set of the new program image alone, unlike ru_maxrss (see
// maxRSSKiB). It also returns the wait4 ru_maxrss of the same run, the output
// and the exit code. Not for timing: tracing slows the child down.
func peakRSS(bin string, args, env []string, stdin []byte) (m memFigures, stdout []byte, code int, err error) {
	dir, err := os.MkdirTemp("", "bench-rss-")
	if err != nil {
		return m, nil, -1, err
	}
	defer os.RemoveAll(dir)
	files := make([]*os.File, 3)
	for i, name := range []string{"stdin", "stdout", "stderr"} {
		f, err := os.OpenFile(dir+"/"+name, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return m, nil, -1, err
		}
		defer f.Close()
		files[i] = f
	}
	if _, err := files[0].Write(stdin); err != nil {
		return m, nil, -1, err
	}
	if _, err := files[0].Seek(0, 0); err != nil {
		return m, nil, -1, err
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return m, nil, -1, err
	}

	// The tracer is the thread that forked; every ptrace and wait call must
	// come from it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pid, err := syscall.ForkExec(path, append([]string{bin}, args...), &syscall.ProcAttr{
		Env:   env,
		Files: []uintptr{files[0].Fd(), files[1].Fd(), files[2].Fd()},
		Sys:   &syscall.SysProcAttr{Ptrace: true},
	})
	if err != nil {
		return m, nil, -1, err
	}
	wait := func(p int, ws *syscall.WaitStatus, ru *syscall.Rusage) (int, error) {
		for {
			wpid, err := syscall.Wait4(p, ws, syscall.WALL, ru)
			if err != syscall.EINTR {
				return wpid, err
			}
		}
	}
	var ws syscall.WaitStatus
	// First stop: the SIGTRAP of the traced execve.
	if _, err := wait(pid, &ws, nil); err != nil {
		return m, nil, -1, err
	}
	if !ws.Stopped() {
		return m, nil, -1, fmt.Errorf("%s: not stopped after exec (status %#x)", bin, ws)
	}
	if err := syscall.PtraceSetOptions(pid, syscall.PTRACE_O_TRACEEXIT|syscall.PTRACE_O_TRACECLONE); err != nil {
		syscall.Kill(pid, syscall.SIGKILL)
		wait(pid, &ws, nil)
		return m, nil, -1, fmt.Errorf("PTRACE_SETOPTIONS: %w", err)
	}
	if err := syscall.PtraceCont(pid, 0); err != nil {
		return m, nil, -1, err
	}
	code = -1
	var ru syscall.Rusage
	for {
		// -1: the program's other threads are traced too and report here.
		// The bench starts no other child while this runs.
		var r syscall.Rusage
		wpid, err := wait(-1, &ws, &r)
		if err != nil {
			return m, nil, -1, fmt.Errorf("wait4: %w", err)
		}
		switch {
		case ws.Exited() || ws.Signaled():
			if wpid == pid {
				ru = r
				if ws.Exited() {
					code = ws.ExitStatus()
				} else {
					code = 128 + int(ws.Signal())
				}
				out, _ := os.ReadFile(dir + "/stdout")
				m.RuMaxRSS = ru.Maxrss
				return m, out, code, nil
			}
		case ws.Stopped():
			sig := 0
			switch {
			case ws.StopSignal() == syscall.SIGTRAP && ws.TrapCause() == syscall.PTRACE_EVENT_EXIT:
				// The mm is still attached: VmHWM is final.
				if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/status", pid, wpid)); err == nil {
					if v, err := fieldKiB(st, "VmHWM:"); err == nil && v > m.HWM {
						m.HWM = v
						m.RssAnon, _ = fieldKiB(st, "RssAnon:")
						m.RssFile, _ = fieldKiB(st, "RssFile:")
					}
				}
			case ws.StopSignal() == syscall.SIGTRAP && ws.TrapCause() > 0:
				// clone event
			case ws.StopSignal() == syscall.SIGSTOP && wpid != pid:
				// a new thread's initial stop
			default:
				sig = int(ws.StopSignal()) // pass real signals on (SIGURG preemption, ...)
			}
			syscall.PtraceCont(wpid, sig)
		}
	}
}

func statusKiB(path, field string) (int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return fieldKiB(data, field)
}

// fieldKiB reads a "Field:   123 kB" line of a /proc status file.
func fieldKiB(data []byte, field string) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, field) {
			f := strings.Fields(strings.TrimPrefix(line, field))
			if len(f) == 0 {
				break
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, errors.New("no " + field)
}
