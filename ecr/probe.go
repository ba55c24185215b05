package ecr

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// CredentialProber is what Doctor needs of a fetcher besides tokens: the
// credentials the chain resolves for via in region, and a way to ask STS
// whom they belong to (with the same resolved configuration). A fetcher
// without it (a test's fake) gets the token and cache steps only.
type CredentialProber interface {
	ProbeCredentials(ctx context.Context, region string, via Access) (aws.Credentials, CallerIdentityFunc, error)
}

// CallerIdentityFunc asks STS GetCallerIdentity.
type CallerIdentityFunc func(ctx context.Context) (*sts.GetCallerIdentityOutput, error)

// SessionLoginer is what Login needs of a fetcher: ask for profile's MFA
// code now and keep the session (SDKFetcher.Login).
type SessionLoginer interface {
	Login(ctx context.Context, profile string) (time.Time, error)
}

var (
	_ CredentialProber = (*SDKFetcher)(nil)
	_ SessionLoginer   = (*SDKFetcher)(nil)
)

// ProbeCredentials implements CredentialProber with the SDK's chain, as
// FetchToken resolves it (MFA sessions included).
func (f *SDKFetcher) ProbeCredentials(ctx context.Context, region string, via Access) (aws.Credentials, CallerIdentityFunc, error) {
	cfg, _, err := f.loadConfig(ctx, region, via, &lastError{}, false)
	if err != nil {
		return aws.Credentials{}, nil, err
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, nil, err
	}
	who := func(ctx context.Context) (*sts.GetCallerIdentityOutput, error) {
		return sts.NewFromConfig(cfg, func(o *sts.Options) { o.Retryer = newPolicy(ctx, &lastError{}, f.logger) }).
			GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	}
	return creds, who, nil
}
