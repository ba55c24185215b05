// Command docker-credential-ecr-login is a Docker credential helper for
// Amazon ECR: Docker and other clients run it with a verb (get, store, erase,
// list, version) and a registry on stdin, and it answers with a fresh ECR token.
package main

import (
	"context"
	"os"

	"github.com/ecr-login/ecr-login/cmd/internal/cli"
	"github.com/ecr-login/ecr-login/cmd/internal/fast"
	_ "github.com/ecr-login/ecr-login/cmd/internal/fast/dockerhit" // answers cache hits before the SDK initialises
)

// No signal handler: SIGINT and SIGTERM end the process at once, which is
// safe (cache writes are atomic renames, locks are released by the kernel)
// and keeps a cache hit from paying for the runtime's signal thread.
func main() {
	os.Exit(cli.RunDocker(context.Background(), os.Args[1:], fast.Stdin(), os.Stdout, os.Stderr, os.Environ()))
}
