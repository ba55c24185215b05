// Package local is the part of package ecr that needs no AWS SDK: parsing a
// registry host, the per-registry configuration file, which identity the
// SDK would use (and so the cache key), the token cache's freshness rules and
// redaction. It reads only the environment, files and the cache.
//
// It is its own package so that a cache hit can be answered before the AWS
// SDK's packages are even initialised: cmd/internal/fast runs from a package
// init and imports only this, package cache and the standard library (see
// that package for why and how). Package ecr builds its Helper on the same
// functions, so a hit is decided by one set of rules whichever way it runs.
package local

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// DefaultRefreshMargin is how long before it expires a cached token stops
// being served (capped at half its lifetime).
const DefaultRefreshMargin = time.Hour

// SessionMinLife: a cached MFA session is reused only while it has at least
// this long to live, so a fetch never starts with credentials about to lapse.
const SessionMinLife = 5 * time.Minute

// SessionService is the Service of cache entries that hold an MFA session's
// AWS credentials rather than a registry token.
const SessionService = "sts"

// Credentials is a token as served to a client.
type Credentials struct {
	Username  string
	Password  string
	ExpiresAt time.Time // when ECR stops accepting it
	RefreshAt time.Time // when the cache stops serving it
	FromCache bool
}

// Access says which credentials to fetch with: the default chain (zero
// value), a shared-config profile, and/or a role assumed with them.
type Access struct {
	Profile    string
	RoleARN    string
	ExternalID string
	// WebIdentity, when set, is a pod's role and service account token:
	// the only credentials used.
	WebIdentity *WebIdentity
}

// Plan is what a get resolves to before anything asks AWS: the registry,
// the credentials to use, the identity they are and the cache key of the
// token that serves them.
type Plan struct {
	Reg   Registry
	Via   Access
	Where string // the mapping that chose Via ("file:line"; "" when none matched)
	ID    Identity
	Key   string
}

// RouteError says serverURL is not an ECR registry and no mapping names it.
type RouteError struct{ Err error }

func (e *RouteError) Error() string { return e.Err.Error() }
func (e *RouteError) Unwrap() error { return e.Err }

// PlanFor resolves a get of serverURL: the first matching mapping of ms (nil:
// none) decides the registry and the credentials, else the host itself with
// the default chain; pod, when not nil, is the only identity used (a
// mapping may still alias the host). A host that is not ECR is a
// *RouteError; an identity that cannot be resolved is returned as is, with
// Plan filled as far as it got.
func PlanFor(env Getenv, ms *Mappings, serverURL string, pod *WebIdentity) (Plan, error) {
	p, err := Route(ms, serverURL)
	if err != nil {
		return p, &RouteError{err}
	}
	if pod != nil {
		p.Via, p.Where = Access{WebIdentity: pod}, "" // the service account names the identity
	}
	if p.ID, err = IdentityFor(env, p.Via); err != nil {
		return p, err
	}
	p.Key = CacheKey(p.ID, p.Reg)
	return p, nil
}

// Anonymous says the plan pulls ECR Public with no AWS credentials
// configured at all: the client pulls anonymously (not-found), no AWS code
// runs.
func (p Plan) Anonymous() bool {
	return p.Reg.Service == ServicePublic && p.ID.Source == SourceNone
}

// Route is the first step of PlanFor: the registry and the credentials the
// first matching mapping of ms names (nil: none), else the host itself with
// the default chain. The error says serverURL is not an ECR registry.
func Route(ms *Mappings, serverURL string) (Plan, error) {
	if ms != nil && len(ms.List) > 0 {
		if host, herr := hostOf(serverURL); herr == nil {
			if m := ms.Match(host); m != nil {
				p := Plan{Via: Access{Profile: m.Profile, RoleARN: m.RoleARN, ExternalID: m.ExternalID},
					Where: m.Where(ms.Path)}
				if m.target != nil {
					p.Reg = *m.target
					return p, nil
				}
				var err error
				p.Reg, err = ParseRegistry(host)
				return p, err
			}
		}
	}
	reg, err := ParseRegistry(serverURL)
	return Plan{Reg: reg}, err
}

// IdentityFor describes the credentials via will use; a role is part of the
// identity, so two mappings never share a cache entry.
func IdentityFor(env Getenv, via Access) (Identity, error) {
	if via.WebIdentity != nil {
		return via.WebIdentity.Identity(env)
	}
	id, err := resolveIdentity(env, via.Profile)
	if err != nil || via.RoleARN == "" {
		return id, err
	}
	sum := sha256.Sum256([]byte(id.ID + "\nrole=" + via.RoleARN + "\nexternal-id=" + via.ExternalID))
	id.ID = hex.EncodeToString(sum[:16])
	id.Description = "role " + via.RoleARN + " assumed with " + id.Description
	id.Source = SourceAssumeRole
	return id, nil
}

// CacheKey names the token that serves reg for id: one token per identity,
// partition, region and endpoint variant serves every registry there
// (tokens are scoped to the principal, not to one registry). Everything else
// that decides the principal or the endpoint (endpoint overrides included)
// is in id.ID: see Identity.
func CacheKey(id Identity, reg Registry) string {
	key := fmt.Sprintf("%s/%s/%s/%s", id.ID, reg.Service, reg.Partition, reg.Region)
	if v := reg.Variant(); v != "" {
		key += "/" + v
	}
	return key
}
