package cli

import (
	"github.com/ecr-login/ecr-login/cmd/internal/proto"
	"github.com/ecr-login/ecr-login/ecr"
)

// What the binaries read from the environment lives in cmd/internal/proto
// (SDK-free, so that cmd/internal/fast reads it the same way); these names
// keep cli's API whole.

// Config is proto.Config.
type Config = proto.Config

const (
	EnvCacheDir             = proto.EnvCacheDir
	EnvDisableCache         = proto.EnvDisableCache
	EnvIgnoreCredsStorage   = proto.EnvIgnoreCredsStorage
	EnvTimeout              = proto.EnvTimeout
	EnvRefreshMargin        = proto.EnvRefreshMargin
	EnvLogLevel             = proto.EnvLogLevel
	EnvLogFile              = proto.EnvLogFile
	EnvConfigFile           = proto.EnvConfigFile
	EnvTTY                  = proto.EnvTTY
	EnvKeyByCredentials     = proto.EnvKeyByCredentials
	EnvECRRoleARN           = proto.EnvECRRoleARN
	EnvAcceptIRSAAnnotation = proto.EnvAcceptIRSAAnnotation

	AnnotationECRRole           = proto.AnnotationECRRole
	AnnotationIRSARole          = proto.AnnotationIRSARole
	ServiceAccountTokenAudience = proto.ServiceAccountTokenAudience
	ProviderTimeout             = proto.ProviderTimeout
)

// Environ is proto.Environ.
func Environ(list []string) ecr.Getenv { return proto.Environ(list) }

// LoadConfig is proto.LoadConfig.
func LoadConfig(env ecr.Getenv) (Config, error) { return proto.LoadConfig(env) }
