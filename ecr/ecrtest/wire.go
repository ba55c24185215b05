// Wire-format helpers shared by the ECR and STS handlers: proxy endpoints,
// AWS epoch timestamps, JSON 1.1 error bodies, connection resets and the
// shape check of SigV4 Authorization headers.

package ecrtest

import (
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

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
