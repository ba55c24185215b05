package ecr

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ecr-login/ecr-login/cache"
)

// ErrMFARequired means a profile needs an MFA code and none could be asked for.
var ErrMFARequired = errors.New("MFA code required")

// errSessionNotSaved: credentials were had, but the session cache failed.
var errSessionNotSaved = errors.New("MFA session not cached")

// DefaultTTY is where MFA codes are asked for: stdin and stdout carry the
// credential-helper protocol, so the prompt uses the controlling terminal.
const DefaultTTY = "/dev/tty"

// Prompter asks a person for a one-time code.
type Prompter func(ctx context.Context, question string) (string, error)

// TTYPrompter asks on the terminal device at path (DefaultTTY when empty).
// Without a terminal it fails with ErrMFARequired.
func TTYPrompter(path string) Prompter {
	if path == "" {
		path = DefaultTTY
	}
	return func(ctx context.Context, question string) (string, error) {
		in, err := os.Open(path)
		if err != nil {
			return "", fmt.Errorf("%w: no terminal to ask on (%v)", ErrMFARequired, err)
		}
		defer in.Close()
		out, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return "", fmt.Errorf("%w: no terminal to ask on (%v)", ErrMFARequired, err)
		}
		defer out.Close()
		fmt.Fprint(out, question)
		type answer struct {
			line string
			err  error
		}
		ch := make(chan answer, 1)
		go func() {
			line, err := bufio.NewReader(in).ReadString('\n')
			ch <- answer{line, err}
		}()
		select {
		case <-ctx.Done():
			fmt.Fprintln(out)
			return "", context.Cause(ctx)
		case a := <-ch:
			code := strings.TrimSpace(a.line)
			if code == "" {
				return "", fmt.Errorf("%w: no code entered", ErrMFARequired)
			}
			return code, nil
		}
	}
}

// mfaSessions wraps a profile's credential provider: it serves the session
// credentials an MFA prompt produced from the token cache (0600, like the
// AWS CLI's own cache), and saves new ones, so the next pulls do not ask
// again until the session expires. It wraps only a chain that assumes a role
// of a profile with mfa_serial, never environment keys or anything else the
// SDK ranks first, and its key (Identity.mfaSession) is the profile chain's
// full identity: a session never serves another principal.
type mfaSessions struct {
	inner      aws.CredentialsProvider
	sessions   *TokenCache
	key, who   string
	prompted   *promptFlag
	skipCached bool
}

type promptFlag struct {
	mu  sync.Mutex
	set bool
}

func (p *promptFlag) mark()     { p.mu.Lock(); p.set = true; p.mu.Unlock() }
func (p *promptFlag) was() bool { p.mu.Lock(); defer p.mu.Unlock(); return p.set }

func (m *mfaSessions) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if !m.skipCached {
		if e, ok := m.sessions.Session(m.key); ok {
			secret, token, _ := strings.Cut(e.Password, "\n")
			return aws.Credentials{AccessKeyID: e.Username, SecretAccessKey: secret, SessionToken: token,
				Source: "ecr-login MFA session cache", CanExpire: true, Expires: e.ExpiresAt}, nil
		}
	}
	creds, err := m.inner.Retrieve(ctx)
	if err != nil || !m.prompted.was() || !creds.CanExpire {
		return creds, err
	}
	if err := m.sessions.Put(ctx, m.key, cache.Entry{
		Service: SessionService, Identity: "MFA session for " + m.who,
		Username: creds.AccessKeyID, Password: creds.SecretAccessKey + "\n" + creds.SessionToken,
		RequestedAt: m.sessions.Now(), ExpiresAt: creds.Expires,
	}); err != nil {
		return creds, fmt.Errorf("%w: the MFA session could not be saved: %v", errSessionNotSaved, err)
	}
	return creds, nil
}
