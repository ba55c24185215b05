package ecr

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ecr-login/ecr-login/ecr/local"
)

// Keying by resolved credentials (Config.KeyByCredentials).
//
// By default the cache key is computed from the shape of the credential
// source (see Identity): a cache hit builds no credential chain and runs no
// credential_process. That is only right when the source's principal follows
// from its settings; a credential_process whose output depends on more than
// its command line (a script reading $WHO, a vault whose login changes)
// cannot be keyed that way. With KeyByCredentials, every get resolves the
// credentials through the SDK first (running the process, like the awslabs
// helper does on every call) and the key also holds a hash of the access key
// id it produced; the token fetch then reuses those credentials, so a miss
// runs the process once.

// credentialResolver is what KeyByCredentials needs of the fetcher.
type credentialResolver interface {
	ResolveCredentials(ctx context.Context, reg Registry, via Access) (aws.Credentials, error)
}

// resolvedCredsKey carries credentials resolved for the key to the fetch.
type resolvedCredsKey struct{}

// ResolveCredentials resolves the credentials via's profile (or the default
// chain) yields, before any role of via is assumed on top.
func (f *SDKFetcher) ResolveCredentials(ctx context.Context, reg Registry, via Access) (aws.Credentials, error) {
	ctx, reap := withReaper(ctx) // no credential_process outlives the call
	defer reap()
	cfg, imds, err := f.loadConfig(ctx, reg.Region, Access{Profile: via.Profile}, &lastError{}, false)
	if err != nil {
		return aws.Credentials{}, &stagedError{stageCredentials, err}
	}
	credCtx := ctx
	if imds {
		var cancel context.CancelFunc
		credCtx, cancel = context.WithTimeout(ctx, imdsBudget)
		defer cancel()
	}
	creds, err := cfg.Credentials.Retrieve(credCtx)
	if err != nil {
		if ctx.Err() == nil && credCtx.Err() != nil {
			err = fmt.Errorf("EC2 instance metadata did not answer within %s: %w", imdsBudget, err)
		}
		return aws.Credentials{}, &stagedError{stageCredentials, err}
	}
	return creds, nil
}

// preResolved returns the credentials keyByCredentials put in ctx.
func preResolved(ctx context.Context) (aws.Credentials, bool) {
	c, ok := ctx.Value(resolvedCredsKey{}).(aws.Credentials)
	return c, ok
}

// keyByCredentials resolves the credentials now and folds a hash of their
// access key id into id.ID. The returned context carries them to the fetch.
func (h *Helper) keyByCredentials(ctx context.Context, reg Registry, via Access, id Identity) (context.Context, Identity, error) {
	r, ok := h.fetcher.(credentialResolver)
	if !ok || via.WebIdentity != nil {
		// A pod's credentials come from STS for its role and service
		// account, which its key already holds; the node's are not used.
		return ctx, id, nil
	}
	rctx, cancel := context.WithTimeout(ctx, h.cfg.Timeout)
	defer cancel()
	creds, err := r.ResolveCredentials(rctx, reg, via)
	if err != nil {
		return ctx, id, err
	}
	sum := sha256.Sum256([]byte(id.ID + "\nresolved-access-key-id#" + local.HashString(creds.AccessKeyID)))
	id.ID = hex.EncodeToString(sum[:16])
	id.Description += " (key id …" + local.Last4(creds.AccessKeyID) + ")"
	return context.WithValue(ctx, resolvedCredsKey{}, creds), id, nil
}

// KeyMode says in words how the cache key is made, for doctor.
func (h *Helper) KeyMode() string {
	if h.cfg.KeyByCredentials {
		return "by the resolved access key id (AWS_ECR_KEY_BY_CREDENTIALS): credentials are resolved on every get, credential_process runs each time"
	}
	return "by the credential source's settings (default): a cache hit resolves no credentials and runs no credential_process; set AWS_ECR_KEY_BY_CREDENTIALS=true if your credential_process can return different identities for the same command line"
}
