// The ECR / ECR Public side of the fake: request routing, the rate limiter
// and fault admission, the call log, stalls, and the GetAuthorizationToken answer.

package ecrtest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

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
