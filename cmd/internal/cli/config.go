// Package cli holds what the two binaries share: reading the environment once
// into a Config, the logger, version information and the protocol runners.
package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/ecr-login/ecr-login/ecr"
)

// Environment variables this project reads itself (the AWS SDK reads its own).
const (
	EnvCacheDir           = "AWS_ECR_CACHE_DIR"
	EnvDisableCache       = "AWS_ECR_DISABLE_CACHE"
	EnvIgnoreCredsStorage = "AWS_ECR_IGNORE_CREDS_STORAGE"
	EnvTimeout            = "AWS_ECR_TIMEOUT"
	EnvRefreshMargin      = "AWS_ECR_REFRESH_MARGIN"
	EnvLogLevel           = "AWS_ECR_LOG_LEVEL"
	EnvLogFile            = "AWS_ECR_LOG_FILE"
	EnvConfigFile         = "AWS_ECR_CONFIG"
	EnvTTY                = "AWS_ECR_TTY"
	EnvKeyByCredentials   = "AWS_ECR_KEY_BY_CREDENTIALS"
)

// Config is everything read from the environment, once, at start.
type Config struct {
	Helper   ecr.Config
	LogLevel string
	LogFile  string
}

// Environ snapshots an environment list ("K=V") into a lookup function.
//
// The snapshot IS the process environment: the mains pass os.Environ() and
// nothing changes the environment afterwards. It has to be, because the AWS
// SDK takes no environment and reads the process's own; ecr's SDK fetcher
// refuses a snapshot that disagrees with it on a variable the SDK or the
// cache key reads (ecr/env.go). So a test may hand RunDocker or RunProvider
// any list while the fetcher is a fake, but a test that runs the real SDK
// sets the process environment (testenv.Hermetic) and passes os.Environ(),
// or runs the built binary with the list as its environment.
// On Windows names are looked up regardless of case, as os.Getenv (and so
// the AWS SDK) does there: "set aws_profile=prod" selects a profile.
func Environ(list []string) ecr.Getenv {
	return environ(list, runtime.GOOS == "windows")
}

func environ(list []string, foldCase bool) ecr.Getenv {
	m := make(map[string]string, len(list))
	for _, kv := range list {
		if k, v, ok := strings.Cut(kv, "="); ok {
			if foldCase {
				k = strings.ToUpper(k)
			}
			m[k] = v
		}
	}
	if !foldCase {
		return func(k string) string { return m[k] }
	}
	return func(k string) string { return m[strings.ToUpper(k)] }
}

// LoadConfig reads the project's variables. A value that does not parse is an
// error naming the variable, never a silent default.
func LoadConfig(env ecr.Getenv) (Config, error) {
	c := Config{
		Helper: ecr.Config{
			Timeout:            ecr.DefaultTimeout,
			RefreshMargin:      ecr.DefaultRefreshMargin,
			CacheDisabled:      env(EnvDisableCache) != "",
			IgnoreCredsStorage: truthy(env(EnvIgnoreCredsStorage)),
			TTY:                env(EnvTTY),
			KeyByCredentials:   truthy(env(EnvKeyByCredentials)),
			Env:                env,
		},
		LogLevel: strings.ToLower(strings.TrimSpace(env(EnvLogLevel))),
		LogFile:  env(EnvLogFile),
	}
	var err error
	if c.Helper.Timeout, err = duration(env, EnvTimeout, ecr.DefaultTimeout, time.Millisecond); err != nil {
		return c, err
	}
	if c.Helper.RefreshMargin, err = duration(env, EnvRefreshMargin, ecr.DefaultRefreshMargin, 0); err != nil {
		return c, err
	}
	switch c.LogLevel {
	case "", "debug", "info", "warn", "warning", "error":
	default:
		return c, fmt.Errorf("%s=%q: want debug, info, warn or error", EnvLogLevel, env(EnvLogLevel))
	}
	// The home as the AWS SDK finds it: root with HOME unset (how kubelet
	// runs plugins) caches in /root/.ecr.
	home := ecr.UserHomeDir(env)
	c.Helper.CacheDir = env(EnvCacheDir)
	if c.Helper.CacheDir == "" {
		if home != "" {
			c.Helper.CacheDir = filepath.Join(home, ".ecr")
		} else {
			c.Helper.CacheDisabled = true
		}
	}
	// The per-registry configuration: AWS_ECR_CONFIG must exist if set; the
	// default ~/.ecr/config.yaml is optional.
	if p := env(EnvConfigFile); p != "" {
		c.Helper.Mappings, err = ecr.LoadMappings(p, true)
	} else if home != "" {
		c.Helper.Mappings, err = ecr.LoadMappings(filepath.Join(home, ".ecr", "config.yaml"), false)
	}
	if err != nil {
		return c, err
	}
	return c, nil
}

func duration(env ecr.Getenv, name string, def, min time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(env(name))
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < min {
		return 0, fmt.Errorf("%s=%q is not a valid duration (examples: 45s, 2m, 90m)", name, v)
	}
	return d, nil
}

func truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

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
