package ecr

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
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
//   - its stderr goes through a pipe the helper relays, line by line and
//     redacted, to the helper's stderr; it never holds the caller's pipe;
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

// processCredentials is the SDK's process provider; it registers the
// secrets of the output, whether or not the SDK accepted it.
type processCredentials struct {
	inner *processcreds.Provider
	cmd   *processCommand
}

func (p processCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := p.inner.Retrieve(ctx)
	if out := p.cmd.output(); len(out) > 0 {
		rememberProcessOutput(out)
	}
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
	out *limitedBuffer
}

func (b *processCommand) output() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.out == nil {
		return nil
	}
	return b.out.bytes()
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
	out := &limitedBuffer{max: maxProcessOutput}
	b.mu.Lock()
	b.out = out
	b.mu.Unlock()
	cmd.Stdout = out
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, &processcreds.ProviderError{Err: err}
	}
	s := &started{pw: pw, relayed: make(chan struct{}), known: make(chan struct{})}
	go relayStderr(pr, b.stderr, s.relayed)
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

// relayStderr copies a credential_process's stderr to w, a line at a time
// through Redact. A partial line (a prompt) is passed on at once, except a
// trailing run of base64 characters, held until the line goes on, so a
// secret split across two reads is still redacted whole. At most 1 MiB is
// relayed.
func relayStderr(r io.ReadCloser, w io.Writer, done chan<- struct{}) {
	defer close(done)
	defer r.Close()
	if w == nil {
		w = io.Discard
	}
	const maxPending, maxTotal = 64 << 10, 1 << 20
	var pending []byte
	total := 0
	emit := func(b []byte) {
		if len(b) == 0 || total > maxTotal {
			return
		}
		total += len(b)
		io.WriteString(w, Redact(string(b)))
		if total > maxTotal {
			io.WriteString(w, "\n[credential_process stderr: more than 1 MiB, the rest is dropped]\n")
		}
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		pending = append(pending, buf[:n]...)
		if i := bytes.LastIndexByte(pending, '\n'); i >= 0 {
			emit(pending[:i+1])
			pending = append(pending[:0], pending[i+1:]...)
		}
		keep := len(pending)
		for keep > 0 && (isB64(pending[keep-1]) || pending[keep-1] == '.' || pending[keep-1] == '=') {
			keep--
		}
		if len(pending)-keep > maxPending {
			keep = len(pending)
		}
		emit(pending[:keep])
		pending = append(pending[:0], pending[keep:]...)
		if err != nil {
			emit(pending)
			return
		}
	}
}

// started is a credential_process the fetch started.
type started struct {
	pw      *os.File      // the write end of its stderr pipe, held by the helper too
	relayed chan struct{} // closed when its stderr is relayed to the end
	known   chan struct{} // closed when pid is set

	mu     sync.Mutex
	pid    int
	reaped bool
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

type reaperKey struct{}

// reaper kills, when a fetch returns, every process it started.
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
// groups) and waits briefly for their stderr to drain. Call it before the
// fetch returns.
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
		for _, s := range procs {
			s.reap()
			s.pw.Close()
		}
		// The SDK starts a process right after building it: wait (boundedly)
		// until each has started, so none starts after the helper exits, then
		// for its stderr to drain.
		bound := time.NewTimer(2 * time.Second)
		defer bound.Stop()
		for _, s := range procs {
			select {
			case <-s.known:
			case <-bound.C:
				return // never started (the SDK failed first)
			}
		}
		for _, s := range procs {
			select {
			case <-s.relayed:
			case <-bound.C:
				return // a process that left its group still holds the pipe
			}
		}
	}
}
