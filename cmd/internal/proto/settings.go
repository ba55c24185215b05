// Package proto is what the two binaries read and answer without the AWS
// SDK: the environment (Config), Docker's stdin and kubelet's
// CredentialProviderRequest and CredentialProviderResponse. Package cli
// runs the protocols on it; cmd/internal/fast answers cache hits with it
// before the SDK's packages initialise, so both read input the same way.
package proto

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/ecr-login/ecr-login/ecr/local"
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
	Helper   local.Config
	LogLevel string
	LogFile  string
}

// Environ snapshots an environment list ("K=V") into a lookup function.
//
// The snapshot IS the process environment: the mains pass os.Environ() and
// nothing changes the environment afterwards. It has to be, because the AWS
// SDK takes no environment and reads the process's own; ecr's SDK fetcher
// refuses a snapshot that disagrees with it on a variable the SDK or the
// cache key reads (ecr/local/env.go). So a test may hand RunDocker or RunProvider
// any list while the fetcher is a fake, but a test that runs the real SDK
// sets the process environment (testenv.Hermetic) and passes os.Environ(),
// or runs the built binary with the list as its environment.
// On Windows names are looked up regardless of case, as os.Getenv (and so
// the AWS SDK) does there: "set aws_profile=prod" selects a profile.
func Environ(list []string) local.Getenv {
	return environ(list, runtime.GOOS == "windows")
}

func environ(list []string, foldCase bool) local.Getenv {
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
func LoadConfig(env local.Getenv) (Config, error) {
	c := Config{
		Helper: local.Config{
			Timeout:            local.DefaultTimeout,
			RefreshMargin:      local.DefaultRefreshMargin,
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
	if c.Helper.Timeout, err = duration(env, EnvTimeout, local.DefaultTimeout, time.Millisecond); err != nil {
		return c, err
	}
	if c.Helper.RefreshMargin, err = duration(env, EnvRefreshMargin, local.DefaultRefreshMargin, 0); err != nil {
		return c, err
	}
	switch c.LogLevel {
	case "", "debug", "info", "warn", "warning", "error":
	default:
		return c, fmt.Errorf("%s=%q: want debug, info, warn or error", EnvLogLevel, env(EnvLogLevel))
	}
	// The home as the AWS SDK finds it: root with HOME unset (how kubelet
	// runs plugins) caches in /root/.local.
	home := local.UserHomeDir(env)
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
		c.Helper.Mappings, err = local.LoadMappings(p, true)
	} else if home != "" {
		c.Helper.Mappings, err = local.LoadMappings(filepath.Join(home, ".ecr", "config.yaml"), false)
	}
	if err != nil {
		return c, err
	}
	return c, nil
}

func duration(env local.Getenv, name string, def, min time.Duration) (time.Duration, error) {
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
