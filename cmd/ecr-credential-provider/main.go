// Command ecr-credential-provider is a kubelet image credential provider for
// Amazon ECR: kubelet writes a CredentialProviderRequest on stdin and reads a
// CredentialProviderResponse with an ECR token from stdout. It shares its
// token cache with docker-credential-ecr-login.
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
	code := cli.RunProvider(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ())
	stop()
	os.Exit(code)
}
