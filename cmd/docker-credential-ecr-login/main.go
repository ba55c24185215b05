// Command docker-credential-ecr-login is a Docker credential helper for
// Amazon ECR: Docker and other clients run it with a verb (get, store, erase,
// list, version) and a registry on stdin, and it answers with a fresh ECR token.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ecr-login/ecr-login/cmd/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.RunDocker(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ())
	stop()
	os.Exit(code)
}
