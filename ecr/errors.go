package ecr

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Sentinel causes of a failed fetch; test with errors.Is on a *FetchError.
var (
	ErrNoCredentials      = errors.New("no AWS credentials found")
	ErrCredentials        = errors.New("AWS credentials could not be loaded")
	ErrSSOExpired         = errors.New("AWS SSO session expired")
	ErrExpiredCredentials = errors.New("AWS credentials expired")
	ErrBadCredentials     = errors.New("AWS rejected the credentials")
	ErrAccessDenied       = errors.New("access denied")
	ErrThrottled          = errors.New("throttled by ECR")
	ErrTimeout            = errors.New("timed out")
	ErrServer             = errors.New("ECR server error")
	ErrNetwork            = errors.New("ECR unreachable")
	ErrMalformed          = errors.New("malformed reply from ECR")
	ErrConfig             = errors.New("invalid configuration")
	ErrAPI                = errors.New("ECR refused the request")
)

// FetchError says why no token could be had for a registry, and what to do.
// Its Error text is what Docker clients show the user; Detail carries the
// underlying error for stderr and logs. Neither ever holds a secret.
type FetchError struct {
	Registry string // the host asked for
	Kind     error  // one of the sentinels above
	Message  string // cause and remedy, one sentence or two
	Detail   string // the underlying error text, redacted
	Err      error  // the underlying error
}

func (e *FetchError) Error() string {
	return fmt.Sprintf("getting ECR credentials for %s: %s", e.Registry, e.Message)
}

// Unwrap exposes both the sentinel and the underlying error to errors.Is/As.
func (e *FetchError) Unwrap() []error { return []error{e.Kind, e.Err} }

// stage says where in a fetch an error arose.
type stage int

const (
	stageCredentials stage = iota // resolving the credential chain
	stageAPI                      // calling GetAuthorizationToken
	stageDecode                   // reading the answer
)

// stagedError carries the stage from the fetcher to classify.
type stagedError struct {
	stage stage
	err   error
}

func (e *stagedError) Error() string { return e.err.Error() }
func (e *stagedError) Unwrap() error { return e.err }

// classify turns a fetch failure into a FetchError with a cause and a remedy.
func classify(err error, reg Registry, id Identity, timeout time.Duration) *FetchError {
	fe := &FetchError{Registry: reg.Host, Err: err, Detail: err.Error()}
	var fe0 *FetchError
	if errors.As(err, &fe0) {
		return fe0
	}
	var gu *gaveUpError
	if errors.As(err, &gu) {
		inner := classify(&stagedError{stageAPI, gu.last}, reg, id, timeout)
		switch {
		case gu.attempts > 1 && gu.deadline:
			inner.Message += fmt.Sprintf("; gave up after %d attempts in %s (AWS_ECR_TIMEOUT)", gu.attempts, timeout)
		case gu.attempts > 1:
			inner.Message += fmt.Sprintf("; gave up after %d attempts", gu.attempts)
		case inner.Kind == ErrTimeout:
			// One attempt, cut by the deadline: "timed out after ..." says it all.
		default:
			inner.Message += fmt.Sprintf("; no time was left to retry within %s (AWS_ECR_TIMEOUT)", timeout)
		}
		inner.Err, inner.Detail = err, err.Error()
		return inner
	}
	st := stageAPI
	var se *stagedError
	if errors.As(err, &se) {
		st = se.stage
	}
	attempts := ""
	var mae *retry.MaxAttemptsError
	if errors.As(err, &mae) {
		attempts = fmt.Sprintf(" after %d attempts", mae.Attempt)
	}
	perm := "ecr:GetAuthorizationToken"
	if reg.Service == ServicePublic {
		perm = "ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken"
	}
	api := fmt.Sprintf("the %s API in %s", reg.Service, reg.Region)

	var apiErr smithy.APIError
	var ssoErr *ssocreds.InvalidTokenError
	var netErr net.Error
	var respErr *awshttp.ResponseError
	switch {
	case st == stageCredentials && id.Source == SourceIMDS && !errors.As(err, &apiErr):
		fe.Kind = ErrNoCredentials
		fe.Message = "no AWS credentials found: " + triedSources(id) + ", and EC2 instance metadata gave none; set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, run `aws configure` or `aws sso login`, or attach an instance role"
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout() && !errors.As(err, &apiErr)):
		fe.Kind = ErrTimeout
		what := "waiting for " + api
		if st == stageCredentials {
			what = "resolving AWS credentials (" + id.Description + ")"
		}
		fe.Message = fmt.Sprintf("timed out after %s %s; check network access and proxy settings (HTTPS_PROXY, NO_PROXY), or allow more time with AWS_ECR_TIMEOUT", timeout, what)
	case errors.Is(err, context.Canceled):
		fe.Kind = ErrTimeout
		fe.Message = "interrupted before " + api + " answered"
	case certificateFailure(err) != nil:
		fe.Kind = ErrNetwork
		fe.Message = untrustedCertificate(err, st, api, reg, id)
	case errors.Is(err, ErrMFARequired):
		fe.Kind = ErrMFARequired
		p := id.Profile
		if p == "" {
			p = "default"
		}
		fe.Message = fmt.Sprintf("AWS profile %q needs an MFA code and there is no terminal to ask on; run `docker-credential-ecr-login login --profile %s` in a terminal (it asks once and keeps the session until it expires), then retry", p, p)
	case errors.As(err, &ssoErr) || (st == stageCredentials && id.Source == SourceSSO && ssoExpiredText(err)):
		fe.Kind = ErrSSOExpired
		fe.Message = fmt.Sprintf("the AWS SSO session for profile %q has expired or was never started; run `aws sso login --profile %s`", id.Profile, id.Profile)
	case st == stageCredentials && errors.As(err, &apiErr) && fromSTS(err) != "":
		stsRefusal(fe, apiErr, fromSTS(err), id)
	case st == stageCredentials && !errors.As(err, &apiErr):
		fe.Kind = ErrCredentials
		fe.Message = fmt.Sprintf("could not load AWS credentials from %s: %s", id.Description, firstLine(err))
	case errors.As(err, &apiErr):
		code := apiErr.ErrorCode()
		msg := apiErr.ErrorMessage()
		switch code {
		case "AccessDeniedException", "AccessDenied":
			fe.Kind = ErrAccessDenied
			fe.Message = fmt.Sprintf("AWS denied the request (%s); the principal (%s) needs IAM permission %s", strings.TrimSpace(msg), id.Description, perm)
		case "ExpiredTokenException", "ExpiredToken", "RequestExpired":
			fe.Kind = ErrExpiredCredentials
			fe.Message = fmt.Sprintf("the AWS credentials from %s have expired (%s); refresh them (for SSO run `aws sso login`, for exported session keys get new ones)", id.Description, code)
		case "UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException", "SignatureDoesNotMatch", "IncompleteSignature", "MissingAuthenticationTokenException":
			fe.Kind = ErrBadCredentials
			fe.Message = fmt.Sprintf("AWS rejected the credentials from %s (%s: %s); check the access key and secret, or the profile", id.Description, code, strings.TrimSpace(msg))
		default:
			switch {
			case isThrottleCode(code):
				fe.Kind = ErrThrottled
				fe.Message = fmt.Sprintf("ECR throttled GetAuthorizationToken (%s)%s; try again shortly, or allow more time with AWS_ECR_TIMEOUT (the limit is shared by everything calling as this account in %s)", code, attempts, reg.Region)
			case errors.As(err, &respErr) && respErr.HTTPStatusCode() >= 500:
				fe.Kind = ErrServer
				fe.Message = fmt.Sprintf("ECR answered HTTP %d (%s)%s; this is on the AWS side, try again later", respErr.HTTPStatusCode(), code, attempts)
			default:
				fe.Kind = ErrAPI
				fe.Message = fmt.Sprintf("%s refused the request (%s: %s)", api, code, strings.TrimSpace(msg))
			}
		}
	case errors.As(err, &respErr) && respErr.HTTPStatusCode() >= 500:
		fe.Kind = ErrServer
		fe.Message = fmt.Sprintf("ECR answered HTTP %d%s; this is on the AWS side, try again later", respErr.HTTPStatusCode(), attempts)
	case st == stageDecode || isDeserialization(err):
		fe.Kind = ErrMalformed
		fe.Message = fmt.Sprintf("%s sent a reply that is not a valid token (%s); if AWS_ENDPOINT_URL_ECR or a proxy is set, check it points at ECR", api, firstLine(err))
	case errors.As(err, &netErr) || errors.As(err, new(*net.OpError)) || isConnError(err):
		fe.Kind = ErrNetwork
		fe.Message = fmt.Sprintf("could not reach %s%s (%s); check network, DNS and proxy settings (HTTPS_PROXY, NO_PROXY, AWS_ENDPOINT_URL_ECR)", api, attempts, connCause(err))
	default:
		fe.Kind = ErrAPI
		fe.Message = fmt.Sprintf("calling %s failed: %s", api, firstLine(err))
	}
	return fe
}

// untrustedCertificate words a server certificate that did not verify (see
// certificateFailure): whose it was, why, who issued it (a TLS-inspecting
// proxy names itself there), and the fixes.
func untrustedCertificate(err error, st stage, api string, reg Registry, id Identity) string {
	host := ""
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			host = u.Host
		}
	}
	what, setting := api, "AWS_ENDPOINT_URL_ECR"
	if reg.Service == ServicePublic {
		setting = "AWS_ENDPOINT_URL_ECR_PUBLIC"
	}
	if host != "" {
		what += " (" + host + ")"
	}
	if st == stageCredentials {
		what, setting = "the AWS endpoint", "AWS_ENDPOINT_URL_STS or AWS_ENDPOINT_URL"
		if host != "" {
			what = host
		}
		what += " called for credentials from " + id.Description + ","
	}
	return fmt.Sprintf("the certificate of %s is not trusted (%s); %s", what, certificateReason(err), trustRemedy(setting))
}

// certificateReason is why a certificate did not verify, one line, with its
// issuer when known (a TLS-inspecting proxy names itself there).
func certificateReason(err error) string {
	cause := certificateFailure(err)
	reason := firstLine(cause)
	if cve, ok := cause.(*tls.CertificateVerificationError); ok && cve.Err != nil {
		reason = firstLine(cve.Err)
		if len(cve.UnverifiedCertificates) > 0 {
			issuer := cve.UnverifiedCertificates[0].Issuer
			name := issuer.CommonName
			if name == "" {
				name = issuer.String()
			}
			reason += fmt.Sprintf("; issued by %q", name)
		}
	}
	return reason
}

// trustRemedy is the fix for a certificate that did not verify, setting
// naming the endpoint variable to check.
func trustRemedy(setting string) string {
	return fmt.Sprintf("if a proxy inspects TLS, give its CA with AWS_CA_BUNDLE (or add it to the system's roots); if %s is set, check it names the right host", setting)
}

// fromSTS names the STS operation err came from ("AssumeRole", ...), or "".
func fromSTS(err error) string {
	var op *smithy.OperationError
	if errors.As(err, &op) && op.ServiceID == "STS" {
		return op.OperationName
	}
	return ""
}

// stsRefusal words a refusal by STS while getting the credentials (assuming
// a role, checking an MFA code): the step that failed and its fix, not the
// ECR permission, which was never asked for.
func stsRefusal(fe *FetchError, apiErr smithy.APIError, op string, id Identity) {
	code, msg := apiErr.ErrorCode(), strings.TrimSpace(apiErr.ErrorMessage())
	step := fmt.Sprintf("STS %s for %s", op, id.Description)
	lower := strings.ToLower(msg)
	switch {
	case strings.Contains(lower, "multifactor") || strings.Contains(lower, "mfa"):
		fe.Kind = ErrAccessDenied
		fe.Message = fmt.Sprintf("%s refused the MFA code (%s: %s); enter the current code from the device named by mfa_serial (run `docker-credential-ecr-login login --profile %s` in a terminal to ask again)", step, code, msg, profileName(id))
	case code == "AccessDenied" || code == "AccessDeniedException":
		fe.Kind = ErrAccessDenied
		fe.Message = fmt.Sprintf("%s was refused (%s: %s); the source credentials need sts:%s on the role, and the role's trust policy must allow them (check the external id, if one is set)", step, code, msg, op)
	case code == "ExpiredToken" || code == "ExpiredTokenException":
		fe.Kind = ErrExpiredCredentials
		fe.Message = fmt.Sprintf("%s failed: the source credentials have expired (%s: %s); refresh them (for SSO run `aws sso login`)", step, code, msg)
	default:
		fe.Kind = ErrBadCredentials
		fe.Message = fmt.Sprintf("%s failed (%s: %s); check the source credentials and the role", step, code, msg)
	}
}

func profileName(id Identity) string {
	if id.Profile == "" {
		return "default"
	}
	return id.Profile
}

// triedSources lists where the chain looked, for the no-credentials message.
func triedSources(id Identity) string {
	p := id.Profile
	if p == "" {
		p = "default"
	}
	return fmt.Sprintf("tried environment variables (AWS_ACCESS_KEY_ID, AWS_WEB_IDENTITY_TOKEN_FILE), shared config profile %q (~/.aws/config, ~/.aws/credentials) and container credentials (AWS_CONTAINER_CREDENTIALS_*)", p)
}

// noCredentialsError is returned without touching the SDK when nothing at all
// is configured and IMDS is disabled.
func noCredentialsError(reg Registry, id Identity) *FetchError {
	return &FetchError{
		Registry: reg.Host,
		Kind:     ErrNoCredentials,
		Err:      ErrNoCredentials,
		Message:  "no AWS credentials found: " + triedSources(id) + "; EC2 instance metadata is disabled (AWS_EC2_METADATA_DISABLED); set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws configure` or `aws sso login`",
		Detail:   id.Description,
	}
}

func isThrottleCode(code string) bool {
	_, ok := retry.DefaultThrottleErrorCodes[code]
	return ok || strings.Contains(strings.ToLower(code), "throttl")
}

func isDeserialization(err error) bool {
	var de *smithy.DeserializationError
	return errors.As(err, &de)
}

func isConnError(err error) bool {
	var rse *smithyhttp.RequestSendError
	if errors.As(err, &rse) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "connection reset") || strings.Contains(s, "connection refused") ||
		strings.Contains(s, "EOF") || strings.Contains(s, "no such host")
}

// connCause is the innermost network error ("dial tcp ...: connection
// refused"), without the SDK's wrapping ("https response error StatusCode: 0,
// RequestID: , request send failed, Post ...").
func connCause(err error) string {
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Error()
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns.Error()
	}
	return firstLine(err)
}

func ssoExpiredText(err error) bool {
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "sso") && (strings.Contains(s, "expired") || strings.Contains(s, "token") || strings.Contains(s, "refresh"))
}

// firstLine keeps an SDK error to one readable line.
func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
