package ecr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ecr-login/ecr-login/ecr/local"
)

// credential_process lifetime: nothing the helper starts may outlive it.
//
// The SDK runs a profile's credential_process with the helper's own stderr
// and stdin, kills only the shell it started when its timeout (a minute,
// not AWS_ECR_TIMEOUT) expires, and leaves the children: they keep the
// caller's stderr pipe open, so kubelet, which reads the plugin's output to
// EOF, blocks. The SDK offers no option to change how it starts the
// process, so when the chain it resolved runs a credential_process, the
// fetcher builds the same chain with the SDK's own process provider, given
// a command of its own:
//
//   - the process runs in a new session and process group (no controlling
//     terminal: it cannot stop on a terminal read), stdin empty, as under
//     Docker or kubelet;
//   - its stderr goes to a pipe of the helper's, never to the caller's pipe;
//     what it said is passed on, redacted, when it has finished;
//   - its stdout is bounded (1 MiB), and the secrets in it are registered
//     for redaction even when the SDK refuses the output;
//   - the whole group is killed at the fetch's deadline and when the fetch
//     returns (reap), before the helper can exit.
//
// Windows: the process is killed at the deadline and on return, but not its
// children (no process groups there; a job object would be the tool).

// maxProcessOutput bounds what a credential_process may print on stdout.
const maxProcessOutput = 1 << 20

// processWaitDelay bounds how long the SDK waits for a finished process's
// stdout to close when a child of it holds the pipe.
const processWaitDelay = time.Second

// ownCredentialProcess returns the SDK chain of cfg with every credential
// it resolves registered for redaction, and, when the chain runs a
// credential_process, rebuilt so that the process runs under the rules
// above. ctx bounds the process; stderr receives its stderr.
func ownCredentialProcess(ctx context.Context, cfg aws.Config, stderr io.Writer) aws.CredentialsProvider {
	var sources []aws.CredentialSource
	if ps, ok := cfg.Credentials.(interface{ ProviderSources() []aws.CredentialSource }); ok {
		sources = ps.ProviderSources()
	}
	if !slices.Contains(sources, aws.CredentialSourceProcess) {
		return seenCredentials{cfg.Credentials}
	}
	var shared *config.SharedConfig
	var load config.LoadOptions
	for _, src := range cfg.ConfigSources {
		switch v := src.(type) {
		case config.SharedConfig:
			shared = &v
		case config.LoadOptions:
			load = v
		}
	}
	if shared == nil {
		return seenCredentials{cfg.Credentials}
	}
	// The SDK follows source_profile to its end, resolves the last profile,
	// and assumes each profile's role_arn on the way back up.
	levels := []*config.SharedConfig{shared}
	for c := shared; c.Source != nil && len(levels) < 32; c = c.Source {
		levels = append(levels, c.Source)
	}
	leaf := levels[len(levels)-1]
	if leaf.CredentialProcess == "" {
		return seenCredentials{cfg.Credentials}
	}
	timeout := processcreds.DefaultTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(dl), time.Millisecond)
	}
	b := &processCommand{command: leaf.CredentialProcess, stderr: stderr}
	var p aws.CredentialsProvider = processCredentials{
		inner: processcreds.NewProviderCommand(b, func(o *processcreds.Options) {
			o.Timeout = timeout
			o.CredentialSources = sources
		}),
		cmd: b,
	}
	for i := len(levels) - 1; i >= 0; i-- {
		sc := levels[i]
		if sc.RoleARN == "" {
			continue
		}
		c := cfg.Copy()
		c.Credentials = p
		p = stscreds.NewAssumeRoleProvider(sts.NewFromConfig(c), sc.RoleARN, assumeRoleOptions(sc, load, sources)...)
	}
	return seenCredentials{aws.NewCredentialsCache(p)}
}

// assumeRoleOptions are the options the SDK gives a profile's role
// (config's credsFromAssumeRole), then the caller's own.
func assumeRoleOptions(sc *config.SharedConfig, load config.LoadOptions, sources []aws.CredentialSource) []func(*stscreds.AssumeRoleOptions) {
	fns := []func(*stscreds.AssumeRoleOptions){func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = sc.RoleSessionName
		if sc.RoleDurationSeconds != nil && *sc.RoleDurationSeconds/time.Minute > 15 {
			o.Duration = *sc.RoleDurationSeconds
		}
		if sc.ExternalID != "" {
			o.ExternalID = aws.String(sc.ExternalID)
		}
		if sc.MFASerial != "" {
			o.SerialNumber = aws.String(sc.MFASerial)
		}
		o.CredentialSources = sources
	}}
	if load.AssumeRoleCredentialOptions != nil {
		fns = append(fns, load.AssumeRoleCredentialOptions)
	}
	return fns
}

// seenCredentials registers every secret its provider resolves.
type seenCredentials struct{ inner aws.CredentialsProvider }

func (s seenCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := s.inner.Retrieve(ctx)
	if err == nil {
		RememberSecrets(c.SecretAccessKey, c.SessionToken)
	}
	return c, err
}

func (s seenCredentials) IsCredentialsProvider(target aws.CredentialsProvider) bool {
	return aws.IsCredentialsProvider(s.inner, target)
}

func (s seenCredentials) ProviderSources() []aws.CredentialSource {
	if ps, ok := s.inner.(interface{ ProviderSources() []aws.CredentialSource }); ok {
		return ps.ProviderSources()
	}
	return nil
}

// processCredentials is the SDK's process provider; when the process has
// run, it finishes it (see started.finish).
type processCredentials struct {
	inner *processcreds.Provider
	cmd   *processCommand
}

func (p processCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := p.inner.Retrieve(ctx)
	p.cmd.finish()
	if err == nil {
		RememberSecrets(c.SecretAccessKey, c.SessionToken)
	}
	return c, err
}

func (p processCredentials) ProviderSources() []aws.CredentialSource {
	return p.inner.ProviderSources()
}

// processCommand builds the exec.Cmd the SDK's process provider starts.
type processCommand struct {
	command string
	stderr  io.Writer

	mu  sync.Mutex
	cur *started
}

func (b *processCommand) finish() {
	b.mu.Lock()
	s := b.cur
	b.mu.Unlock()
	if s != nil {
		s.finish()
	}
}

// NewCommand implements processcreds.NewCommandBuilder.
func (b *processCommand) NewCommand(ctx context.Context) (*exec.Cmd, error) {
	if b.command == "" {
		return nil, &processcreds.ProviderError{Err: errors.New("credential_process is empty")}
	}
	var cmd *exec.Cmd
	if runtime.GOOS == "windows" {
		cmd = exec.CommandContext(ctx, "cmd.exe", "/C", b.command)
	} else {
		cmd = exec.CommandContext(ctx, "sh", "-c", b.command)
	}
	cmd.Env = os.Environ()
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, &processcreds.ProviderError{Err: err}
	}
	s := &started{pw: pw, out: &limitedBuffer{max: maxProcessOutput}, stderr: b.stderr,
		relayed: make(chan struct{}), known: make(chan struct{})}
	go s.errs.readAll(pr, s.relayed)
	b.mu.Lock()
	b.cur = s
	b.mu.Unlock()
	cmd.Stdout = s.out
	cmd.Stderr = pw
	// Stdin is empty. Its reader runs once the process has started, which
	// is how the process id reaches the reaper without a data race.
	cmd.Stdin = pidReader{s, cmd}
	detach(cmd)
	cmd.Cancel = func() error { return killTree(cmd.Process.Pid) }
	cmd.WaitDelay = processWaitDelay
	if r, ok := ctx.Value(reaperKey{}).(*reaper); ok {
		r.add(s)
	}
	return cmd, nil
}

// pidReader is a credential_process's stdin: nothing. exec reads it in a
// goroutine it starts after the process, so cmd.Process is set.
type pidReader struct {
	s   *started
	cmd *exec.Cmd
}

func (p pidReader) Read([]byte) (int, error) {
	p.s.setPID(p.cmd.Process.Pid)
	return 0, io.EOF
}

// limitedBuffer keeps up to max bytes and then fails the write, which
// closes the pipe: the process is told to stop (SIGPIPE) and the SDK
// reports the error.
type limitedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

var errProcessOutputTooLarge = errors.New("credential_process printed more than 1 MiB on stdout")

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buf.Len()+len(p) > l.max {
		return 0, errProcessOutputTooLarge
	}
	return l.buf.Write(p)
}

func (l *limitedBuffer) bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.buf.Bytes())
}

// stderrBuffer keeps the first 64 KiB a process writes on stderr.
type stderrBuffer struct {
	mu      sync.Mutex
	buf     []byte
	dropped int
}

const maxProcessStderr = 64 << 10

func (e *stderrBuffer) readAll(r io.ReadCloser, done chan<- struct{}) {
	defer close(done)
	defer r.Close()
	buf := make([]byte, 8<<10)
	for {
		n, err := r.Read(buf)
		e.mu.Lock()
		keep := min(n, maxProcessStderr-len(e.buf))
		e.buf = append(e.buf, buf[:keep]...)
		e.dropped += n - keep
		e.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (e *stderrBuffer) take() (string, int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, d := string(e.buf), e.dropped
	e.buf, e.dropped = nil, 0
	return s, d
}

// started is a credential_process the fetch started.
type started struct {
	pw      *os.File       // the write end of its stderr pipe, held by the helper too
	out     *limitedBuffer // its stdout
	errs    stderrBuffer   // its stderr
	stderr  io.Writer      // where its stderr goes, redacted
	relayed chan struct{}  // closed when its stderr is read to the end
	known   chan struct{}  // closed when pid is set

	mu     sync.Mutex
	pid    int
	reaped bool
	once   sync.Once
}

// setPID records the process id; a process that starts after the reaper
// ran is killed at once.
func (s *started) setPID(pid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pid != 0 {
		return
	}
	s.pid = pid
	close(s.known)
	if s.reaped {
		killTree(pid)
	}
}

// reap kills the process and its group, now or as soon as it starts.
func (s *started) reap() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reaped = true
	if s.pid != 0 {
		killTree(s.pid)
	}
}

// finish ends a process that ran (or must stop): it kills what is left of
// its group, registers the secrets of its output (even one the SDK
// refused), and passes its stderr on, redacted, once it is known what to
// redact. (A credential_process has no terminal, so there is no prompt to
// show as it happens.)
func (s *started) finish() {
	s.once.Do(func() {
		s.reap()
		s.pw.Close()
		bound := time.NewTimer(2 * time.Second)
		defer bound.Stop()
		select {
		case <-s.relayed:
		case <-bound.C: // a process that left its group still holds the pipe
		}
		if out := s.out.bytes(); len(out) > 0 {
			local.RememberProcessOutput(out)
		}
		text, dropped := s.errs.take()
		if s.stderr == nil || text == "" {
			return
		}
		if !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		if dropped > 0 {
			text += fmt.Sprintf("[credential_process: %d more bytes on stderr dropped]\n", dropped)
		}
		io.WriteString(s.stderr, Redact(text))
	})
}

type reaperKey struct{}

// reaper finishes, when a fetch returns, every process it started.
type reaper struct {
	mu    sync.Mutex
	procs []*started
}

func (r *reaper) add(s *started) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.procs = append(r.procs, s)
}

// withReaper returns a context under which credential processes are
// recorded, and the function that kills them all (and their process
// groups) and passes on what they said. Call it before the fetch returns.
func withReaper(ctx context.Context) (context.Context, func()) {
	r := &reaper{}
	return context.WithValue(ctx, reaperKey{}, r), func() {
		r.mu.Lock()
		procs := r.procs
		r.procs = nil
		r.mu.Unlock()
		if len(procs) == 0 {
			return
		}
		// The SDK starts a process right after building it: wait (boundedly)
		// until each has started, so none starts after the helper exits.
		bound := time.NewTimer(2 * time.Second)
		defer bound.Stop()
		for _, s := range procs {
			s.reap()
			select {
			case <-s.known:
			case <-bound.C: // never started (the SDK failed first)
			}
		}
		for _, s := range procs {
			s.finish()
		}
	}
}
