// Package ecrtest provides a fake Amazon ECR / ECR Public endpoint for tests.
//
// The fake speaks the real AWS JSON 1.1 wire protocol for the single
// operation a credential helper needs, GetAuthorizationToken, on both
// services:
//
//   - Amazon ECR:  X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken
//   - ECR Public:  X-Amz-Target: SpencerFrontendService.GetAuthorizationToken
//
// so the real aws-sdk-go-v2 clients can be pointed at it with BaseEndpoint.
// It does not verify SigV4 signatures, but it rejects requests that carry no
// well-formed SigV4 Authorization header and records the access key id,
// region and signing service it parsed from the credential scope.
//
// The logic lives in [Fake], a plain http.Handler that can be served on any
// listener (the standalone e2e/fake-ecr process does that); [Server] wraps a
// Fake in an httptest.Server on 127.0.0.1 for in-process tests.
//
// The same handler also answers AWS STS (GetCallerIdentity and AssumeRole in
// the AWS Query protocol, see sts.go; AssumeRoleWithWebIdentity, see
// webidentity.go), so that one URL can serve as both
// AWS_ENDPOINT_URL_ECR and AWS_ENDPOINT_URL_STS: a request with a
// form-encoded body or a SigV4 scope for service "sts" is an STS request.
// Credentials issued by the fake's AssumeRole are remembered, and ECR calls
// signed with them say which role they came from (Call.AssumedRole).
//
// Besides the AWS protocols (POST on any path outside /_fake/), the handler
// serves a small admin API:
//
//	GET  /_fake/calls   -> {"calls":N,"throttled":M,"log":[Call...],"sts_calls":K,"sts_log":[STSCall...]}
//	POST /_fake/reset   -> zeroes the counters and the call logs, refills the rate bucket
//	POST /_fake/fault   <- {"kind":"throttling","times":2,"duration":"1s","service":"ecr"}
//
// This package only depends on the standard library.
package ecrtest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Signing service names as they appear in the SigV4 credential scope.
const (
	ServiceECR       = "ecr"
	ServiceECRPublic = "ecr-public"
)

// X-Amz-Target values of GetAuthorizationToken.
const (
	TargetECR       = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"
	TargetECRPublic = "SpencerFrontendService.GetAuthorizationToken"
)

// Defaults.
const (
	DefaultAccountID = "123456789012"
	DefaultLifetime  = 12 * time.Hour

	// GetAuthorizationTokenRate and GetAuthorizationTokenBurst are ECR's
	// documented service quota for GetAuthorizationToken (requests per
	// second, and burst), for use with WithRateLimit.
	GetAuthorizationTokenRate  = 20
	GetAuthorizationTokenBurst = 200
)

// ContentType is the AWS JSON 1.1 media type used for requests and responses.
const ContentType = "application/x-amz-json-1.1"

// AdminPrefix is the path prefix of the admin API; it never clashes with the
// AWS protocol, which the SDK always sends as POST / (or POST <base path>).
const AdminPrefix = "/_fake/"

// Call is one authenticated GetAuthorizationToken request as seen by the fake.
type Call struct {
	Service      string    `json:"service"`               // signing service from the credential scope: "ecr" or "ecr-public"
	Target       string    `json:"target"`                // X-Amz-Target header
	Region       string    `json:"region"`                // region from the credential scope
	AccessKeyID  string    `json:"accessKeyId"`           // access key id from the credential scope
	SessionToken bool      `json:"sessionToken"`          // an X-Amz-Security-Token header was present
	RegistryIDs  []string  `json:"registryIds,omitempty"` // registryIds from the request body (ECR only)
	UserAgent    string    `json:"userAgent,omitempty"`
	Time         time.Time `json:"time"` // the fake's clock when the request arrived
	// AssumedRole is the role ARN when the access key id was issued by this
	// fake's AssumeRole; "" for any other key.
	AssumedRole string `json:"assumedRole,omitempty"`

	// Outcome, as decided by the fake.
	Status    int       `json:"status"`              // HTTP status answered; 0 when the connection was reset
	ErrorCode string    `json:"errorCode,omitempty"` // __type of an error answer; "" on 200
	Fault     FaultKind `json:"fault,omitempty"`     // injected fault applied to this call (FaultNone if none)
}

// FaultKind selects a misbehaviour of the fake.
type FaultKind int

// Fault kinds. Error kinds answer with the named __type / X-Amzn-ErrorType.
const (
	FaultNone               FaultKind = iota // normal success answer
	FaultServerError                         // 500 ServerException
	FaultThrottling                          // 400 ThrottlingException "Rate exceeded"
	FaultAccessDenied                        // 400 AccessDeniedException (IAM style message)
	FaultExpiredToken                        // 400 ExpiredTokenException
	FaultUnrecognizedClient                  // 400 UnrecognizedClientException
	FaultInvalidSignature                    // 400 InvalidSignatureException
	FaultMalformedJSON                       // 200 with a truncated JSON body
	FaultEmptyAuthData                       // 200 with "authorizationData":[] (ECR) or null (ECR Public)
	FaultNoToken                             // 200 with an authorizationData entry lacking authorizationToken
	FaultTokenNotBase64                      // 200 with an authorizationToken that is not base64
	FaultTokenNoColon                        // 200 with a base64 authorizationToken without ':'
	FaultExpiredAuth                         // 200 with expiresAt one hour in the past
	FaultConnectionReset                     // read the request, then reset the TCP connection
	FaultStall                               // wait Fault.Duration (0: until the client gives up), then answer normally
	numFaultKinds
)

var faultNames = [...]string{
	FaultNone:               "none",
	FaultServerError:        "server-error",
	FaultThrottling:         "throttling",
	FaultAccessDenied:       "access-denied",
	FaultExpiredToken:       "expired-token",
	FaultUnrecognizedClient: "unrecognized-client",
	FaultInvalidSignature:   "invalid-signature",
	FaultMalformedJSON:      "malformed-json",
	FaultEmptyAuthData:      "empty-authorization-data",
	FaultNoToken:            "no-token",
	FaultTokenNotBase64:     "token-not-base64",
	FaultTokenNoColon:       "token-no-colon",
	FaultExpiredAuth:        "expired-authorization",
	FaultConnectionReset:    "connection-reset",
	FaultStall:              "stall",
}

// FaultKinds returns every fault kind except FaultNone, in declaration order.
func FaultKinds() []FaultKind {
	ks := make([]FaultKind, 0, numFaultKinds-1)
	for k := FaultNone + 1; k < numFaultKinds; k++ {
		ks = append(ks, k)
	}
	return ks
}

// String returns the kebab-case name of k, as accepted by ParseFaultKind.
func (k FaultKind) String() string {
	if k >= 0 && k < numFaultKinds {
		return faultNames[k]
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// ParseFaultKind parses a name as returned by FaultKind.String. The empty
// string means FaultNone.
func ParseFaultKind(s string) (FaultKind, error) {
	if s == "" {
		return FaultNone, nil
	}
	for k, n := range faultNames {
		if strings.EqualFold(n, s) {
			return FaultKind(k), nil
		}
	}
	return FaultNone, fmt.Errorf("ecrtest: unknown fault kind %q (want one of %s)", s, strings.Join(faultNames[:], ", "))
}

// MarshalText implements encoding.TextMarshaler.
func (k FaultKind) MarshalText() ([]byte, error) {
	if k < 0 || k >= numFaultKinds {
		return nil, fmt.Errorf("ecrtest: invalid fault kind %d", int(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *FaultKind) UnmarshalText(b []byte) error {
	v, err := ParseFaultKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// ErrorCode returns the AWS error code answered by an error fault kind, or ""
// for kinds that do not answer with an AWS error.
func (k FaultKind) ErrorCode() string {
	switch k {
	case FaultServerError:
		return "ServerException"
	case FaultThrottling:
		return "ThrottlingException"
	case FaultAccessDenied:
		return "AccessDeniedException"
	case FaultExpiredToken:
		return "ExpiredTokenException"
	case FaultUnrecognizedClient:
		return "UnrecognizedClientException"
	case FaultInvalidSignature:
		return "InvalidSignatureException"
	}
	return ""
}

// Fault describes injected misbehaviour. The zero value means no fault.
type Fault struct {
	Kind FaultKind `json:"kind"`

	// Times limits the fault to the next Times matching calls, after which
	// the fake answers normally again. 0 means until SetFault is called again.
	Times int `json:"times,omitempty"`

	// Duration is how long FaultStall waits before answering normally.
	// 0 stalls until the request context is cancelled (client gave up or
	// disconnected) or the fake is closed.
	Duration time.Duration `json:"-"`

	// Service, if set ("ecr", "ecr-public" or "sts"), restricts the fault to
	// calls signed for that service; other calls are answered normally and do
	// not consume Times. STS calls see a fault only when Service is "sts"
	// (error kinds answer STS's codes, see stsFaultError; malformed-json
	// truncates the XML, expired-authorization issues already expired
	// credentials; other payload kinds answer normally).
	Service string `json:"service,omitempty"`

	// Message overrides the error message of error kinds.
	Message string `json:"message,omitempty"`
}

// faultJSON is the wire form of Fault for the admin API (Duration as a Go
// duration string).
type faultJSON struct {
	Kind     FaultKind `json:"kind"`
	Times    int       `json:"times,omitempty"`
	Duration string    `json:"duration,omitempty"`
	Service  string    `json:"service,omitempty"`
	Message  string    `json:"message,omitempty"`
}

// Option configures a Fake or Server.
type Option func(*config)

type config struct {
	password     string
	passwordFunc func(Call) string
	lifetime     time.Duration
	clock        func() time.Time
	accountID    string
	rate         float64
	burst        int
	onCall       func(Call)
	fault        Fault
	sts          stsConfig
}

// WithPassword sets the password returned in every successful answer: the
// authorizationToken is base64("AWS:" + password). The default is a
// random-looking value derived deterministically from the account id (see
// DefaultPassword).
func WithPassword(p string) Option { return func(c *config) { c.password = p } }

// WithPasswordFunc computes the password per call (e.g. per region or
// access key); it overrides WithPassword. It must be safe for concurrent use.
func WithPasswordFunc(f func(Call) string) Option { return func(c *config) { c.passwordFunc = f } }

// WithLifetime sets the token lifetime used for expiresAt (default 12h).
func WithLifetime(d time.Duration) Option { return func(c *config) { c.lifetime = d } }

// WithClock sets the clock used for expiresAt, Call.Time and the rate
// limiter (default time.Now). It must be safe for concurrent use.
func WithClock(now func() time.Time) Option { return func(c *config) { c.clock = now } }

// WithAccountID sets the account used in proxyEndpoint when the request names
// no registryIds (default 123456789012).
func WithAccountID(id string) Option { return func(c *config) { c.accountID = id } }

// WithRateLimit enables a token bucket shared by all callers and both
// services: perSecond tokens are added per second of the fake's clock, up to
// burst. Calls finding the bucket empty get 400 ThrottlingException "Rate
// exceeded" and are counted by Throttled. perSecond <= 0 disables limiting;
// burst < 1 is treated as 1.
func WithRateLimit(perSecond float64, burst int) Option {
	return func(c *config) { c.rate, c.burst = perSecond, burst }
}

// WithOnCall registers a hook invoked (outside any lock) after each recorded
// call has been decided, e.g. for logging. It must be safe for concurrent use.
func WithOnCall(f func(Call)) Option { return func(c *config) { c.onCall = f } }

// WithFault sets the initial fault.
func WithFault(f Fault) Option { return func(c *config) { c.fault = f } }

// DefaultPassword is the password a fake created without WithPassword uses
// for the given account id. It is 40 bytes, so it fits bcrypt's 72 byte limit
// in htpasswd files.
func DefaultPassword(accountID string) string {
	sum := sha256.Sum256([]byte("ecrtest/password/" + accountID))
	return "ecrtest-" + hex.EncodeToString(sum[:16])
}

// Fake is the fake endpoint's logic as an http.Handler. It is safe for
// concurrent use. Create it with New.
type Fake struct {
	cfg    config
	closed chan struct{}
	once   sync.Once

	mu        sync.Mutex
	calls     []Call
	throttled int
	reqSeq    uint64
	fault     Fault
	faultLeft int // remaining calls for fault.Times > 0
	tokens    float64
	lastFill  time.Time
	sts       stsState
}

// New returns a Fake configured by opts.
func New(opts ...Option) *Fake {
	c := config{
		lifetime:  DefaultLifetime,
		clock:     time.Now,
		accountID: DefaultAccountID,
	}
	for _, o := range opts {
		o(&c)
	}
	if c.password == "" {
		c.password = DefaultPassword(c.accountID)
	}
	if c.rate > 0 && c.burst < 1 {
		c.burst = 1
	}
	f := &Fake{cfg: c, closed: make(chan struct{})}
	f.tokens = float64(c.burst)
	f.lastFill = c.clock()
	f.setFaultLocked(c.fault)
	return f
}

// Password returns the static password (WithPassword or the default). With
// WithPasswordFunc the per-call password may differ.
func (f *Fake) Password() string { return f.cfg.password }

// AccountID returns the default account id used in proxyEndpoint.
func (f *Fake) AccountID() string { return f.cfg.accountID }

// Close releases handlers blocked in FaultStall. The Fake keeps answering
// afterwards, but without stalling.
func (f *Fake) Close() { f.once.Do(func() { close(f.closed) }) }

// Calls returns a copy of the recorded calls, oldest first. Requests rejected
// for lacking SigV4 and admin requests are not recorded; throttled and
// faulted calls are.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Call, len(f.calls))
	copy(out, f.calls)
	return out
}

// CallCount returns len(Calls()), including throttled calls.
func (f *Fake) CallCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// Throttled returns how many calls the rate limiter (WithRateLimit) rejected.
// Calls failed by FaultThrottling are not counted here.
func (f *Fake) Throttled() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.throttled
}

// Reset clears the call logs (ECR and STS) and counters and refills the rate
// bucket. The current fault is kept, and so are the credentials AssumeRole
// issued (clients may still hold them).
func (f *Fake) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
	f.sts.calls = nil
	f.throttled = 0
	f.tokens = float64(f.cfg.burst)
	f.lastFill = f.cfg.clock()
}

// SetFault replaces the current fault; SetFault(Fault{}) (Kind FaultNone)
// restores normal answers.
func (f *Fake) SetFault(ft Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setFaultLocked(ft)
}

func (f *Fake) setFaultLocked(ft Fault) {
	f.fault = ft
	f.faultLeft = ft.Times
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, AdminPrefix) {
		f.serveAdmin(w, r)
		return
	}
	if isSTSRequest(r) {
		f.serveSTS(w, r)
		return
	}
	f.serveAWS(w, r)
}

// --- AWS protocol ---------------------------------------------------------

func (f *Fake) nextRequestID() string {
	f.mu.Lock()
	f.reqSeq++
	n := f.reqSeq
	f.mu.Unlock()
	// UUID-shaped, deterministic per fake.
	return fmt.Sprintf("ec2ec2ec-0000-4000-8000-%012x", n)
}

func (f *Fake) serveAWS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amzn-Requestid", f.nextRequestID())
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeAWSError(w, http.StatusMethodNotAllowed, "UnknownOperationException", "")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return // client went away
	}

	cred, ok := ParseSigV4Authorization(r.Header.Get("Authorization"))
	if !ok {
		writeAWSError(w, http.StatusBadRequest, "MissingAuthenticationTokenException", "Missing Authentication Token")
		return
	}

	call := Call{
		Service:      cred.Service,
		Target:       r.Header.Get("X-Amz-Target"),
		Region:       cred.Region,
		AccessKeyID:  cred.AccessKeyID,
		SessionToken: r.Header.Get("X-Amz-Security-Token") != "",
		UserAgent:    r.UserAgent(),
		Time:         f.cfg.clock(),
	}

	// Temporary credentials from the fake's AssumeRole must come with their
	// session token and be used before they expire.
	role, problem := f.credentialProblem(cred.AccessKeyID, r.Header.Get("X-Amz-Security-Token"), call.Time)
	call.AssumedRole = role
	switch problem {
	case "invalid":
		call.Status, call.ErrorCode = http.StatusBadRequest, "UnrecognizedClientException"
		f.record(call)
		writeAWSError(w, call.Status, call.ErrorCode, "The security token included in the request is invalid.")
		return
	case "expired":
		call.Status, call.ErrorCode = http.StatusBadRequest, "ExpiredTokenException"
		f.record(call)
		writeAWSError(w, call.Status, call.ErrorCode, "The security token included in the request is expired")
		return
	}

	var public bool
	switch call.Target {
	case TargetECR:
	case TargetECRPublic:
		public = true
	default:
		call.Status, call.ErrorCode = http.StatusBadRequest, "UnknownOperationException"
		f.record(call)
		writeAWSError(w, call.Status, call.ErrorCode, "")
		return
	}

	var in struct {
		RegistryIDs []string `json:"registryIds"`
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			call.Status, call.ErrorCode = http.StatusBadRequest, "SerializationException"
			f.record(call)
			writeAWSError(w, call.Status, call.ErrorCode, "Start of structure or map found where not expected.")
			return
		}
	}
	call.RegistryIDs = in.RegistryIDs

	// Rate limiter first, then injected faults.
	ft, throttled := f.admit(call)
	if throttled {
		call.Status, call.ErrorCode = http.StatusBadRequest, "ThrottlingException"
		f.record(call)
		writeAWSError(w, call.Status, call.ErrorCode, "Rate exceeded")
		return
	}
	call.Fault = ft.Kind

	switch ft.Kind {
	case FaultServerError, FaultThrottling, FaultAccessDenied, FaultExpiredToken,
		FaultUnrecognizedClient, FaultInvalidSignature:
		call.Status = http.StatusBadRequest
		if ft.Kind == FaultServerError {
			call.Status = http.StatusInternalServerError
		}
		call.ErrorCode = ft.Kind.ErrorCode()
		msg := ft.Message
		if msg == "" {
			msg = f.defaultMessage(ft.Kind, public)
		}
		f.record(call)
		writeAWSError(w, call.Status, call.ErrorCode, msg)
		return

	case FaultConnectionReset:
		f.record(call) // Status 0
		resetConnection(w)
		return

	case FaultStall:
		call.Status = http.StatusOK
		f.record(call)
		if !f.stall(r.Context(), ft.Duration) {
			return
		}
		// then answer normally
	default:
		call.Status = http.StatusOK
		f.record(call)
	}

	f.writeSuccess(w, call, ft.Kind, public)
}

// admit applies the rate limiter and picks the fault for this call.
func (f *Fake) admit(c Call) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cfg.rate > 0 {
		now := f.cfg.clock()
		if el := now.Sub(f.lastFill); el > 0 {
			f.tokens += el.Seconds() * f.cfg.rate
			if b := float64(f.cfg.burst); f.tokens > b {
				f.tokens = b
			}
		}
		if now.After(f.lastFill) {
			f.lastFill = now
		}
		if f.tokens < 1 {
			f.throttled++
			return Fault{}, true
		}
		f.tokens--
	}
	ft := f.fault
	if ft.Kind == FaultNone || (ft.Service != "" && ft.Service != c.Service) {
		return Fault{}, false
	}
	if ft.Times > 0 {
		f.faultLeft--
		if f.faultLeft <= 0 {
			f.fault, f.faultLeft = Fault{}, 0
		}
	}
	return ft, false
}

func (f *Fake) record(c Call) {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	if f.cfg.onCall != nil {
		f.cfg.onCall(c)
	}
}

// stall waits d (or forever when d == 0). It reports whether the handler
// should go on answering.
func (f *Fake) stall(ctx context.Context, d time.Duration) bool {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return true
	case <-f.closed:
		return true
	case <-ctx.Done():
		return false
	}
}

func (f *Fake) defaultMessage(k FaultKind, public bool) string {
	action := "ecr:GetAuthorizationToken"
	if public {
		action = "ecr-public:GetAuthorizationToken"
	}
	switch k {
	case FaultServerError:
		return "We encountered an internal error. Please try again."
	case FaultThrottling:
		return "Rate exceeded"
	case FaultAccessDenied:
		return fmt.Sprintf("User: arn:aws:iam::%s:user/ci is not authorized to perform: %s on resource: * because no identity-based policy allows the %s action",
			f.cfg.accountID, action, action)
	case FaultExpiredToken:
		return "The security token included in the request is expired"
	case FaultUnrecognizedClient:
		return "The security token included in the request is invalid."
	case FaultInvalidSignature:
		return "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	}
	return ""
}

// authData is one authorizationData element on the wire.
type authData struct {
	AuthorizationToken *string     `json:"authorizationToken,omitempty"`
	ExpiresAt          json.Number `json:"expiresAt,omitempty"`
	ProxyEndpoint      string      `json:"proxyEndpoint,omitempty"`
}

func (f *Fake) writeSuccess(w http.ResponseWriter, c Call, k FaultKind, public bool) {
	password := f.cfg.password
	if f.cfg.passwordFunc != nil {
		password = f.cfg.passwordFunc(c)
	}
	token := base64.StdEncoding.EncodeToString([]byte("AWS:" + password))
	expires := c.Time.Add(f.cfg.lifetime)

	switch k {
	case FaultMalformedJSON:
		w.Header().Set("Content-Type", ContentType)
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"authorizationData":[{"authorizationToken":"`+token[:len(token)/2])
		return
	case FaultTokenNotBase64:
		token = "%%not*base64%%"
	case FaultTokenNoColon:
		token = base64.StdEncoding.EncodeToString([]byte("AWS" + strings.ReplaceAll(password, ":", "")))
	case FaultExpiredAuth:
		expires = c.Time.Add(-time.Hour)
	}

	ad := authData{AuthorizationToken: &token, ExpiresAt: EpochSeconds(expires)}
	if k == FaultNoToken {
		ad.AuthorizationToken = nil
	}

	var out any
	if public {
		var data any = ad
		if k == FaultEmptyAuthData {
			data = nil
		}
		out = struct {
			AuthorizationData any `json:"authorizationData"`
		}{data}
	} else {
		list := []authData{}
		if k != FaultEmptyAuthData {
			accounts := c.RegistryIDs
			if len(accounts) == 0 {
				accounts = []string{f.cfg.accountID}
			}
			for _, acct := range accounts {
				e := ad
				e.ProxyEndpoint = ProxyEndpoint(acct, c.Region)
				list = append(list, e)
			}
		}
		out = struct {
			AuthorizationData []authData `json:"authorizationData"`
		}{list}
	}
	b, err := json.Marshal(out)
	if err != nil {
		writeAWSError(w, http.StatusInternalServerError, "ServerException", err.Error())
		return
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// ProxyEndpoint returns the registry URL ECR reports for account and region.
func ProxyEndpoint(account, region string) string {
	suffix := "amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		suffix = "amazonaws.com.cn"
	}
	return "https://" + account + ".dkr.ecr." + region + "." + suffix
}

// EpochSeconds formats t the way AWS (Coral) services put timestamps in JSON
// bodies: epoch seconds with millisecond precision in Java Double.toString
// style, e.g. 1.717045015873E9.
func EpochSeconds(t time.Time) json.Number {
	ms := t.UnixMilli()
	s := strconv.FormatFloat(float64(ms)/1000, 'E', -1, 64) // 1.717045015873E+09
	s = strings.Replace(s, "E+0", "E", 1)
	s = strings.Replace(s, "E+", "E", 1)
	s = strings.Replace(s, "E-0", "E-", 1)
	return json.Number(s)
}

// writeAWSError writes an AWS JSON 1.1 error: X-Amzn-ErrorType plus a body
// {"__type":code,"message":msg}. (The SDK prefers the header over __type.)
func writeAWSError(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message,omitempty"`
	}{code, msg})
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("X-Amzn-Errortype", code)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// resetConnection hijacks the connection and closes it with SO_LINGER 0, so
// the client sees ECONNRESET instead of a clean EOF.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // e.g. HTTP/2: abort the stream
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// SigV4Credential is the credential scope of a SigV4 Authorization header.
type SigV4Credential struct {
	AccessKeyID string
	Date        string // yyyymmdd
	Region      string
	Service     string
}

// ParseSigV4Authorization parses an Authorization header of the form
//
//	AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/ecr/aws4_request, SignedHeaders=host;x-amz-date, Signature=hex
//
// It checks the shape only, not the signature.
func ParseSigV4Authorization(h string) (SigV4Credential, bool) {
	const algo = "AWS4-HMAC-SHA256 "
	if !strings.HasPrefix(h, algo) {
		return SigV4Credential{}, false
	}
	var cred, signed, sig string
	for _, part := range strings.Split(h[len(algo):], ",") {
		k, v, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			return SigV4Credential{}, false
		}
		switch k {
		case "Credential":
			cred = v
		case "SignedHeaders":
			signed = v
		case "Signature":
			sig = v
		}
	}
	if cred == "" || signed == "" || sig == "" {
		return SigV4Credential{}, false
	}
	if _, err := hex.DecodeString(sig); err != nil {
		return SigV4Credential{}, false
	}
	p := strings.Split(cred, "/")
	if len(p) != 5 || p[0] == "" || p[2] == "" || p[3] == "" || p[4] != "aws4_request" {
		return SigV4Credential{}, false
	}
	if _, err := time.Parse("20060102", p[1]); err != nil {
		return SigV4Credential{}, false
	}
	return SigV4Credential{AccessKeyID: p[0], Date: p[1], Region: p[2], Service: p[3]}, true
}

// --- admin API ----------------------------------------------------------------

// Stats is the body of GET /_fake/calls.
type Stats struct {
	Calls     int    `json:"calls"`
	Throttled int    `json:"throttled"`
	Log       []Call `json:"log"`

	STSCalls int       `json:"sts_calls"`
	STSLog   []STSCall `json:"sts_log"`
}

func (f *Fake) serveAdmin(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case AdminPrefix + "calls":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			adminMethodNotAllowed(w, "GET, HEAD")
			return
		}
		f.mu.Lock()
		st := Stats{Calls: len(f.calls), Throttled: f.throttled, Log: append([]Call{}, f.calls...),
			STSCalls: len(f.sts.calls), STSLog: append([]STSCall{}, f.sts.calls...)}
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, st)
	case AdminPrefix + "reset":
		if r.Method != http.MethodPost {
			adminMethodNotAllowed(w, "POST")
			return
		}
		f.Reset()
		writeJSON(w, http.StatusOK, Stats{Log: []Call{}, STSLog: []STSCall{}})
	case AdminPrefix + "fault":
		if r.Method != http.MethodPost {
			adminMethodNotAllowed(w, "POST")
			return
		}
		var fj faultJSON
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&fj); err != nil && !errors.Is(err, io.EOF) {
			http.Error(w, "bad fault: "+err.Error(), http.StatusBadRequest)
			return
		}
		ft := Fault{Kind: fj.Kind, Times: fj.Times, Service: fj.Service, Message: fj.Message}
		if fj.Duration != "" {
			d, err := time.ParseDuration(fj.Duration)
			if err != nil {
				http.Error(w, "bad fault duration: "+err.Error(), http.StatusBadRequest)
				return
			}
			ft.Duration = d
		}
		f.SetFault(ft)
		writeJSON(w, http.StatusOK, fj)
	default:
		http.NotFound(w, r)
	}
}

func adminMethodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// --- httptest wrapper ---------------------------------------------------------

// Server is a Fake served by an httptest.Server on 127.0.0.1. All Fake
// methods (Calls, CallCount, Throttled, SetFault, Reset, Password, ...) are
// available on it.
type Server struct {
	*Fake
	ts *httptest.Server
}

// NewServer starts a Server configured by opts. Call Close when done.
func NewServer(opts ...Option) *Server {
	f := New(opts...)
	return &Server{Fake: f, ts: httptest.NewServer(f)}
}

// URL returns the base URL, e.g. "http://127.0.0.1:34567", for use as the
// SDK's BaseEndpoint.
func (s *Server) URL() string { return s.ts.URL }

// Client returns an *http.Client configured for the server (no proxy).
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Close releases stalled handlers and shuts the server down.
func (s *Server) Close() {
	s.Fake.Close()
	s.ts.Close()
}
