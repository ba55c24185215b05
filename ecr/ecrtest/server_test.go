package ecrtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/internal/testenv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecrpublic"
	"github.com/aws/smithy-go"
)

const (
	testAKID     = "AKIDECRTEST0000001"
	testSecret   = "c2VjcmV0LXNlY3JldC1zZWNyZXQ"
	testPassword = "s3cr3t-P4ssw0rd+/="
)

// --- helpers ------------------------------------------------------------------

var t0 = time.Date(2024, 5, 30, 1, 2, 3, 456_000_000, time.UTC)

func noRetry() aws.Retryer { return aws.NopRetryer{} }

func fewRetries(n int) func() aws.Retryer {
	return func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = n
			o.RateLimiter = ratelimit.None
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) {
				return time.Millisecond, nil
			})
		})
	}
}

type clientOpts struct {
	region  string
	akid    string
	session string
	retryer func() aws.Retryer
}

func awsConfig(t *testing.T, s *Server, o clientOpts) aws.Config {
	t.Helper()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	if o.region == "" {
		o.region = "eu-west-1"
	}
	if o.akid == "" {
		o.akid = testAKID
	}
	if o.retryer == nil {
		o.retryer = noRetry
	}
	return aws.Config{
		Region:       o.region,
		Credentials:  credentials.NewStaticCredentialsProvider(o.akid, testSecret, o.session),
		BaseEndpoint: aws.String(s.URL()),
		Retryer:      o.retryer,
		HTTPClient:   s.Client(), // loopback only, no proxy
	}
}

func newECR(t *testing.T, s *Server, o clientOpts) *ecr.Client {
	return ecr.NewFromConfig(awsConfig(t, s, o))
}

func newPublic(t *testing.T, s *Server, o clientOpts) *ecrpublic.Client {
	if o.region == "" {
		o.region = "us-east-1"
	}
	return ecrpublic.NewFromConfig(awsConfig(t, s, o))
}

func newServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	s := NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func decodeToken(t *testing.T, tok *string) string {
	t.Helper()
	if tok == nil {
		t.Fatal("authorizationToken is nil")
	}
	b, err := base64.StdEncoding.DecodeString(*tok)
	if err != nil {
		t.Fatalf("token %q is not base64: %v", *tok, err)
	}
	return string(b)
}

func wantAPIError(t *testing.T, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s error, got success", code)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want smithy.APIError %s, got %T: %v", code, err, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("ErrorCode() = %q, want %q (err: %v)", ae.ErrorCode(), code, err)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("want *awshttp.ResponseError in chain, got %v", err)
	}
	if re.HTTPStatusCode() != status {
		t.Fatalf("HTTP status = %d, want %d", re.HTTPStatusCode(), status)
	}
	if !strings.HasPrefix(re.ServiceRequestID(), "ec2ec2ec-") {
		t.Errorf("request id = %q, want the fake's x-amzn-RequestId", re.ServiceRequestID())
	}
}

// rawPost sends an AWS JSON request without the SDK.
func rawPost(t *testing.T, url, target, auth, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ContentType)
	req.Header.Set("X-Amz-Target", target)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

const validAuth = "AWS4-HMAC-SHA256 Credential=AKIDRAW/20240530/ap-south-1/ecr/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0123456789abcdef"

// --- success ------------------------------------------------------------------

func TestECRSuccess(t *testing.T) {
	clk := testenv.NewClock(t0)
	s := newServer(t, WithPassword(testPassword), WithClock(clk.Now), WithLifetime(12*time.Hour), WithAccountID("210987654321"))
	c := newECR(t, s, clientOpts{region: "eu-central-1", session: "sess-token"})

	out, err := c.GetAuthorizationToken(ctxT(t), &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.AuthorizationData) != 1 {
		t.Fatalf("got %d authorizationData, want 1", len(out.AuthorizationData))
	}
	ad := out.AuthorizationData[0]
	if got := decodeToken(t, ad.AuthorizationToken); got != "AWS:"+testPassword {
		t.Errorf("token decodes to %q, want %q", got, "AWS:"+testPassword)
	}
	if want := t0.Add(12 * time.Hour); ad.ExpiresAt == nil || !ad.ExpiresAt.Equal(want) {
		t.Errorf("expiresAt = %v, want %v", ad.ExpiresAt, want)
	}
	if got, want := aws.ToString(ad.ProxyEndpoint), "https://210987654321.dkr.ecr.eu-central-1.amazonaws.com"; got != want {
		t.Errorf("proxyEndpoint = %q, want %q", got, want)
	}

	calls := s.Calls()
	if len(calls) != 1 || s.CallCount() != 1 {
		t.Fatalf("calls = %+v", calls)
	}
	cl := calls[0]
	if cl.Service != ServiceECR || cl.Target != TargetECR || cl.Region != "eu-central-1" || cl.AccessKeyID != testAKID ||
		!cl.SessionToken || !cl.Time.Equal(t0) || cl.Status != 200 || cl.ErrorCode != "" || cl.Fault != FaultNone {
		t.Errorf("recorded call = %+v", cl)
	}
	if !strings.Contains(cl.UserAgent, "aws-sdk-go-v2") {
		t.Errorf("user agent = %q", cl.UserAgent)
	}
}

func TestECRRealClockDefaults(t *testing.T) {
	s := newServer(t)
	c := newECR(t, s, clientOpts{region: "cn-north-1"})
	before := time.Now()
	out, err := c.GetAuthorizationToken(ctxT(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	ad := out.AuthorizationData[0]
	if got := decodeToken(t, ad.AuthorizationToken); got != "AWS:"+DefaultPassword(DefaultAccountID) || got != "AWS:"+s.Password() {
		t.Errorf("token decodes to %q, want default password %q", got, s.Password())
	}
	if d := ad.ExpiresAt.Sub(before.Add(DefaultLifetime)); d < -time.Second || d > time.Second {
		t.Errorf("expiresAt = %v, want now+12h (off by %v)", ad.ExpiresAt, d)
	}
	if got, want := aws.ToString(ad.ProxyEndpoint), "https://123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"; got != want {
		t.Errorf("proxyEndpoint = %q, want %q", got, want)
	}
}

func TestDefaultPassword(t *testing.T) {
	a, b := New(), New()
	if a.Password() != b.Password() || a.Password() != DefaultPassword(DefaultAccountID) {
		t.Errorf("default password not deterministic: %q vs %q", a.Password(), b.Password())
	}
	if New(WithAccountID("111111111111")).Password() == a.Password() {
		t.Error("default password should depend on the account id")
	}
	if p := a.Password(); len(p) > 72 || strings.Contains(p, ":") || len(p) < 20 {
		t.Errorf("default password %q unsuitable for htpasswd/docker", p)
	}
}

func TestECRRegistryIDs(t *testing.T) {
	s := newServer(t, WithPassword(testPassword))
	c := newECR(t, s, clientOpts{region: "us-west-2"})
	out, err := c.GetAuthorizationToken(ctxT(t), &ecr.GetAuthorizationTokenInput{RegistryIds: []string{"111111111111", "222222222222"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.AuthorizationData) != 2 {
		t.Fatalf("got %d entries, want 2", len(out.AuthorizationData))
	}
	for i, acct := range []string{"111111111111", "222222222222"} {
		if got, want := aws.ToString(out.AuthorizationData[i].ProxyEndpoint), ProxyEndpoint(acct, "us-west-2"); got != want {
			t.Errorf("entry %d proxyEndpoint = %q, want %q", i, got, want)
		}
	}
	if got := s.Calls()[0].RegistryIDs; len(got) != 2 || got[1] != "222222222222" {
		t.Errorf("recorded registryIds = %v", got)
	}
}

func TestECRPublicSuccess(t *testing.T) {
	clk := testenv.NewClock(t0)
	s := newServer(t, WithPassword(testPassword), WithClock(clk.Now), WithLifetime(time.Hour))
	c := newPublic(t, s, clientOpts{akid: "AKIDPUBLIC"})
	out, err := c.GetAuthorizationToken(ctxT(t), &ecrpublic.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	if out.AuthorizationData == nil {
		t.Fatal("authorizationData is nil")
	}
	if got := decodeToken(t, out.AuthorizationData.AuthorizationToken); got != "AWS:"+testPassword {
		t.Errorf("token decodes to %q", got)
	}
	if want := t0.Add(time.Hour); !out.AuthorizationData.ExpiresAt.Equal(want) {
		t.Errorf("expiresAt = %v, want %v", out.AuthorizationData.ExpiresAt, want)
	}
	cl := s.Calls()[0]
	if cl.Service != ServiceECRPublic || cl.Target != TargetECRPublic || cl.Region != "us-east-1" || cl.AccessKeyID != "AKIDPUBLIC" || cl.SessionToken {
		t.Errorf("recorded call = %+v", cl)
	}
}

func TestPasswordFunc(t *testing.T) {
	s := newServer(t, WithPasswordFunc(func(c Call) string { return "pw-" + c.Service + "-" + c.Region + "-" + c.AccessKeyID }))
	out, err := newECR(t, s, clientOpts{region: "eu-north-1", akid: "AK1"}).GetAuthorizationToken(ctxT(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := decodeToken(t, out.AuthorizationData[0].AuthorizationToken); got != "AWS:pw-ecr-eu-north-1-AK1" {
		t.Errorf("ecr token = %q", got)
	}
	pout, err := newPublic(t, s, clientOpts{akid: "AK2"}).GetAuthorizationToken(ctxT(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := decodeToken(t, pout.AuthorizationData.AuthorizationToken); got != "AWS:pw-ecr-public-us-east-1-AK2" {
		t.Errorf("ecr-public token = %q", got)
	}
}

// TestWireFormat checks the raw HTTP answer, independent of the SDK.
func TestWireFormat(t *testing.T) {
	clk := testenv.NewClock(t0)
	s := newServer(t, WithPassword(testPassword), WithClock(clk.Now))
	resp, body := rawPost(t, s.URL()+"/", TargetECR, validAuth, "{}")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ContentType || resp.Header.Get("X-Amzn-RequestId") == "" {
		t.Fatalf("status %d headers %v", resp.StatusCode, resp.Header)
	}
	want := `{"authorizationData":[{"authorizationToken":"` + base64.StdEncoding.EncodeToString([]byte("AWS:"+testPassword)) +
		`","expiresAt":1.717074123456E9,"proxyEndpoint":"https://123456789012.dkr.ecr.ap-south-1.amazonaws.com"}]}`
	if string(body) != want {
		t.Errorf("body\n got %s\nwant %s", body, want)
	}
	resp, body = rawPost(t, s.URL()+"/", TargetECRPublic, strings.Replace(validAuth, "/ecr/", "/ecr-public/", 1), "")
	if resp.StatusCode != 200 || !strings.HasPrefix(string(body), `{"authorizationData":{"authorizationToken":"`) || strings.Contains(string(body), "proxyEndpoint") {
		t.Errorf("public: status %d body %s", resp.StatusCode, body)
	}
	cl := s.Calls()
	if len(cl) != 2 || cl[0].AccessKeyID != "AKIDRAW" || cl[0].Region != "ap-south-1" || cl[1].Service != ServiceECRPublic {
		t.Errorf("calls = %+v", cl)
	}
}

func TestEpochSeconds(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Unix(1700000000, 0), "1.7E9"},
		{t0, "1.717030923456E9"},
		{time.Unix(1717030923, 999_999_999), "1.717030923999E9"}, // truncated to ms
		{time.Unix(5, 0), "5E0"},
	} {
		if got := EpochSeconds(tc.t); string(got) != tc.want {
			t.Errorf("EpochSeconds(%v) = %s, want %s", tc.t, got, tc.want)
		}
		var f float64
		if err := json.Unmarshal([]byte(EpochSeconds(tc.t)), &f); err != nil {
			t.Errorf("%s is not a JSON number: %v", EpochSeconds(tc.t), err)
		}
	}
}

// --- authentication -------------------------------------------------------------

func TestMissingSigV4Rejected(t *testing.T) {
	s := newServer(t)
	for name, auth := range map[string]string{
		"none":           "",
		"bearer":         "Bearer abc",
		"sigv2":          "AWS AKID:c2ln",
		"sigv4a":         "AWS4-ECDSA-P256-SHA256 Credential=AKID/20240530/ecr/aws4_request, SignedHeaders=host, Signature=00",
		"no signature":   "AWS4-HMAC-SHA256 Credential=AKID/20240530/us-east-1/ecr/aws4_request, SignedHeaders=host",
		"short scope":    "AWS4-HMAC-SHA256 Credential=AKID/20240530/us-east-1/aws4_request, SignedHeaders=host, Signature=00",
		"bad date":       "AWS4-HMAC-SHA256 Credential=AKID/2024-05-30/us-east-1/ecr/aws4_request, SignedHeaders=host, Signature=00",
		"empty key":      "AWS4-HMAC-SHA256 Credential=/20240530/us-east-1/ecr/aws4_request, SignedHeaders=host, Signature=00",
		"nonhex sig":     "AWS4-HMAC-SHA256 Credential=AKID/20240530/us-east-1/ecr/aws4_request, SignedHeaders=host, Signature=zz",
		"wrong terminal": "AWS4-HMAC-SHA256 Credential=AKID/20240530/us-east-1/ecr/aws4, SignedHeaders=host, Signature=00",
	} {
		resp, body := rawPost(t, s.URL()+"/", TargetECR, auth, "{}")
		if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-ErrorType") != "MissingAuthenticationTokenException" {
			t.Errorf("%s: status %d, X-Amzn-ErrorType %q", name, resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
		}
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(body, &e); err != nil || e.Type != "MissingAuthenticationTokenException" || e.Message == "" {
			t.Errorf("%s: body %s", name, body)
		}
	}
	if n := s.CallCount(); n != 0 {
		t.Errorf("unauthenticated requests recorded as calls: %d", n)
	}
	// The same request, signed, succeeds.
	if resp, body := rawPost(t, s.URL()+"/", TargetECR, validAuth, "{}"); resp.StatusCode != 200 {
		t.Errorf("signed raw request: %d %s", resp.StatusCode, body)
	}
}

func TestParseSigV4Authorization(t *testing.T) {
	c, ok := ParseSigV4Authorization("AWS4-HMAC-SHA256 Credential=ASIAXYZ/20240530/us-east-1/ecr-public/aws4_request,SignedHeaders=host;x-amz-date,Signature=ab12")
	if !ok || c != (SigV4Credential{AccessKeyID: "ASIAXYZ", Date: "20240530", Region: "us-east-1", Service: "ecr-public"}) {
		t.Errorf("got %+v, %v", c, ok)
	}
}

func TestProtocolErrors(t *testing.T) {
	s := newServer(t)
	resp, body := rawPost(t, s.URL()+"/", "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories", validAuth, "{}")
	if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-ErrorType") != "UnknownOperationException" {
		t.Errorf("unknown target: %d %s", resp.StatusCode, body)
	}
	resp, body = rawPost(t, s.URL()+"/", TargetECR, validAuth, "{not json")
	if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-ErrorType") != "SerializationException" {
		t.Errorf("bad body: %d %s", resp.StatusCode, body)
	}
	r, err := http.Get(s.URL() + "/")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET / = %d", r.StatusCode)
	}
}

// --- faults -------------------------------------------------------------------

func TestErrorFaults(t *testing.T) {
	std := retry.NewStandard()
	for _, tc := range []struct {
		kind      FaultKind
		code      string
		status    int
		retryable bool // by the SDK's standard retryer
		msg       string
	}{
		{FaultServerError, "ServerException", 500, true, "internal error"},
		{FaultThrottling, "ThrottlingException", 400, true, "Rate exceeded"},
		{FaultAccessDenied, "AccessDeniedException", 400, false, "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecr"},
		{FaultExpiredToken, "ExpiredTokenException", 400, false, "expired"},
		{FaultUnrecognizedClient, "UnrecognizedClientException", 400, false, "security token included in the request is invalid"},
		{FaultInvalidSignature, "InvalidSignatureException", 400, false, "signature"},
	} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			s := newServer(t, WithFault(Fault{Kind: tc.kind}))
			_, err := newECR(t, s, clientOpts{}).GetAuthorizationToken(ctxT(t), nil)
			wantAPIError(t, err, tc.code, tc.status)
			var ae smithy.APIError
			errors.As(err, &ae)
			if !strings.Contains(ae.ErrorMessage(), tc.msg) {
				t.Errorf("message %q does not contain %q", ae.ErrorMessage(), tc.msg)
			}
			if got := std.IsErrorRetryable(err); got != tc.retryable {
				t.Errorf("standard retryer IsErrorRetryable = %v, want %v", got, tc.retryable)
			}
			if tc.kind == FaultServerError {
				var se *ecrtypes.ServerException
				if !errors.As(err, &se) {
					t.Errorf("ECR ServerException should deserialize to *types.ServerException, got %T", ae)
				}
			}

			_, err = newPublic(t, s, clientOpts{}).GetAuthorizationToken(ctxT(t), nil)
			wantAPIError(t, err, tc.code, tc.status)
			if tc.kind == FaultAccessDenied {
				errors.As(err, &ae)
				if !strings.Contains(ae.ErrorMessage(), "ecr-public:GetAuthorizationToken") {
					t.Errorf("public message %q", ae.ErrorMessage())
				}
			}
			calls := s.Calls()
			if len(calls) != 2 || calls[0].Fault != tc.kind || calls[0].ErrorCode != tc.code || calls[0].Status != tc.status || calls[1].Service != ServiceECRPublic {
				t.Errorf("calls = %+v", calls)
			}
			if s.Throttled() != 0 {
				t.Errorf("FaultThrottling must not count as rate-limited: Throttled() = %d", s.Throttled())
			}
		})
	}
}

func TestFaultMessageOverride(t *testing.T) {
	s := newServer(t, WithFault(Fault{Kind: FaultAccessDenied, Message: "custom denial"}))
	_, err := newECR(t, s, clientOpts{}).GetAuthorizationToken(ctxT(t), nil)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorMessage() != "custom denial" {
		t.Errorf("err = %v", err)
	}
}

func TestPayloadFaults(t *testing.T) {
	clk := testenv.NewClock(t0)
	s := newServer(t, WithPassword(testPassword), WithClock(clk.Now))
	ecrc := newECR(t, s, clientOpts{})
	pubc := newPublic(t, s, clientOpts{})
	ctx := ctxT(t)

	t.Run("malformed-json", func(t *testing.T) {
		s.SetFault(Fault{Kind: FaultMalformedJSON})
		for _, err := range []error{
			func() error { _, err := ecrc.GetAuthorizationToken(ctx, nil); return err }(),
			func() error { _, err := pubc.GetAuthorizationToken(ctx, nil); return err }(),
		} {
			var de *smithy.DeserializationError
			if !errors.As(err, &de) {
				t.Errorf("want *smithy.DeserializationError, got %T %v", err, err)
			}
			var ae smithy.APIError
			if errors.As(err, &ae) {
				t.Errorf("malformed body must not be an APIError: %v", err)
			}
		}
	})
	t.Run("empty-authorization-data", func(t *testing.T) {
		s.SetFault(Fault{Kind: FaultEmptyAuthData})
		out, err := ecrc.GetAuthorizationToken(ctx, nil)
		if err != nil || len(out.AuthorizationData) != 0 {
			t.Errorf("ecr: %v %+v", err, out)
		}
		pout, err := pubc.GetAuthorizationToken(ctx, nil)
		if err != nil || pout.AuthorizationData != nil {
			t.Errorf("ecr-public: %v %+v", err, pout)
		}
	})
	t.Run("no-token", func(t *testing.T) {
		s.SetFault(Fault{Kind: FaultNoToken})
		out, err := ecrc.GetAuthorizationToken(ctx, nil)
		if err != nil || len(out.AuthorizationData) != 1 || out.AuthorizationData[0].AuthorizationToken != nil || out.AuthorizationData[0].ExpiresAt == nil {
			t.Errorf("ecr: %v %+v", err, out)
		}
		pout, err := pubc.GetAuthorizationToken(ctx, nil)
		if err != nil || pout.AuthorizationData == nil || pout.AuthorizationData.AuthorizationToken != nil {
			t.Errorf("ecr-public: %v %+v", err, pout)
		}
	})
	t.Run("token-not-base64", func(t *testing.T) {
		s.SetFault(Fault{Kind: FaultTokenNotBase64})
		out, err := ecrc.GetAuthorizationToken(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := base64.StdEncoding.DecodeString(aws.ToString(out.AuthorizationData[0].AuthorizationToken)); err == nil {
			t.Errorf("token %q decodes", aws.ToString(out.AuthorizationData[0].AuthorizationToken))
		}
	})
	t.Run("token-no-colon", func(t *testing.T) {
		s.SetFault(Fault{Kind: FaultTokenNoColon})
		pout, err := pubc.GetAuthorizationToken(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := decodeToken(t, pout.AuthorizationData.AuthorizationToken); strings.Contains(got, ":") || got == "" {
			t.Errorf("token decodes to %q", got)
		}
	})
	t.Run("expired-authorization", func(t *testing.T) {
		s.SetFault(Fault{Kind: FaultExpiredAuth})
		out, err := ecrc.GetAuthorizationToken(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ea := out.AuthorizationData[0].ExpiresAt; !ea.Before(t0) {
			t.Errorf("expiresAt %v not before clock %v", ea, t0)
		}
		if got := decodeToken(t, out.AuthorizationData[0].AuthorizationToken); got != "AWS:"+testPassword {
			t.Errorf("token = %q", got)
		}
	})
	t.Run("none-restores", func(t *testing.T) {
		s.SetFault(Fault{})
		out, err := ecrc.GetAuthorizationToken(ctx, nil)
		if err != nil || decodeToken(t, out.AuthorizationData[0].AuthorizationToken) != "AWS:"+testPassword {
			t.Errorf("after FaultNone: %v", err)
		}
	})
}

func TestConnectionReset(t *testing.T) {
	s := newServer(t, WithFault(Fault{Kind: FaultConnectionReset}))
	for _, err := range []error{
		func() error { _, err := newECR(t, s, clientOpts{}).GetAuthorizationToken(ctxT(t), nil); return err }(),
		func() error { _, err := newPublic(t, s, clientOpts{}).GetAuthorizationToken(ctxT(t), nil); return err }(),
	} {
		if err == nil {
			t.Fatal("want error")
		}
		var ae smithy.APIError
		if errors.As(err, &ae) {
			t.Errorf("connection reset must not be an APIError: %v", err)
		}
		var se *smithy.OperationError
		if !errors.As(err, &se) {
			t.Errorf("want *smithy.OperationError, got %T", err)
		}
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("want ECONNRESET in chain, got %v", err)
		}
		if !retry.NewStandard().IsErrorRetryable(err) {
			t.Errorf("standard retryer should retry a reset connection: %v", err)
		}
	}
	if c := s.Calls(); len(c) != 2 || c[0].Status != 0 || c[0].Fault != FaultConnectionReset {
		t.Errorf("calls = %+v", c)
	}
}

func TestStall(t *testing.T) {
	t.Run("until-context-cancelled", func(t *testing.T) {
		s := newServer(t, WithFault(Fault{Kind: FaultStall}))
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := newECR(t, s, clientOpts{}).GetAuthorizationToken(ctx, nil)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("want DeadlineExceeded, got %v", err)
		}
		if el := time.Since(start); el > 5*time.Second {
			t.Errorf("took %v", el)
		}
	})
	t.Run("duration-then-success", func(t *testing.T) {
		s := newServer(t, WithPassword(testPassword), WithFault(Fault{Kind: FaultStall, Duration: 150 * time.Millisecond}))
		start := time.Now()
		out, err := newPublic(t, s, clientOpts{}).GetAuthorizationToken(ctxT(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el < 150*time.Millisecond {
			t.Errorf("answered after %v, want >= 150ms", el)
		}
		if decodeToken(t, out.AuthorizationData.AuthorizationToken) != "AWS:"+testPassword {
			t.Error("wrong token after stall")
		}
	})
	t.Run("close-releases", func(t *testing.T) {
		arrived := make(chan struct{}, 1)
		s := NewServer(WithFault(Fault{Kind: FaultStall}), WithOnCall(func(Call) {
			select {
			case arrived <- struct{}{}:
			default:
			}
		}))
		c := newECR(t, s, clientOpts{})
		done := make(chan error, 1)
		go func() {
			_, err := c.GetAuthorizationToken(context.Background(), nil)
			done <- err
		}()
		select {
		case <-arrived:
		case <-time.After(5 * time.Second):
			t.Fatal("stalled call never arrived")
		}
		closed := make(chan struct{})
		go func() { s.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			t.Fatal("Close blocked on a stalled request")
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("released call: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("stalled call not released")
		}
	})
}

func TestFaultTimesThenSuccess(t *testing.T) {
	for _, kind := range []FaultKind{FaultServerError, FaultThrottling, FaultConnectionReset} {
		t.Run(kind.String(), func(t *testing.T) {
			s := newServer(t, WithPassword(testPassword))
			s.SetFault(Fault{Kind: kind, Times: 2})
			c := newECR(t, s, clientOpts{retryer: fewRetries(3)})
			out, err := c.GetAuthorizationToken(ctxT(t), nil)
			if err != nil {
				t.Fatalf("with 3 attempts: %v", err)
			}
			if decodeToken(t, out.AuthorizationData[0].AuthorizationToken) != "AWS:"+testPassword {
				t.Error("wrong token")
			}
			calls := s.Calls()
			if len(calls) != 3 || calls[0].Fault != kind || calls[1].Fault != kind || calls[2].Fault != FaultNone || calls[2].Status != 200 {
				t.Errorf("calls = %+v", calls)
			}
		})
	}
	t.Run("no-retry-sees-each", func(t *testing.T) {
		s := newServer(t, WithFault(Fault{Kind: FaultAccessDenied, Times: 2}))
		c := newECR(t, s, clientOpts{})
		for i := 0; i < 2; i++ {
			_, err := c.GetAuthorizationToken(ctxT(t), nil)
			wantAPIError(t, err, "AccessDeniedException", 400)
		}
		if _, err := c.GetAuthorizationToken(ctxT(t), nil); err != nil {
			t.Fatalf("third call: %v", err)
		}
	})
	t.Run("retries-exhausted", func(t *testing.T) {
		s := newServer(t, WithFault(Fault{Kind: FaultServerError, Times: 5}))
		_, err := newECR(t, s, clientOpts{retryer: fewRetries(3)}).GetAuthorizationToken(ctxT(t), nil)
		wantAPIError(t, err, "ServerException", 500)
		var me *retry.MaxAttemptsError
		if !errors.As(err, &me) || me.Attempt != 3 {
			t.Errorf("want MaxAttemptsError after 3 attempts, got %v", err)
		}
		if s.CallCount() != 3 {
			t.Errorf("CallCount = %d", s.CallCount())
		}
	})
}

func TestFaultServiceFilter(t *testing.T) {
	s := newServer(t, WithFault(Fault{Kind: FaultAccessDenied, Service: ServiceECRPublic, Times: 1}))
	if _, err := newECR(t, s, clientOpts{}).GetAuthorizationToken(ctxT(t), nil); err != nil {
		t.Fatalf("ecr should be unaffected: %v", err)
	}
	_, err := newPublic(t, s, clientOpts{}).GetAuthorizationToken(ctxT(t), nil)
	wantAPIError(t, err, "AccessDeniedException", 400)
	if _, err := newPublic(t, s, clientOpts{}).GetAuthorizationToken(ctxT(t), nil); err != nil {
		t.Fatalf("fault should be used up: %v", err)
	}
}

func TestSetFaultMidTest(t *testing.T) {
	s := newServer(t)
	c := newECR(t, s, clientOpts{})
	if _, err := c.GetAuthorizationToken(ctxT(t), nil); err != nil {
		t.Fatal(err)
	}
	s.SetFault(Fault{Kind: FaultExpiredToken})
	_, err := c.GetAuthorizationToken(ctxT(t), nil)
	wantAPIError(t, err, "ExpiredTokenException", 400)
	s.SetFault(Fault{Kind: FaultNone})
	if _, err := c.GetAuthorizationToken(ctxT(t), nil); err != nil {
		t.Fatal(err)
	}
}

func TestFaultKindText(t *testing.T) {
	for _, k := range append([]FaultKind{FaultNone}, FaultKinds()...) {
		b, err := k.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back FaultKind
		if err := back.UnmarshalText(b); err != nil || back != k {
			t.Errorf("%v round-trips to %v, %v", k, back, err)
		}
	}
	if _, err := ParseFaultKind("nope"); err == nil {
		t.Error("want error for unknown kind")
	}
	if k, _ := ParseFaultKind("Access-Denied"); k != FaultAccessDenied {
		t.Error("ParseFaultKind should be case-insensitive")
	}
}

// --- rate limiting ------------------------------------------------------------------

func TestRateLimit(t *testing.T) {
	clk := testenv.NewClock(t0) // frozen: the bucket only refills when we advance it
	s := newServer(t, WithClock(clk.Now), WithRateLimit(20, 5))
	c := newECR(t, s, clientOpts{})
	pc := newPublic(t, s, clientOpts{})
	ctx := ctxT(t)

	var ok, throttled int
	for i := 0; i < 8; i++ {
		var err error
		if i%2 == 0 {
			_, err = c.GetAuthorizationToken(ctx, nil)
		} else {
			_, err = pc.GetAuthorizationToken(ctx, nil) // the bucket is shared across services
		}
		switch {
		case err == nil:
			ok++
		default:
			wantAPIError(t, err, "ThrottlingException", 400)
			var ae smithy.APIError
			errors.As(err, &ae)
			if ae.ErrorMessage() != "Rate exceeded" {
				t.Errorf("message = %q", ae.ErrorMessage())
			}
			throttled++
		}
	}
	if ok != 5 || throttled != 3 || s.Throttled() != 3 || s.CallCount() != 8 {
		t.Fatalf("ok=%d throttled=%d Throttled()=%d CallCount()=%d", ok, throttled, s.Throttled(), s.CallCount())
	}

	clk.Advance(100 * time.Millisecond) // 2 tokens at 20/s
	for i := 0; i < 3; i++ {
		_, err := c.GetAuthorizationToken(ctx, nil)
		if (err == nil) != (i < 2) {
			t.Errorf("after refill, call %d: %v", i, err)
		}
	}
	if s.Throttled() != 4 {
		t.Errorf("Throttled() = %d, want 4", s.Throttled())
	}

	// The SDK's standard retryer backs off and retries a throttled call.
	clk.Advance(time.Hour) // refill to burst
	s.Reset()
	for i := 0; i < 5; i++ {
		if _, err := c.GetAuthorizationToken(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	rc := newECR(t, s, clientOpts{retryer: func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 3
			o.RateLimiter = ratelimit.None
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) {
				clk.Advance(time.Second) // "sleep" on the fake clock: the bucket refills
				return time.Millisecond, nil
			})
		})
	}})
	if _, err := rc.GetAuthorizationToken(ctx, nil); err != nil {
		t.Fatalf("retrying client: %v", err)
	}
	if calls := s.Calls(); s.Throttled() != 1 || len(calls) != 7 || calls[5].ErrorCode != "ThrottlingException" || calls[6].Status != 200 {
		t.Errorf("Throttled() = %d, calls = %+v", s.Throttled(), calls)
	}
}

func TestRateLimitConcurrent(t *testing.T) {
	const burst, callers = 10, 40
	s := newServer(t, WithRateLimit(0.001, burst)) // real clock, practically no refill
	c := newECR(t, s, clientOpts{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[string]int{}
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.GetAuthorizationToken(ctxT(t), nil)
			code := "ok"
			var ae smithy.APIError
			if errors.As(err, &ae) {
				code = ae.ErrorCode()
			} else if err != nil {
				code = err.Error()
			}
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes["ok"] != burst || codes["ThrottlingException"] != callers-burst || len(codes) != 2 {
		t.Errorf("outcomes = %v", codes)
	}
	if s.Throttled() != callers-burst || s.CallCount() != callers {
		t.Errorf("Throttled()=%d CallCount()=%d", s.Throttled(), s.CallCount())
	}
}

// --- admin API and standalone serving ---------------------------------------------

func getStats(t *testing.T, base string) Stats {
	t.Helper()
	r, err := http.Get(base + "/_fake/calls")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	if r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /_fake/calls: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	var st Stats
	if err := json.NewDecoder(r.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func post(t *testing.T, url, body string) *http.Response {
	t.Helper()
	r, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return r
}

// TestHandlerOnOwnListener serves a Fake the way e2e/fake-ecr does and
// exercises the admin API next to the AWS protocol.
func TestHandlerOnOwnListener(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := New(WithPassword(testPassword), WithRateLimit(0.001, 2))
	srv := &http.Server{Handler: f}
	go srv.Serve(ln)
	t.Cleanup(func() { f.Close(); srv.Close() })
	base := "http://" + ln.Addr().String()

	c := ecr.NewFromConfig(aws.Config{
		Region:       "eu-west-3",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDOWN", testSecret, ""),
		BaseEndpoint: aws.String(base),
		Retryer:      noRetry,
		HTTPClient:   &http.Client{Transport: &http.Transport{}},
	})

	if st := getStats(t, base); st.Calls != 0 || st.Throttled != 0 || len(st.Log) != 0 {
		t.Fatalf("initial stats %+v", st)
	}
	for i := 0; i < 3; i++ {
		c.GetAuthorizationToken(ctxT(t), nil)
	}
	st := getStats(t, base)
	if st.Calls != 3 || st.Throttled != 1 || len(st.Log) != 3 || st.Log[0].AccessKeyID != "AKIDOWN" || st.Log[0].Region != "eu-west-3" || st.Log[2].ErrorCode != "ThrottlingException" {
		t.Fatalf("stats %+v", st)
	}
	// The raw JSON has the documented shape.
	r, _ := http.Get(base + "/_fake/calls")
	var raw map[string]json.RawMessage
	json.NewDecoder(r.Body).Decode(&raw)
	r.Body.Close()
	if string(raw["calls"]) != "3" || string(raw["throttled"]) != "1" {
		t.Errorf("raw stats %v", raw)
	}

	// Admin requests are not AWS calls, and wrong methods are refused.
	for _, tc := range []struct{ method, path string }{
		{"POST", "/_fake/calls"}, {"GET", "/_fake/reset"}, {"GET", "/_fake/fault"},
	} {
		req, _ := http.NewRequest(tc.method, base+tc.path, nil)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s %s = %d", tc.method, tc.path, r.StatusCode)
		}
	}
	if r := post(t, base+"/_fake/nope", "{}"); r.StatusCode != 404 {
		t.Errorf("unknown admin path = %d", r.StatusCode)
	}

	if r := post(t, base+"/_fake/reset", ""); r.StatusCode != 200 {
		t.Fatalf("reset = %d", r.StatusCode)
	}
	if st := getStats(t, base); st.Calls != 0 || st.Throttled != 0 {
		t.Fatalf("after reset %+v", st)
	}
	// Reset refilled the bucket.
	if _, err := c.GetAuthorizationToken(ctxT(t), nil); err != nil {
		t.Fatalf("after reset: %v", err)
	}

	// Faults can be injected over HTTP.
	if r := post(t, base+"/_fake/fault", `{"kind":"bogus"}`); r.StatusCode != 400 {
		t.Errorf("bogus fault = %d", r.StatusCode)
	}
	if r := post(t, base+"/_fake/fault", `{"kind":"access-denied","times":1}`); r.StatusCode != 200 {
		t.Fatalf("fault = %d", r.StatusCode)
	}
	_, err = c.GetAuthorizationToken(ctxT(t), nil)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("after fault injection: %v", err)
	}
	if r := post(t, base+"/_fake/fault", `{"kind":"stall","duration":"10ms"}`); r.StatusCode != 200 {
		t.Fatalf("stall fault = %d", r.StatusCode)
	}
	f.SetFault(Fault{})
	f.Reset()
	if _, err := c.GetAuthorizationToken(ctxT(t), nil); err != nil {
		t.Fatal(err)
	}
	if st := getStats(t, base); st.Calls != 1 || st.Log[0].Status != 200 {
		t.Errorf("final stats %+v", st)
	}
}

func TestAdminOnServer(t *testing.T) {
	s := newServer(t)
	c := newECR(t, s, clientOpts{})
	c.GetAuthorizationToken(ctxT(t), nil)
	if st := getStats(t, s.URL()); st.Calls != 1 {
		t.Errorf("stats %+v", st)
	}
	post(t, s.URL()+"/_fake/reset", "")
	if s.CallCount() != 0 {
		t.Error("reset via HTTP did not reset the Server")
	}
	// The AWS protocol is still served on POST / after admin traffic.
	var buf bytes.Buffer
	buf.WriteString("{}")
	if resp, body := rawPost(t, s.URL()+"/", TargetECR, validAuth, buf.String()); resp.StatusCode != 200 {
		t.Errorf("POST / = %d %s", resp.StatusCode, body)
	}
}

func TestOnCallHook(t *testing.T) {
	var mu sync.Mutex
	var seen []Call
	s := newServer(t, WithOnCall(func(c Call) { mu.Lock(); seen = append(seen, c); mu.Unlock() }))
	newECR(t, s, clientOpts{}).GetAuthorizationToken(ctxT(t), nil)
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0].AccessKeyID != testAKID {
		t.Errorf("hook saw %+v", seen)
	}
}
