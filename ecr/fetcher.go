package ecr

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecrpublic"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ecr-login/ecr-login/cache"
	"github.com/ecr-login/ecr-login/ecr/local"
)

// Token is a registry password with its lifetime, as ECR issued it.
type Token struct {
	Username  string
	Password  string
	ExpiresAt time.Time
	Endpoint  string // the registry endpoint ECR named ("https://ACCOUNT.dkr.ecr.REGION.amazonaws.com")
}

// TokenFetcher gets a new token for a registry. The Helper consumes it; tests
// hand in fakes.
type TokenFetcher interface {
	FetchToken(ctx context.Context, reg Registry, via Access) (Token, error)
}

// privateAPI is the one ECR method the fetcher needs.
type privateAPI interface {
	GetAuthorizationToken(context.Context, *ecr.GetAuthorizationTokenInput, ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
}

// publicAPI is the one ECR Public method the fetcher needs.
type publicAPI interface {
	GetAuthorizationToken(context.Context, *ecrpublic.GetAuthorizationTokenInput, ...func(*ecrpublic.Options)) (*ecrpublic.GetAuthorizationTokenOutput, error)
}

// SDKFetcher fetches tokens with aws-sdk-go-v2 and its default credential
// chain and shared config, so every standard setting applies:
// AWS_PROFILE, AWS_ENDPOINT_URL_ECR, AWS_ENDPOINT_URL_ECR_PUBLIC,
// AWS_ENDPOINT_URL, AWS_CA_BUNDLE, proxies, AWS_EC2_METADATA_DISABLED, ...
type SDKFetcher struct {
	env      Getenv
	prompt   Prompter
	sessions *TokenCache // MFA and pod sessions; nil store: none kept
	store    *cache.Store
	now      func() time.Time
	stderr   io.Writer // where a credential_process's stderr is relayed
	logger   *slog.Logger
}

const (
	// appID is the SDK application id, part of the User-Agent.
	appID = "ecr-login"
	// imdsBudget bounds resolving credentials from EC2 instance metadata.
	// IMDS answers in milliseconds where it exists; where it does not, the
	// SDK's own retries would take 5s or more before saying there are none.
	imdsBudget = 2 * time.Second
)

// FetcherOption configures an SDKFetcher.
type FetcherOption func(*SDKFetcher)

// WithEnv gives the fetcher the environment snapshot cmd/ took (default:
// the process environment). It must agree with the process environment,
// which the SDK reads: see the rule in env.go.
func WithEnv(env Getenv) FetcherOption { return func(f *SDKFetcher) { f.env = env } }

// WithPrompter sets how MFA codes are asked for (default TTYPrompter("")).
func WithPrompter(p Prompter) FetcherOption { return func(f *SDKFetcher) { f.prompt = p } }

// WithSessionStore keeps MFA sessions in store, so one prompt serves until
// the session expires.
func WithSessionStore(store *cache.Store) FetcherOption {
	return func(f *SDKFetcher) { f.store = store }
}

// WithFetchClock replaces time.Now for the sessions' freshness.
func WithFetchClock(now func() time.Time) FetcherOption { return func(f *SDKFetcher) { f.now = now } }

// WithProcessStderr relays a credential_process's stderr, redacted, to w
// (default: discarded).
func WithProcessStderr(w io.Writer) FetcherOption { return func(f *SDKFetcher) { f.stderr = w } }

// WithFetchLogger sends the fetch's debug steps (each attempt, its cause
// and timing) to l; the default discards them.
func WithFetchLogger(l *slog.Logger) FetcherOption { return func(f *SDKFetcher) { f.logger = l } }

// NewSDKFetcher returns a fetcher that retries each fault as the policy in
// retry.go says: throttling while the deadline allows, 5xx and broken
// connections within the SDK's standard budget of 3 attempts, refusals never.
func NewSDKFetcher(opts ...FetcherOption) *SDKFetcher {
	f := &SDKFetcher{env: os.Getenv, prompt: TTYPrompter(""), now: time.Now, logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(f)
	}
	f.sessions = NewTokenCache(f.store, DefaultRefreshMargin, f.now)
	return f
}

// FetchToken loads the SDK config for reg's region and endpoint variant,
// resolves credentials, and calls GetAuthorizationToken once (plus retries).
func (f *SDKFetcher) FetchToken(ctx context.Context, reg Registry, via Access) (Token, error) {
	ctx, reap := withReaper(ctx) // no credential_process outlives the fetch
	defer reap()
	last := &lastError{}
	var variant []func(*config.LoadOptions) error
	if !f.customEndpoint(reg) {
		// An explicit endpoint (a proxy, a VPC endpoint name, a test fake) is
		// used as given; the SDK refuses to combine it with FIPS or dual-stack.
		if reg.FIPS {
			variant = append(variant, config.WithUseFIPSEndpoint(aws.FIPSEndpointStateEnabled))
		}
		if reg.DualStack {
			variant = append(variant, config.WithUseDualStackEndpoint(aws.DualStackEndpointStateEnabled))
		}
	}
	cfg, imds, err := f.loadConfig(ctx, reg.Region, via, last, false, variant...)
	if err != nil {
		return Token{}, &stagedError{stageCredentials, err}
	}
	if via.WebIdentity != nil {
		return f.fetchAsPod(ctx, cfg, reg, via.WebIdentity, last)
	}
	// Resolve credentials first, so a failure there is told apart from the API's.
	credCtx := ctx
	if imds {
		var cancel context.CancelFunc
		credCtx, cancel = context.WithTimeout(ctx, imdsBudget)
		defer cancel()
	}
	if _, err := cfg.Credentials.Retrieve(credCtx); err != nil {
		if ctx.Err() == nil && credCtx.Err() != nil {
			err = fmt.Errorf("EC2 instance metadata did not answer within %s: %w", imdsBudget, err)
		}
		return Token{}, &stagedError{stageCredentials, err}
	}
	var tok Token
	if reg.Service == ServicePublic {
		tok, err = fetchPublic(ctx, ecrpublic.NewFromConfig(cfg))
	} else {
		tok, err = fetchPrivate(ctx, ecr.NewFromConfig(cfg))
	}
	if err != nil && last.get() != nil && (ctx.Err() != nil || last.count() > 1) {
		// Say how many attempts were made, what they met, and whether the
		// deadline (not the fault's budget) ended them.
		err = &stagedError{stageAPI, &gaveUpError{last: last.get(), err: err, attempts: last.count(),
			deadline: ctx.Err() != nil || last.stoppedByDeadline()}}
	}
	return tok, err
}

// loadConfig builds the SDK config for region and via: the default chain or
// a profile, MFA codes asked through the prompter with the session cached,
// and a role assumed on top when via names one. imds reports whether the
// chain ends at EC2 instance metadata.
func (f *SDKFetcher) loadConfig(ctx context.Context, region string, via Access, last *lastError, fresh bool, extra ...func(*config.LoadOptions) error) (cfg aws.Config, imds bool, err error) {
	prompted := &promptFlag{}
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(region),
		config.WithAppID(appID),
		config.WithRetryer(func() aws.Retryer { return newPolicy(ctx, last, f.logger) }),
		config.WithAssumeRoleCredentialOptions(func(o *stscreds.AssumeRoleOptions) {
			serial := aws.ToString(o.SerialNumber)
			o.TokenProvider = func() (string, error) {
				prompted.mark()
				return f.prompt(ctx, fmt.Sprintf("MFA code for %s: ", serial))
			}
		}),
	}
	if via.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(via.Profile))
	}
	opts = append(opts, extra...)
	if err := local.CheckSnapshot(f.env); err != nil {
		return cfg, false, err
	}
	cfg, err = config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return cfg, false, err
	}
	imds = aws.IsCredentialsProvider(cfg.Credentials, (*ec2rolecreds.Provider)(nil))
	cfg.Credentials = ownCredentialProcess(ctx, cfg, f.stderr)
	if creds, ok := preResolved(ctx); ok {
		// Resolved once already for the cache key (KeyByCredentials).
		imds, cfg.Credentials = false, aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil })
	}
	if key := f.mfaSessionKey(via); f.store != nil && key != "" &&
		aws.IsCredentialsProvider(cfg.Credentials, (*stscreds.AssumeRoleProvider)(nil)) {
		who := via.Profile
		if who == "" {
			who = "the default profile"
		}
		cfg.Credentials = aws.NewCredentialsCache(&mfaSessions{inner: cfg.Credentials, sessions: f.sessions,
			key: key, who: who, prompted: prompted, skipCached: fresh})
	}
	if via.RoleARN != "" {
		// Assume the role with whatever the chain (or the profile) resolved;
		// STS is called in the registry's region (AWS_ENDPOINT_URL_STS applies).
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), via.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "ecr-login"
			if via.ExternalID != "" {
				o.ExternalID = aws.String(via.ExternalID)
			}
		})
		cfg.Credentials = aws.NewCredentialsCache(provider)
	}
	cfg.Credentials = seenCredentials{cfg.Credentials}
	return cfg, imds, nil
}

// Login resolves profile's credentials now, asking for the MFA code even if
// a session is cached, and caches the new session. It returns when the
// session expires, or a zero time if the profile asked for no code.
func (f *SDKFetcher) Login(ctx context.Context, profile string) (time.Time, error) {
	if f.store == nil {
		return time.Time{}, errors.New("the token cache is off (AWS_ECR_DISABLE_CACHE), so an MFA session cannot be kept")
	}
	region := local.DefaultRegion(f.env)
	ctx, reap := withReaper(ctx)
	defer reap()
	cfg, _, err := f.loadConfig(ctx, region, Access{Profile: profile}, &lastError{}, true)
	if err != nil {
		return time.Time{}, err
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return time.Time{}, err
	}
	if creds.Source == "ecr-login MFA session cache" || !creds.CanExpire {
		return time.Time{}, nil
	}
	key := f.mfaSessionKey(Access{Profile: profile})
	if key == "" {
		return time.Time{}, nil
	}
	e, ok := f.store.Get(key)
	if !ok {
		return time.Time{}, nil
	}
	return e.ExpiresAt, nil
}

// mfaSessionKey is the cache key of the MFA session via's credentials use,
// or "" when the chain the SDK resolves for via assumes no role with an
// mfa_serial (environment keys, web identity, a profile without MFA, ...).
func (f *SDKFetcher) mfaSessionKey(via Access) string {
	id, err := local.IdentityFor(f.env, Access{Profile: via.Profile})
	if err != nil {
		return ""
	}
	return id.MFASession()
}

// customEndpoint reports whether an endpoint URL is configured for reg's service.
func (f *SDKFetcher) customEndpoint(reg Registry) bool {
	return local.EnvEndpointOverride(f.env, reg.Service)
}

func fetchPrivate(ctx context.Context, api privateAPI) (Token, error) {
	out, err := api.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return Token{}, &stagedError{stageAPI, err}
	}
	if len(out.AuthorizationData) == 0 {
		return Token{}, &stagedError{stageDecode, errors.New("authorizationData is empty")}
	}
	d := out.AuthorizationData[0]
	tok, err := decodeToken(aws.ToString(d.AuthorizationToken), d.ExpiresAt)
	if err != nil {
		return Token{}, &stagedError{stageDecode, err}
	}
	tok.Endpoint = aws.ToString(d.ProxyEndpoint)
	return tok, nil
}

func fetchPublic(ctx context.Context, api publicAPI) (Token, error) {
	out, err := api.GetAuthorizationToken(ctx, &ecrpublic.GetAuthorizationTokenInput{})
	if err != nil {
		return Token{}, &stagedError{stageAPI, err}
	}
	if out.AuthorizationData == nil {
		return Token{}, &stagedError{stageDecode, errors.New("authorizationData is empty")}
	}
	tok, err := decodeToken(aws.ToString(out.AuthorizationData.AuthorizationToken), out.AuthorizationData.ExpiresAt)
	if err != nil {
		return Token{}, &stagedError{stageDecode, err}
	}
	tok.Endpoint = "https://public.ecr.aws"
	return tok, nil
}

// decodeToken splits an ECR authorization token, base64("AWS:" + password).
// Its errors never quote the token.
func decodeToken(token string, expiresAt *time.Time) (Token, error) {
	if token == "" {
		return Token{}, errors.New("authorizationToken is empty")
	}
	if expiresAt == nil || expiresAt.IsZero() {
		return Token{}, errors.New("expiresAt is missing")
	}
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return Token{}, fmt.Errorf("authorizationToken is not base64 (%d bytes)", len(token))
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok || user == "" || pass == "" {
		return Token{}, errors.New("authorizationToken is not of the form user:password")
	}
	return Token{Username: user, Password: pass, ExpiresAt: expiresAt.UTC()}, nil
}
