package ecrtest

// A fake AWS STS on the same handler as the fake ECR, so that one URL can be
// both AWS_ENDPOINT_URL_ECR and AWS_ENDPOINT_URL_STS.
//
// STS speaks the AWS Query protocol: POST / with
// Content-Type: application/x-www-form-urlencoded and a body such as
//
//	Action=AssumeRole&Version=2011-06-15&RoleArn=...&RoleSessionName=...
//
// signed with SigV4 for service "sts". Answers are XML in the namespace
// https://sts.amazonaws.com/doc/2011-06-15/: <ActionResponse><ActionResult>
// ...</ActionResult><ResponseMetadata><RequestId>, and errors are
// <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>.
//
// STS calls are recorded apart from ECR calls (STSCalls), are not counted by
// the GetAuthorizationToken rate limiter, and see injected faults only when
// Fault.Service is "sts".

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ServiceSTS is STS's signing service name in the SigV4 credential scope.
const ServiceSTS = "sts"

// STS protocol constants.
const (
	STSVersion     = "2011-06-15"
	STSNamespace   = "https://sts.amazonaws.com/doc/2011-06-15/"
	STSContentType = "text/xml"

	// FormContentType is the request media type of the AWS Query protocol.
	FormContentType = "application/x-www-form-urlencoded"
)

// STS actions the fake answers.
const (
	ActionGetCallerIdentity = "GetCallerIdentity"
	ActionAssumeRole        = "AssumeRole"
)

// AssumeRole session durations, as STS documents them.
const (
	DefaultRoleSessionDuration = time.Hour
	MinRoleSessionDuration     = 15 * time.Minute
	MaxRoleSessionDuration     = 12 * time.Hour
	// MaxChainedSessionDuration bounds a role assumed with credentials
	// that are themselves an assumed role ("role chaining").
	MaxChainedSessionDuration = time.Hour
)

// STSCall is one authenticated STS request as seen by the fake.
type STSCall struct {
	Action       string `json:"action"`       // Action parameter
	AccessKeyID  string `json:"accessKeyId"`  // caller's access key id from the credential scope
	Region       string `json:"region"`       // region from the credential scope
	SessionToken bool   `json:"sessionToken"` // an X-Amz-Security-Token header was present
	// CallerRole is the role ARN when the caller's key was issued by this
	// fake's AssumeRole (so an AssumeRole with it is role chaining).
	CallerRole string `json:"callerRole,omitempty"`

	// AssumeRole parameters, as sent.
	RoleArn         string `json:"roleArn,omitempty"`
	RoleSessionName string `json:"roleSessionName,omitempty"`
	ExternalID      string `json:"externalId,omitempty"`
	SerialNumber    string `json:"serialNumber,omitempty"`
	TokenCode       string `json:"tokenCode,omitempty"`
	DurationSeconds int    `json:"durationSeconds,omitempty"` // 0 when the parameter was absent
	// Subject is the sub claim of an AssumeRoleWithWebIdentity token (never the token).
	Subject string `json:"subject,omitempty"`

	UserAgent string    `json:"userAgent,omitempty"`
	Time      time.Time `json:"time"` // the fake's clock when the request arrived

	// Outcome, as decided by the fake.
	Status    int       `json:"status"`              // HTTP status answered; 0 when the connection was reset
	ErrorCode string    `json:"errorCode,omitempty"` // <Code> of an error answer; "" on 200
	Fault     FaultKind `json:"fault,omitempty"`     // injected fault applied to this call (FaultNone if none)
	// IssuedAccessKeyID is the key id of the credentials a successful
	// AssumeRole returned.
	IssuedAccessKeyID string `json:"issuedAccessKeyId,omitempty"`
}

// stsConfig holds the STS options.
type stsConfig struct {
	externalID map[string]string          // role ARN -> required ExternalId
	mfa        map[string]mfaRequirement  // role ARN -> required SerialNumber and TokenCode
	webTrust   map[string]map[string]bool // role ARN -> trusted web identity subjects (webidentity.go)
	onCall     func(STSCall)
}

type mfaRequirement struct{ serial, code string }

// WithRequireExternalID makes AssumeRole of roleArn fail with 403
// AccessDenied unless the request carries ExternalId externalID.
func WithRequireExternalID(roleArn, externalID string) Option {
	return func(c *config) {
		if c.sts.externalID == nil {
			c.sts.externalID = map[string]string{}
		}
		c.sts.externalID[roleArn] = externalID
	}
}

// WithRequireMFA makes AssumeRole of roleArn fail with 403 AccessDenied
// unless the request carries SerialNumber serial and TokenCode code.
func WithRequireMFA(roleArn, serial, code string) Option {
	return func(c *config) {
		if c.sts.mfa == nil {
			c.sts.mfa = map[string]mfaRequirement{}
		}
		c.sts.mfa[roleArn] = mfaRequirement{serial, code}
	}
}

// WithOnSTSCall registers a hook invoked (outside any lock) after each
// recorded STS call has been decided. It must be safe for concurrent use.
func WithOnSTSCall(f func(STSCall)) Option { return func(c *config) { c.sts.onCall = f } }

// session is a set of temporary credentials issued by AssumeRole.
type session struct {
	roleArn      string // as requested: arn:PARTITION:iam::ACCOUNT:role/PATH/NAME
	partition    string
	account      string
	roleName     string // last path element of the role ARN
	roleID       string // AROA...
	sessionName  string
	sessionToken string
	expiration   time.Time
}

// assumedRoleARN is what GetCallerIdentity reports for s.
func (s session) assumedRoleARN() string {
	return "arn:" + s.partition + ":sts::" + s.account + ":assumed-role/" + s.roleName + "/" + s.sessionName
}

// stsState is the STS part of a Fake, guarded by Fake.mu.
type stsState struct {
	calls  []STSCall
	issued map[string]session // access key id -> session
	seq    uint64             // AssumeRole successes, for distinct keys
}

// STSCalls returns a copy of the recorded STS calls, oldest first. Requests
// rejected for lacking SigV4 are not recorded.
func (f *Fake) STSCalls() []STSCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]STSCall{}, f.sts.calls...)
}

// STSCallCount returns len(STSCalls()).
func (f *Fake) STSCallCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sts.calls)
}

// AssumedRole returns the role ARN for which this fake's AssumeRole issued
// accessKeyID, or "" if it did not issue it.
func (f *Fake) AssumedRole(accessKeyID string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sts.issued[accessKeyID].roleArn
}

// UserName is the IAM user name GetCallerIdentity reports for an access key
// id that this fake's AssumeRole did not issue: the key id, with characters
// IAM does not allow in user names replaced by '-'. The ARN is
// arn:aws:iam::ACCOUNT:user/UserName(key) with the fake's account id.
func UserName(accessKeyID string) string {
	b := []byte(accessKeyID)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("+=,.@_-", c) >= 0) {
			b[i] = '-'
		}
	}
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}

// isSTSRequest reports whether r is for STS: a form-encoded body (the AWS
// Query protocol; ECR uses JSON) or a SigV4 scope for service sts.
func isSTSRequest(r *http.Request) bool {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && mt == FormContentType {
		return true
	}
	cred, ok := ParseSigV4Authorization(r.Header.Get("Authorization"))
	return ok && cred.Service == ServiceSTS
}

// credentialProblem says whether a request signed with akid and carrying
// session token tok is refused because akid is one of this fake's temporary
// keys used with the wrong session token ("invalid") or after its expiration
// ("expired"). It also returns the role the key was issued for.
func (f *Fake) credentialProblem(akid, tok string, now time.Time) (role, problem string) {
	f.mu.Lock()
	s, ok := f.sts.issued[akid]
	f.mu.Unlock()
	switch {
	case !ok:
		return "", ""
	case tok != s.sessionToken:
		return s.roleArn, "invalid"
	case !now.Before(s.expiration):
		return s.roleArn, "expired"
	}
	return s.roleArn, ""
}

func (f *Fake) recordSTS(c STSCall) {
	f.mu.Lock()
	f.sts.calls = append(f.sts.calls, c)
	f.mu.Unlock()
	if f.cfg.sts.onCall != nil {
		f.cfg.sts.onCall(c)
	}
}

// stsError is an error answer: HTTP status, <Type>, <Code>, <Message>.
type stsError struct {
	status int
	code   string
	msg    string
}

func senderError(status int, code, msg string) *stsError { return &stsError{status, code, msg} }

func validationError(format string, args ...any) *stsError {
	return senderError(http.StatusBadRequest, "ValidationError", fmt.Sprintf(format, args...))
}

func (f *Fake) serveSTS(w http.ResponseWriter, r *http.Request) {
	reqID := f.nextRequestID()
	w.Header().Set("X-Amzn-Requestid", reqID)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeSTSError(w, reqID, senderError(http.StatusMethodNotAllowed, "InvalidAction", "STS accepts POST with a form-encoded body"))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return // client went away
	}
	if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") == ActionAssumeRoleWithWebIdentity &&
		form.Get("Version") == STSVersion {
		f.serveWebIdentity(w, r, reqID, form) // unsigned: the token is the credential
		return
	}
	cred, ok := ParseSigV4Authorization(r.Header.Get("Authorization"))
	if !ok {
		writeSTSError(w, reqID, senderError(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token"))
		return
	}
	form, perr := url.ParseQuery(string(body))
	call := STSCall{
		Action:          form.Get("Action"),
		AccessKeyID:     cred.AccessKeyID,
		Region:          cred.Region,
		SessionToken:    r.Header.Get("X-Amz-Security-Token") != "",
		RoleArn:         form.Get("RoleArn"),
		RoleSessionName: form.Get("RoleSessionName"),
		ExternalID:      form.Get("ExternalId"),
		SerialNumber:    form.Get("SerialNumber"),
		TokenCode:       form.Get("TokenCode"),
		UserAgent:       r.UserAgent(),
		Time:            f.cfg.clock(),
	}
	if d := form.Get("DurationSeconds"); d != "" {
		call.DurationSeconds, _ = strconv.Atoi(d)
	}

	fail := func(e *stsError) {
		call.Status, call.ErrorCode = e.status, e.code
		f.recordSTS(call)
		writeSTSError(w, reqID, e)
	}

	role, problem := f.credentialProblem(cred.AccessKeyID, r.Header.Get("X-Amz-Security-Token"), call.Time)
	call.CallerRole = role
	switch {
	case problem == "invalid":
		fail(senderError(http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid."))
		return
	case problem == "expired":
		fail(senderError(http.StatusBadRequest, "ExpiredToken", "The security token included in the request is expired"))
		return
	case perr != nil:
		fail(senderError(http.StatusBadRequest, "MalformedInput", "the request body is not form-encoded"))
		return
	case call.Action != ActionGetCallerIdentity && call.Action != ActionAssumeRole, form.Get("Version") != STSVersion:
		fail(senderError(http.StatusBadRequest, "InvalidAction", fmt.Sprintf("Could not find operation %s for version %s", call.Action, form.Get("Version"))))
		return
	}

	// Injected faults apply to STS only when Fault.Service is "sts".
	ft, done := f.injectSTSFault(w, r, &call, fail)
	if done {
		return
	}

	meta := responseMetadata{reqID}
	var doc any
	switch call.Action {
	case ActionGetCallerIdentity:
		doc = getCallerIdentityResponse{Xmlns: STSNamespace, Result: f.getCallerIdentity(cred), Metadata: meta}
	case ActionAssumeRole:
		res, e := f.assumeRole(&call, ft.Kind == FaultExpiredAuth)
		if e != nil {
			fail(e)
			return
		}
		doc = assumeRoleResponse{Xmlns: STSNamespace, Result: res, Metadata: meta}
	}
	call.Status = http.StatusOK
	f.recordSTS(call)
	writeSTSResult(w, reqID, doc, ft.Kind == FaultMalformedJSON)
}

// injectSTSFault applies the injected fault, if any, to an STS call: an
// error answer, a reset connection or a stall. done means the call has been
// answered (or abandoned) and recorded.
func (f *Fake) injectSTSFault(w http.ResponseWriter, r *http.Request, call *STSCall, fail func(*stsError)) (ft Fault, done bool) {
	ft = f.admitSTS()
	call.Fault = ft.Kind
	if e := stsFaultError(ft); e != nil {
		fail(e)
		return ft, true
	}
	switch ft.Kind {
	case FaultConnectionReset:
		f.recordSTS(*call) // Status 0
		resetConnection(w)
		return ft, true
	case FaultStall:
		if !f.stall(r.Context(), ft.Duration) {
			call.Status = http.StatusOK
			f.recordSTS(*call)
			return ft, true
		}
	}
	return ft, false
}

// admitSTS picks the injected fault for an STS call.
func (f *Fake) admitSTS() Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	ft := f.fault
	if ft.Kind == FaultNone || ft.Service != ServiceSTS {
		return Fault{}
	}
	if ft.Times > 0 {
		f.faultLeft--
		if f.faultLeft <= 0 {
			f.fault, f.faultLeft = Fault{}, 0
		}
	}
	return ft
}

// stsFaultError maps error fault kinds to STS's error codes.
func stsFaultError(ft Fault) *stsError {
	var e *stsError
	switch ft.Kind {
	case FaultServerError:
		e = &stsError{http.StatusInternalServerError, "InternalFailure", "An internal error occurred. Please try again."}
	case FaultThrottling:
		e = senderError(http.StatusBadRequest, "Throttling", "Rate exceeded")
	case FaultAccessDenied:
		e = senderError(http.StatusForbidden, "AccessDenied", "User is not authorized to perform: sts:AssumeRole")
	case FaultExpiredToken:
		e = senderError(http.StatusBadRequest, "ExpiredToken", "The security token included in the request is expired")
	case FaultUnrecognizedClient:
		e = senderError(http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
	case FaultInvalidSignature:
		e = senderError(http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	default:
		return nil
	}
	if ft.Message != "" {
		e.msg = ft.Message
	}
	return e
}
