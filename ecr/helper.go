package ecr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/ecr-login/ecr-login/cache"
	"github.com/ecr-login/ecr-login/ecr/local"
)

const (
	// staleFetchBudget bounds a refresh while a cached token is still valid:
	// whatever fails (ECR, STS, the credential source), the cached token is
	// served within about this long (see retry.go for the rules inside it).
	staleFetchBudget = 2 * time.Second
)

// Helper gets ECR tokens through the cache. It speaks no client protocol:
// cmd/internal/cli adapts it to Docker's credential-helper protocol and to
// kubelet's.
type Helper struct {
	cfg     Config
	fetcher TokenFetcher
	store   *cache.Store // nil when caching is off
	tokens  *TokenCache  // the freshness rules over store
	now     func() time.Time
	logger  *slog.Logger
	ctx     context.Context
	stderr  io.Writer
}

// Option configures a Helper.
type Option func(*Helper)

// WithFetcher replaces the AWS SDK fetcher (tests hand in fakes).
func WithFetcher(f TokenFetcher) Option { return func(h *Helper) { h.fetcher = f } }

// WithClock replaces time.Now.
func WithClock(now func() time.Time) Option { return func(h *Helper) { h.now = now } }

// WithLogger sends diagnostics to l; the default discards them.
func WithLogger(l *slog.Logger) Option { return func(h *Helper) { h.logger = l } }

// WithStderr is where a credential_process's stderr is relayed (redacted).
func WithStderr(w io.Writer) Option { return func(h *Helper) { h.stderr = w } }

// WithContext sets the context Get runs under (cmd/ passes the one it was
// given; main installs no signal handler, so a signal ends the process).
func WithContext(ctx context.Context) Option { return func(h *Helper) { h.ctx = ctx } }

// NewHelper wires a Helper. It does no I/O and builds no AWS client.
func NewHelper(cfg Config, opts ...Option) *Helper {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.RefreshMargin < 0 {
		cfg.RefreshMargin = 0
	}
	if cfg.Env == nil {
		cfg.Env = func(string) string { return "" }
	}
	RememberEnv(cfg.Env)
	h := &Helper{cfg: cfg, now: time.Now, logger: slog.New(slog.DiscardHandler), ctx: context.Background()}
	for _, o := range opts {
		o(h)
	}
	if !cfg.CacheDisabled && cfg.CacheDir != "" {
		h.store = cache.Open(cfg.CacheDir, cache.WithLogger(h.logger))
	}
	h.tokens = NewTokenCache(h.store, cfg.RefreshMargin, h.now)
	if h.fetcher == nil {
		h.fetcher = NewSDKFetcher(WithEnv(cfg.Env), WithPrompter(TTYPrompter(cfg.TTY)), WithSessionStore(h.store),
			WithFetchClock(h.now), WithFetchLogger(h.logger), WithProcessStderr(h.stderr))
	}
	return h
}

// Get is Credentials under the Helper's context, as a user name and
// password (the Docker adapter's `get`).
func (h *Helper) Get(serverURL string) (string, string, error) {
	c, err := h.Credentials(h.ctx, serverURL)
	if err != nil {
		return "", "", err
	}
	return c.Username, c.Password, nil
}

// Credentials returns a token for serverURL, from the cache when one is
// fresh, else from ECR. For a host that is not ECR, or ECR Public when no AWS
// credentials are configured at all, the error is a *NotFoundError
// (errors.Is(err, ErrNotFound)), which says which case it is; no AWS code
// runs.
func (h *Helper) Credentials(ctx context.Context, serverURL string) (Credentials, error) {
	return h.serveToken(ctx, serverURL, nil)
}

// serveToken is Credentials, as pod's role when pod is not nil (webidentity.go).
func (h *Helper) serveToken(ctx context.Context, serverURL string, pod *WebIdentity) (Credentials, error) {
	h.logger.Debug("get", "input", loggable(serverURL))
	p, err := local.PlanFor(h.cfg.Env, h.cfg.Mappings, serverURL, pod)
	reg, via, where, id := p.Reg, p.Via, p.Where, p.ID
	if _, notECR := errors.AsType[*local.RouteError](err); notECR {
		h.logger.Debug("not an ECR registry and no mapping names it; answering not-found", "input", loggable(serverURL))
		return Credentials{}, &NotFoundError{Host: loggable(serverURL)}
	}
	h.debugRoute(reg, via, where)
	if err != nil {
		msg := err.Error()
		if where != "" {
			msg += " (used by the mapping at " + where + ")"
		}
		return Credentials{}, h.fail(&FetchError{Registry: reg.Host, Kind: ErrConfig, Err: err, Message: msg, Detail: msg}, id)
	}
	if p.Anonymous() {
		h.logger.Debug("no AWS credentials configured; ECR Public will be pulled anonymously", "registry", reg.Host)
		return Credentials{}, &NotFoundError{Host: reg.Host, Public: true}
	}
	key := p.Key
	if h.cfg.KeyByCredentials && id.Source != SourceNone {
		if ctx, id, err = h.keyByCredentials(ctx, reg, via, id); err != nil {
			fe := classify(err, reg, id, h.cfg.Timeout)
			if reg.Service == ServicePublic && errors.Is(fe, ErrNoCredentials) {
				return Credentials{}, &NotFoundError{Host: reg.Host, Public: true}
			}
			return Credentials{}, h.fail(fe, id)
		}
		key = local.CacheKey(id, reg)
	}
	h.logger.Debug("credentials", "identity", id.Description, "source", string(id.Source), "cache_key", keyShape(key, id))
	if c, ok := h.fresh(key); ok {
		h.logger.Debug("cache hit; served the cached token", "registry", reg.Host, "expires_at", c.ExpiresAt)
		return c, nil
	}
	h.debugMiss(key)

	ctx, cancel := context.WithDeadline(ctx, h.deadline())
	defer cancel()
	budget := h.cfg.Timeout
	if h.store != nil {
		// With a still-valid token in hand, do not queue behind another
		// process's refresh: try the lock once and serve the token if it is held.
		lockCtx := ctx
		_, haveUsable := h.usable(key)
		if haveUsable {
			var cancelTry context.CancelFunc
			lockCtx, cancelTry = context.WithCancel(ctx)
			cancelTry() // LockKey tries once when its context is already done
		}
		lockStart := time.Now()
		unlock, err := h.store.LockKey(lockCtx, key)
		switch {
		case err == nil:
			defer unlock()
			h.logger.Debug("fetch lock taken", "waited", time.Since(lockStart).Round(time.Millisecond))
			// Another process may have fetched while we waited.
			if c, ok := h.fresh(key); ok {
				h.logger.Debug("cache filled by another process; served the cached token", "registry", reg.Host)
				return c, nil
			}
		case haveUsable && ctx.Err() == nil && errors.Is(err, context.Canceled):
			if c, ok := h.usable(key); ok {
				h.logger.Info("another process is refreshing the token; serving the cached token, which is still valid",
					"registry", reg.Host, "expires_at", c.ExpiresAt.Format(time.RFC3339))
				return c, nil
			}
			// It expired meanwhile: wait for the other process after all.
			if unlock, err = h.store.LockKey(ctx, key); err != nil {
				return Credentials{}, h.fail(&FetchError{Registry: reg.Host, Kind: ErrTimeout, Err: err, Detail: err.Error(),
					Message: fmt.Sprintf("timed out after %s waiting for another process that is fetching the same token; allow more time with AWS_ECR_TIMEOUT", h.cfg.Timeout)}, id)
			}
			defer unlock()
			if c, ok := h.fresh(key); ok {
				return c, nil
			}
		case ctx.Err() != nil:
			return Credentials{}, h.fail(&FetchError{Registry: reg.Host, Kind: ErrTimeout, Err: err, Detail: err.Error(),
				Message: fmt.Sprintf("timed out after %s waiting for another process that is fetching the same token; allow more time with AWS_ECR_TIMEOUT", h.cfg.Timeout)}, id)
		default:
			h.logger.Warn("token cache unavailable, continuing without it (set AWS_ECR_CACHE_DIR to use another directory)", "reason", err.Error())
		}
	}

	if reg.Service == ServicePrivate && id.Source == SourceNone {
		return Credentials{}, h.fail(noCredentialsError(reg, id), id)
	}
	// With a still-valid token in hand, a failing ECR is not waited out for
	// the whole deadline: after staleFetchBudget the cached token is served.
	fetchCtx := ctx
	if _, ok := h.usable(key); ok && budget > staleFetchBudget {
		var cancelFetch context.CancelFunc
		fetchCtx, cancelFetch = context.WithTimeout(ctx, staleFetchBudget)
		defer cancelFetch()
		budget = staleFetchBudget
	}
	start := h.now()
	h.logger.Debug("fetching a token", "service", string(reg.Service), "region", reg.Region, "budget", budget)
	tok, err := h.fetcher.FetchToken(fetchCtx, reg, via)
	if err != nil {
		fe := classify(err, reg, id, budget)
		if reg.Service == ServicePublic && errors.Is(fe, ErrNoCredentials) {
			h.logger.Debug("no AWS credentials found; ECR Public will be pulled anonymously", "registry", reg.Host)
			return Credentials{}, &NotFoundError{Host: reg.Host, Public: true}
		}
		if c, ok := h.usable(key); ok {
			h.logger.Warn("ECR failed; serving the cached token, which is still valid",
				"registry", reg.Host, "expires_at", c.ExpiresAt.Format(time.RFC3339), "cause", h.redact(fe.Message))
			return c, nil
		}
		return Credentials{}, h.fail(fe, id)
	}
	now := h.now()
	h.logger.Debug("fetched token", "registry", reg.Host, "region", reg.Region, "identity", id.Description,
		"expires_at", tok.ExpiresAt, "took", now.Sub(start))
	c := Credentials{Username: tok.Username, Password: tok.Password, ExpiresAt: tok.ExpiresAt}
	if !now.Before(tok.ExpiresAt) {
		// A cached token that is still valid is the safer answer.
		if cached, ok := h.usable(key); ok {
			h.logger.Warn("ECR returned a token whose expiresAt is already past by this machine's clock; serving the cached token, which is still valid; check the system clock",
				"registry", reg.Host, "expires_at", tok.ExpiresAt.Format(time.RFC3339))
			return cached, nil
		}
		// ECR just issued it, so ECR still accepts it; the local clock is
		// likely wrong. Serve it this once, never from the cache.
		h.logger.Warn("ECR returned a token whose expiresAt is already past by this machine's clock; using it once without caching, check the system clock",
			"registry", reg.Host, "expires_at", tok.ExpiresAt.Format(time.RFC3339), "now", now.Format(time.RFC3339))
		c.RefreshAt = now
		return c, nil
	}
	e := cache.Entry{
		Service: string(reg.Service), Region: reg.Region, IdentityID: id.ID, Identity: id.Description,
		Endpoint: tok.Endpoint, Username: tok.Username, Password: tok.Password,
		RequestedAt: start, ExpiresAt: tok.ExpiresAt,
	}
	c.RefreshAt = h.tokens.RefreshAt(key, e)
	if h.store != nil {
		if err := h.tokens.Put(ctx, key, e); err != nil {
			h.logger.Warn("could not save the token in the cache; the next pull will fetch again (set AWS_ECR_CACHE_DIR to use another directory)", "reason", err.Error())
		}
	}
	h.logger.Debug("served the token ECR issued", "registry", reg.Host, "expires_at", c.ExpiresAt, "refresh_at", c.RefreshAt)
	return c, nil
}

// fresh returns the cached token for key if it may be served.
func (h *Helper) fresh(key string) (Credentials, bool) { return h.tokens.Fresh(key) }

// usable returns the cached token for key if it has not expired (fallback use).
func (h *Helper) usable(key string) (Credentials, bool) { return h.tokens.Usable(key) }

// fail logs the detail of a failure on the logger and returns the error the
// client shows. Both are redacted.
func (h *Helper) fail(fe *FetchError, id Identity) error {
	fe.Message = h.redact(fe.Message)
	fe.Detail = h.redact(fe.Detail)
	h.logger.Error(fe.Message, causeAttrs(fe, id)...)
	return fe
}

func (h *Helper) redact(s string) string { return Redact(s) }

// Store is `docker login`'s store. The helper mints its own tokens, so a
// login to an ECR registry has nothing to store; it succeeds so that it does
// not break. A login for any other host would be lost: that fails.
func (h *Helper) Store(serverURL string) error {
	if err := h.refuseStore(serverURL); err != nil {
		return err
	}
	h.note("store")
	return nil
}

// Delete is `docker logout`'s erase; like Store it succeeds doing nothing.
func (h *Helper) Delete(string) error {
	h.note("erase")
	return nil
}

func (h *Helper) note(verb string) {
	if !h.cfg.IgnoreCredsStorage {
		h.logger.Warn(verb + " ignored: this helper gets fresh ECR tokens itself and stores no passwords (set AWS_ECR_IGNORE_CREDS_STORAGE=true to silence this)")
	}
}

// List is the Docker protocol's list: the registries with a fresh cached
// token for the current identity, as {"https://HOST": "AWS"}. No network.
func (h *Helper) List() (map[string]string, error) {
	out := map[string]string{}
	if h.store == nil {
		return out, nil
	}
	id, err := ResolveIdentity(h.cfg.Env)
	if err != nil {
		return nil, err
	}
	_, fresh, _ := h.tokens.FreshFor(id.ID)
	for _, e := range fresh {
		if e.Endpoint != "" {
			out[e.Endpoint] = e.Username
		}
	}
	return out, nil
}

// Login asks for the MFA code of profile now and keeps the session in the
// cache (see SDKFetcher.Login). It needs a fetcher that is a SessionLoginer.
func (h *Helper) Login(ctx context.Context, profile string) (time.Time, error) {
	f, ok := h.fetcher.(SessionLoginer)
	if !ok {
		return time.Time{}, errors.New("login needs the AWS SDK fetcher")
	}
	ctx, cancel := context.WithTimeout(ctx, h.cfg.Timeout+2*time.Minute) // a person is typing
	defer cancel()
	id, err := local.IdentityFor(h.cfg.Env, Access{Profile: profile})
	if err != nil {
		return time.Time{}, h.fail(&FetchError{Registry: "profile " + profile, Kind: ErrConfig, Err: err, Message: err.Error(), Detail: err.Error()}, id)
	}
	exp, err := f.Login(ctx, profile)
	if err != nil {
		fe := classify(&stagedError{stageCredentials, err}, Registry{Host: "profile " + profile}, id, h.cfg.Timeout)
		return time.Time{}, h.fail(fe, id)
	}
	return exp, nil
}
