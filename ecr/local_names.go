package ecr

import (
	"time"

	"github.com/ecr-login/ecr-login/cache"
	"github.com/ecr-login/ecr-login/ecr/local"
)

// The SDK-free half of this package lives in ecr/local (see its package
// comment for why). These names keep ecr's API whole: ecr.Registry and
// local.Registry are one type.

type (
	Access      = local.Access
	Config      = local.Config
	Credentials = local.Credentials
	EntryState  = local.EntryState
	Getenv      = local.Getenv
	Identity    = local.Identity
	Mapping     = local.Mapping
	Mappings    = local.Mappings
	Registry    = local.Registry
	Service     = local.Service
	Source      = local.Source
	TokenCache  = local.TokenCache
	WebIdentity = local.WebIdentity
)

const (
	DefaultRefreshMargin = local.DefaultRefreshMargin
	DefaultTimeout       = local.DefaultTimeout
	SessionMinLife       = local.SessionMinLife
	SessionService       = local.SessionService
	Redacted             = local.Redacted

	ServicePrivate = local.ServicePrivate
	ServicePublic  = local.ServicePublic

	SourceEnv         = local.SourceEnv
	SourceStatic      = local.SourceStatic
	SourceAssumeRole  = local.SourceAssumeRole
	SourceSSO         = local.SourceSSO
	SourceProcess     = local.SourceProcess
	SourceLogin       = local.SourceLogin
	SourceWebIdentity = local.SourceWebIdentity
	SourceContainer   = local.SourceContainer
	SourceIMDS        = local.SourceIMDS
	SourceNone        = local.SourceNone

	StateFresh   = local.StateFresh
	StateStale   = local.StateStale
	StateExpired = local.StateExpired
)

var (
	ErrBadServiceAccountToken = local.ErrBadServiceAccountToken
	ErrMappingConfig          = local.ErrMappingConfig
	ErrNotECR                 = local.ErrNotECR
)

// ParseRegistry is local.ParseRegistry.
func ParseRegistry(serverURL string) (Registry, error) { return local.ParseRegistry(serverURL) }

// KubeletMatchImages is local.KubeletMatchImages.
func KubeletMatchImages() []string { return local.KubeletMatchImages() }

// LoadMappings is local.LoadMappings.
func LoadMappings(path string, required bool) (*Mappings, error) {
	return local.LoadMappings(path, required)
}

// ResolveIdentity is local.ResolveIdentity.
func ResolveIdentity(env Getenv) (Identity, error) { return local.ResolveIdentity(env) }

// NewWebIdentity is local.NewWebIdentity.
func NewWebIdentity(roleARN, token string) (*WebIdentity, error) {
	return local.NewWebIdentity(roleARN, token)
}

// NewTokenCache is local.NewTokenCache.
func NewTokenCache(store *cache.Store, margin time.Duration, now func() time.Time) *TokenCache {
	return local.NewTokenCache(store, margin, now)
}

// Redact is local.Redact.
func Redact(s string) string { return local.Redact(s) }

// RememberSecrets is local.RememberSecrets.
func RememberSecrets(values ...string) { local.RememberSecrets(values...) }

// RememberEnv is local.RememberEnv.
func RememberEnv(env Getenv) { local.RememberEnv(env) }

// UserHomeDir is local.UserHomeDir.
func UserHomeDir(env Getenv) string { return local.UserHomeDir(env) }

// SharedConfigPaths is local.SharedConfigPaths.
func SharedConfigPaths(env Getenv) (config, credentials string) { return local.SharedConfigPaths(env) }
