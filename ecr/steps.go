package ecr

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/ecr-login/ecr-login/ecr/local"
)

// ErrNotFound means there is no token to offer for the host, and nothing
// failed: it is not ECR, or it is ECR Public and no AWS credentials are
// configured. Clients pull anonymously. (The Docker adapter answers its
// protocol's not-found; the kubelet adapter an empty answer.)
var ErrNotFound = errors.New("no ECR token for this host")

// NotFoundError is ErrNotFound with the case it is: a host that is not ECR,
// or ECR Public with no AWS credentials. Reason says which in a sentence.
type NotFoundError struct {
	Host   string
	Public bool // ECR Public, no AWS credentials configured
}

func (e *NotFoundError) Error() string { return e.Reason() }

// Unwrap makes errors.Is(err, ErrNotFound) hold.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// Reason says which not-found case it is, and what to do about it.
func (e *NotFoundError) Reason() string {
	if e.Public {
		return fmt.Sprintf("%q is Amazon ECR Public and no AWS credentials are configured, so there is no token: "+
			"pulls from it go anonymously (configure AWS credentials to pull with a token and its higher rate limits)", e.Host)
	}
	return fmt.Sprintf("%q is not an Amazon ECR registry host, and no mapping in the configuration file names it", e.Host)
}

// deadline is when a get must have its answer: Timeout after the process
// started, less a moment to write the answer and exit.
func (h *Helper) deadline() time.Time {
	start := h.cfg.Start
	if start.IsZero() {
		start = time.Now()
	}
	return start.Add(h.cfg.Timeout - min(answerReserve, h.cfg.Timeout/10))
}

// answerReserve is kept back from AWS_ECR_TIMEOUT for answering.
const answerReserve = 250 * time.Millisecond

// debugRoute logs what the input parsed to and which mapping applies.
func (h *Helper) debugRoute(reg Registry, via Access, where string) {
	if !h.logger.Enabled(h.ctx, slog.LevelDebug) {
		return
	}
	attrs := []any{"host", reg.Host, "service", string(reg.Service), "partition", reg.Partition, "region", reg.Region}
	if reg.AccountID != "" {
		attrs = append(attrs, "account", reg.AccountID)
	}
	if v := reg.Variant(); v != "" {
		attrs = append(attrs, "endpoint", v)
	}
	h.logger.Debug("parsed registry", attrs...)
	switch {
	case where != "":
		h.logger.Debug("mapping applies", "at", where, "credentials", describeAccess(via))
	case h.cfg.Mappings != nil && len(h.cfg.Mappings.List) > 0:
		h.logger.Debug("no mapping matches; the default credential chain applies", "file", h.cfg.Mappings.Path)
	default:
		h.logger.Debug("no mappings; the default credential chain applies")
	}
}

// debugMiss logs why the cache did not answer: off, no entry, or stale.
func (h *Helper) debugMiss(key string) {
	if !h.logger.Enabled(h.ctx, slog.LevelDebug) {
		return
	}
	if h.store == nil {
		h.logger.Debug("cache off; asking ECR")
		return
	}
	if c, ok := h.usable(key); ok {
		h.logger.Debug("cache stale: past its refresh point but still valid; refreshing, with it as the fallback",
			"refresh_at", c.RefreshAt, "expires_at", c.ExpiresAt)
		return
	}
	h.logger.Debug("cache miss: no valid token for this key")
}

// keyShape is the cache key with the identity hash replaced by a marker:
// the key's parts (service, partition, region, variant, endpoint) without
// anything derived from credentials.
func keyShape(key string, id Identity) string {
	if id.ID == "" {
		return key
	}
	return strings.Replace(key, id.ID, "<identity>", 1)
}

// causeAttrs are the attributes of a failure's log line: each fact once.
// The identity is left out when the message already names it (or there is
// none); the SDK's error text when the message already says its cause, in
// which case only the request id it carries is added.
func causeAttrs(fe *FetchError, id Identity) []any {
	attrs := []any{"registry", fe.Registry}
	if d := id.Description; d != "" && !strings.Contains(fe.Message, d) && !errors.Is(fe.Kind, ErrNoCredentials) {
		attrs = append(attrs, "identity", d)
	}
	var apiErr smithy.APIError
	var respErr *awshttp.ResponseError
	switch d := fe.Detail; {
	case d == "" || d == id.Description || strings.Contains(fe.Message, d):
	case fe.Err != nil && errors.As(fe.Err, &apiErr) && (strings.Contains(fe.Message, apiErr.ErrorCode()) ||
		strings.Contains(fe.Message, strings.TrimSpace(apiErr.ErrorMessage()))):
		if errors.As(fe.Err, &respErr) && respErr.ServiceRequestID() != "" {
			attrs = append(attrs, "request_id", respErr.ServiceRequestID())
		}
	case fe.Err != nil && strings.Contains(fe.Message, connCause(fe.Err)):
	default:
		attrs = append(attrs, "detail", d)
	}
	return attrs
}

// refuseStore fails a `docker login` for a host this helper does not serve
// (what `"credsStore": "ecr-login"` makes docker do for Docker Hub): the
// password would be lost, so say so instead of succeeding.
func (h *Helper) refuseStore(serverURL string) error {
	if _, err := local.Route(h.cfg.Mappings, serverURL); err == nil {
		return nil
	}
	err := fmt.Errorf("the login for %s was not saved: ecr-login serves only Amazon ECR registries and keeps no passwords; "+
		`in ~/.docker/config.json, list ECR registries under "credHelpers" ({"HOST": "ecr-login"}) instead of setting "credsStore": "ecr-login"`, loggable(serverURL))
	h.logger.Error(err.Error())
	return err
}

// loggable is serverURL as it may appear in a log or a message: user info
// ("user:password@") and any query or fragment replaced by a marker.
func loggable(serverURL string) string {
	s := strings.TrimSpace(serverURL)
	scheme, rest := "", s
	if i := strings.Index(s, "://"); i >= 0 {
		scheme, rest = s[:i+3], s[i+3:]
	}
	host, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		host, tail = rest[:i], rest[i:]
	}
	if at := strings.LastIndexByte(host, '@'); at >= 0 {
		host = "[REDACTED]@" + host[at+1:]
	}
	if at := strings.LastIndexByte(tail, '@'); at >= 0 { // "host/user:pw@..." is no URL, but do not echo it
		tail = "/[REDACTED]@" + tail[at+1:]
	}
	if q := strings.IndexAny(tail, "?#"); q >= 0 {
		tail = tail[:q] + "?[REDACTED]"
	}
	return scheme + host + tail
}
