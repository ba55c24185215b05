// Command ecr-credential-provider is a kubelet image credential provider for
// Amazon ECR: kubelet writes a CredentialProviderRequest on stdin and reads a
// CredentialProviderResponse with an ECR token from stdout. It shares its
// token cache with docker-credential-ecr-login.
package main

import (
	"context"
	"os"

	"github.com/ecr-login/ecr-login/cmd/internal/cli"
	"github.com/ecr-login/ecr-login/cmd/internal/fast"
	_ "github.com/ecr-login/ecr-login/cmd/internal/fast/kubelethit" // answers cache hits before the SDK initialises
)

// No signal handler: SIGINT and SIGTERM end the process at once, which is
// safe (cache writes are atomic renames, locks are released by the kernel)
// and keeps a cache hit from paying for the runtime's signal thread.
func main() {
	os.Exit(cli.RunProvider(context.Background(), os.Args[1:], fast.Stdin(), os.Stdout, os.Stderr, os.Environ()))
}
