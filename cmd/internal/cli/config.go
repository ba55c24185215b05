// Package cli holds what the two binaries share: reading the environment once
// into a Config, the logger, version information and the protocol runners.
package cli

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/ecr-login/ecr-login/ecr"
)

// newHelper reads the environment, builds the logger and the Helper: the
// wiring every verb that needs a token shares. The close function flushes the
// log file.
func newHelper(ctx context.Context, name string, environ []string, stderr io.Writer, opts ...ecr.Option) (*ecr.Helper, *slog.Logger, func(), error) {
	start := time.Now() // AWS_ECR_TIMEOUT counts from here, as near the process start as cmd/ gets
	cfg, err := LoadConfig(Environ(environ))
	if err != nil {
		return nil, nil, nil, err
	}
	return helperFor(ctx, name, cfg, start, stderr, opts...)
}

// helperFor is newHelper with the configuration already loaded.
func helperFor(ctx context.Context, name string, cfg Config, start time.Time, stderr io.Writer, opts ...ecr.Option) (*ecr.Helper, *slog.Logger, func(), error) {
	cfg.Helper.Start = start
	logger, closeLog, err := NewLogger(name, stderr, cfg.LogLevel, cfg.LogFile)
	if err != nil {
		return nil, nil, nil, err
	}
	h := ecr.NewHelper(cfg.Helper, append([]ecr.Option{ecr.WithLogger(logger), ecr.WithContext(ctx), ecr.WithStderr(RedactingWriter(stderr))}, opts...)...)
	return h, logger, closeLog, nil
}
