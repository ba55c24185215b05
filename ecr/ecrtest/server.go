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
// Fake in an httptest.Server on 127.0.0.1 for in-process tests, over plain
// HTTP ([NewServer]) or HTTPS with a CA of its own ([NewTLSServer]).
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
	"net/http"
	"net/http/httptest"
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

// --- httptest wrapper ---------------------------------------------------------

// Server is a Fake served by an httptest.Server on 127.0.0.1. All Fake
// methods (Calls, CallCount, Throttled, SetFault, Reset, Password, ...) are
// available on it.
type Server struct {
	*Fake
	ts    *httptest.Server
	caPEM []byte // NewTLSServer's CA, see tls.go
}

// NewServer starts a Server configured by opts. Call Close when done.
func NewServer(opts ...Option) *Server {
	f := New(opts...)
	return &Server{Fake: f, ts: httptest.NewServer(f)}
}

// URL returns the base URL, e.g. "http://127.0.0.1:34567" (https:// for
// NewTLSServer), for use as the
// SDK's BaseEndpoint.
func (s *Server) URL() string { return s.ts.URL }

// Client returns an *http.Client configured for the server (no proxy).
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Close releases stalled handlers and shuts the server down.
func (s *Server) Close() {
	s.Fake.Close()
	s.ts.Close()
}
