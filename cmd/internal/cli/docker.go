package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/ecr-login/ecr-login/ecr"
)

// DockerHelperName is the binary Docker runs for `"credHelpers": {"HOST": "ecr-login"}`.
const DockerHelperName = "docker-credential-ecr-login"

// maxStdin bounds what the protocol verbs read: a server URL or a small JSON.
const maxStdin = 1 << 20

// RunDocker runs docker-credential-ecr-login with args (without the program
// name) and returns the exit code. stdout carries only the protocol answer;
// every diagnostic goes to stderr.
func RunDocker(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string, opts ...ecr.Option) int {
	if len(args) != 1 {
		fmt.Fprintf(stderr, "usage: %s <get|store|erase|list|version>\n", DockerHelperName)
		return 1
	}
	verb := args[0]
	switch verb {
	case "version", "-v", "--version":
		fmt.Fprintln(stdout, VersionLine(DockerHelperName))
		return 0
	case "-h", "--help", "help":
		fmt.Fprintf(stdout, "usage: %s <get|store|erase|list|version>\n\n"+
			"A Docker credential helper for Amazon ECR. Docker runs it for registries listed under\n"+
			"\"credHelpers\" in ~/.docker/config.json; see the README for configuration.\n", DockerHelperName)
		return 0
	case credentials.ActionGet, credentials.ActionStore, credentials.ActionErase, credentials.ActionList:
	default:
		fmt.Fprintf(stdout, "%s: unknown action %q\n", DockerHelperName, verb)
		fmt.Fprintf(stderr, "usage: %s <get|store|erase|list|version>\n", DockerHelperName)
		return 1
	}

	env := Environ(environ)
	cfg, err := LoadConfig(env)
	if err != nil {
		fmt.Fprintln(stdout, err)
		fmt.Fprintf(stderr, "%s: error: %v\n", DockerHelperName, err)
		return 1
	}
	logger, closeLog, err := NewLogger(DockerHelperName, stderr, cfg.LogLevel, cfg.LogFile)
	if err != nil {
		fmt.Fprintln(stdout, err)
		fmt.Fprintf(stderr, "%s: error: %v\n", DockerHelperName, err)
		return 1
	}
	defer closeLog()

	in, err := readInput(stdin, verb)
	if err != nil {
		fmt.Fprintln(stdout, err)
		logger.Error(err.Error())
		return 1
	}
	h := ecr.NewHelper(cfg.Helper, append([]ecr.Option{ecr.WithLogger(logger), ecr.WithContext(ctx)}, opts...)...)
	if err := credentials.HandleCommand(h, verb, in, stdout); err != nil {
		// The protocol wants the message on stdout; the detail was logged.
		fmt.Fprintln(stdout, err)
		return 1
	}
	return 0
}

// readInput reads the verb's stdin whole, refusing oversize or binary junk
// with a clear error instead of the scanner's.
func readInput(stdin io.Reader, verb string) (io.Reader, error) {
	if verb == credentials.ActionList {
		return strings.NewReader(""), nil
	}
	data, err := io.ReadAll(io.LimitReader(stdin, maxStdin+1))
	if err != nil {
		return nil, fmt.Errorf("reading stdin: %w", err)
	}
	if len(data) > maxStdin {
		return nil, fmt.Errorf("%s: input on stdin is larger than 1 MiB; expected a registry host name", verb)
	}
	if verb != credentials.ActionStore && len(bytes.TrimSpace(data)) > 4096 {
		return nil, fmt.Errorf("%s: input on stdin is %d bytes; expected a registry host name", verb, len(data))
	}
	return bytes.NewReader(data), nil
}
