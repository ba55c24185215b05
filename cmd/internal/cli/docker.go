package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/ecr-login/ecr-login/cmd/internal/proto"
	"github.com/ecr-login/ecr-login/ecr"
)

// DockerHelperName is the binary Docker runs for `"credHelpers": {"HOST": "ecr-login"}`.
const DockerHelperName = "docker-credential-ecr-login"

// RunDocker runs docker-credential-ecr-login with args (without the program
// name) and returns the exit code. stdout carries only the protocol answer;
// every diagnostic goes to stderr.
func RunDocker(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string, opts ...ecr.Option) int {
	stderr = RedactingWriter(stderr) // nothing on stderr is ever a secret
	if code, done := dockerPreflight(args, stdout, stderr); done {
		return code // help, a bad command line, or an unknown verb
	}
	verb := args[0]
	switch verb {
	case "configure":
		return RunConfigure(args[1:], RedactingWriter(stdout), stderr, Environ(environ))
	case "token":
		return runToken(ctx, args[1:], stdout, stderr, environ, opts...)
	case "cache":
		return RunCache(args[1:], RedactingWriter(stdout), stderr, environ)
	case "login":
		return runLogin(ctx, args[1:], stdout, stderr, environ, opts...)
	case "doctor":
		return runDoctor(ctx, args[1:], stdout, stderr, environ, opts...)
	case "version", "-v", "--version":
		fmt.Fprintln(stdout, VersionLine(DockerHelperName))
		return 0
	}

	h, logger, closeLog, err := newHelper(ctx, DockerHelperName, environ, stderr, opts...)
	if err != nil {
		fmt.Fprintln(stdout, ecr.Redact(err.Error()))
		fmt.Fprintf(stderr, "%s: error: %v\n", DockerHelperName, err)
		return 1
	}
	defer closeLog()

	in, err := proto.ReadDockerInput(stdin, verb)
	if err != nil {
		fmt.Fprintln(stdout, ecr.Redact(err.Error()))
		logger.Error(err.Error())
		return 1
	}
	if err := credentials.HandleCommand(dockerHelper{h}, verb, in, stdout); err != nil {
		// The protocol wants the message on stdout; the detail was logged.
		fmt.Fprintln(stdout, ecr.Redact(err.Error()))
		return 1
	}
	return 0
}

// runToken prints only the password for one registry, for tools that cannot
// run a credential helper (ctr --user, crictl --creds, helm --password-stdin).
// The secret goes to stdout because the user asked for exactly that.
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer, environ []string, opts ...ecr.Option) int {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(stderr, tokenUsage, DockerHelperName)
		return exitUsage
	}
	h, _, closeLog, err := newHelper(ctx, DockerHelperName, environ, stderr, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "%s: error: %v\n", DockerHelperName, err)
		return 1
	}
	defer closeLog()
	c, err := h.Credentials(ctx, args[0])
	if errors.Is(err, ecr.ErrNotFound) {
		fmt.Fprintf(stderr, "%s: error: %s\n", DockerHelperName, notFoundReason(err, args[0]))
		return 1
	}
	if err != nil {
		return 1 // the helper logged the cause
	}
	fmt.Fprintln(stdout, c.Password)
	return 0
}

// runLogin asks for a profile's MFA code on the terminal and keeps the
// session, so that pulls (which cannot prompt without a terminal) work until
// it expires.
func runLogin(ctx context.Context, args []string, stdout, stderr io.Writer, environ []string, opts ...ecr.Option) int {
	profile := ""
	switch {
	case len(args) == 2 && args[0] == "--profile":
		profile = args[1]
	case len(args) == 1 && strings.HasPrefix(args[0], "--profile="):
		profile = strings.TrimPrefix(args[0], "--profile=")
	case len(args) == 0:
		profile = Environ(environ)("AWS_PROFILE")
	}
	if profile == "" {
		fmt.Fprintf(stderr, loginUsage, DockerHelperName)
		return exitUsage
	}
	h, _, closeLog, err := newHelper(ctx, DockerHelperName, environ, stderr, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "%s: error: %v\n", DockerHelperName, err)
		return 1
	}
	defer closeLog()
	exp, err := h.Login(ctx, profile)
	if err != nil {
		return 1 // the helper logged the cause
	}
	if exp.IsZero() {
		fmt.Fprintf(stdout, "Profile %q asked for no MFA code; nothing to keep. Pulls use it directly.\n", profile)
		return 0
	}
	fmt.Fprintf(stdout, "MFA session for profile %q cached until %s.\n", profile, exp.Local().Format(time.RFC1123))
	return 0
}
