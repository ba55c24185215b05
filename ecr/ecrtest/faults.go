// Fault injection: the kinds of misbehaviour the fake can be told to show,
// their names and AWS error codes, and the Fault description.

package ecrtest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

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
