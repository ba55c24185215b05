package ecrtest

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/internal/testenv"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

const (
	testRole      = "arn:aws:iam::999988887777:role/path/to/deployer"
	testRoleName  = "deployer"
	testRoleAcct  = "999988887777"
	testSourceKey = "AKIDSOURCE00000001"
)

func newSTS(t *testing.T, s *Server, o clientOpts) *sts.Client {
	return sts.NewFromConfig(awsConfig(t, s, o))
}

// assume calls AssumeRole through the real client and fails the test on error.
func assume(t *testing.T, c *sts.Client, in *sts.AssumeRoleInput) *sts.AssumeRoleOutput {
	t.Helper()
	out, err := c.AssumeRole(ctxT(t), in)
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	return out
}

// withCreds is o signed with the temporary credentials c.
func withCreds(o clientOpts, c *ststypes.Credentials) clientOpts {
	o.akid, o.session = aws.ToString(c.AccessKeyId), aws.ToString(c.SessionToken)
	return o
}

var idPattern = regexp.MustCompile(`^[A-Z2-7]+$`)

func TestSTSGetCallerIdentityUser(t *testing.T) {
	s := newServer(t, WithAccountID("210987654321"))
	out, err := newSTS(t, s, clientOpts{region: "eu-west-2"}).GetCallerIdentity(ctxT(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(out.Arn), "arn:aws:iam::210987654321:user/"+testAKID; got != want {
		t.Errorf("Arn = %q, want %q", got, want)
	}
	if aws.ToString(out.Account) != "210987654321" || !strings.HasPrefix(aws.ToString(out.UserId), "AIDA") || len(aws.ToString(out.UserId)) != 21 {
		t.Errorf("Account %q UserId %q", aws.ToString(out.Account), aws.ToString(out.UserId))
	}
	cs := s.STSCalls()
	if len(cs) != 1 || cs[0].Action != ActionGetCallerIdentity || cs[0].AccessKeyID != testAKID || cs[0].Region != "eu-west-2" ||
		cs[0].Status != 200 || cs[0].CallerRole != "" || cs[0].SessionToken {
		t.Errorf("STS calls = %+v", cs)
	}
	if s.CallCount() != 0 {
		t.Errorf("an STS call was recorded as an ECR call: %+v", s.Calls())
	}
	// China partition, and a key id with characters IAM does not allow.
	out, err = newSTS(t, s, clientOpts{region: "cn-north-1", akid: "AKID:odd*chars#1"}).GetCallerIdentity(ctxT(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Arn); got != "arn:aws-cn:iam::210987654321:user/AKID-odd-chars-1" || got != "arn:aws-cn:iam::210987654321:user/"+UserName("AKID:odd*chars#1") {
		t.Errorf("Arn = %q", got)
	}
}

func TestSTSAssumeRole(t *testing.T) {
	clk := testenv.NewClock(t0)
	s := newServer(t, WithClock(clk.Now), WithPassword(testPassword))
	c := newSTS(t, s, clientOpts{akid: testSourceKey})

	out := assume(t, c, &sts.AssumeRoleInput{RoleArn: aws.String(testRole), RoleSessionName: aws.String("ci-job-42"), DurationSeconds: aws.Int32(1800)})
	cr := out.Credentials
	akid := aws.ToString(cr.AccessKeyId)
	if !strings.HasPrefix(akid, "ASIA") || len(akid) != 20 || !idPattern.MatchString(akid) {
		t.Errorf("AccessKeyId = %q", akid)
	}
	if len(aws.ToString(cr.SecretAccessKey)) != 40 || aws.ToString(cr.SessionToken) == "" {
		t.Errorf("secret %q token %q", aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))
	}
	if want := t0.Add(30 * time.Minute).Truncate(time.Second); !aws.ToTime(cr.Expiration).Equal(want) {
		t.Errorf("Expiration = %v, want %v", aws.ToTime(cr.Expiration), want)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::"+testRoleAcct+":assumed-role/"+testRoleName+"/ci-job-42" {
		t.Errorf("AssumedRoleUser.Arn = %q", got)
	}
	roleID, sessName, _ := strings.Cut(aws.ToString(out.AssumedRoleUser.AssumedRoleId), ":")
	if !strings.HasPrefix(roleID, "AROA") || len(roleID) != 21 || sessName != "ci-job-42" {
		t.Errorf("AssumedRoleId = %q", aws.ToString(out.AssumedRoleUser.AssumedRoleId))
	}
	if s.AssumedRole(akid) != testRole || s.AssumedRole(testSourceKey) != "" {
		t.Errorf("AssumedRole(%s) = %q", akid, s.AssumedRole(akid))
	}

	// The issued credentials identify as the assumed role...
	tc := newSTS(t, s, withCreds(clientOpts{}, cr))
	id, err := tc.GetCallerIdentity(ctxT(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Arn) != aws.ToString(out.AssumedRoleUser.Arn) || aws.ToString(id.Account) != testRoleAcct ||
		aws.ToString(id.UserId) != aws.ToString(out.AssumedRoleUser.AssumedRoleId) {
		t.Errorf("caller identity %q %q %q", aws.ToString(id.Arn), aws.ToString(id.Account), aws.ToString(id.UserId))
	}
	// ...and ECR sees them as that role.
	if _, err := newECR(t, s, withCreds(clientOpts{region: "ap-northeast-1"}, cr)).GetAuthorizationToken(ctxT(t), nil); err != nil {
		t.Fatal(err)
	}
	calls := s.Calls()
	if len(calls) != 1 || calls[0].AccessKeyID != akid || calls[0].AssumedRole != testRole || !calls[0].SessionToken || calls[0].Status != 200 {
		t.Errorf("ECR calls = %+v", calls)
	}
	// A static key is not an assumed role.
	newECR(t, s, clientOpts{}).GetAuthorizationToken(ctxT(t), nil)
	if calls := s.Calls(); len(calls) != 2 || calls[1].AssumedRole != "" {
		t.Errorf("ECR calls = %+v", calls)
	}

	sc := s.STSCalls()
	if len(sc) != 2 {
		t.Fatalf("STS calls = %+v", sc)
	}
	if a := sc[0]; a.Action != ActionAssumeRole || a.AccessKeyID != testSourceKey || a.RoleArn != testRole || a.RoleSessionName != "ci-job-42" ||
		a.DurationSeconds != 1800 || a.IssuedAccessKeyID != akid || a.Status != 200 || a.ExternalID != "" || a.SerialNumber != "" {
		t.Errorf("AssumeRole call = %+v", a)
	}
	if g := sc[1]; g.Action != ActionGetCallerIdentity || g.AccessKeyID != akid || g.CallerRole != testRole || !g.SessionToken {
		t.Errorf("GetCallerIdentity call = %+v", g)
	}

	// Without DurationSeconds the session lasts an hour; every AssumeRole
	// issues new keys.
	out2 := assume(t, c, &sts.AssumeRoleInput{RoleArn: aws.String(testRole), RoleSessionName: aws.String("ci-job-42")})
	if want := t0.Add(time.Hour).Truncate(time.Second); !aws.ToTime(out2.Credentials.Expiration).Equal(want) {
		t.Errorf("default Expiration = %v, want %v", aws.ToTime(out2.Credentials.Expiration), want)
	}
	if aws.ToString(out2.Credentials.AccessKeyId) == akid || aws.ToString(out2.Credentials.SessionToken) == aws.ToString(cr.SessionToken) {
		t.Error("a second AssumeRole returned the same credentials")
	}

	// Deterministic: another fake answering the same sequence issues the same keys.
	s2 := newServer(t, WithClock(clk.Now))
	again := assume(t, newSTS(t, s2, clientOpts{akid: testSourceKey}),
		&sts.AssumeRoleInput{RoleArn: aws.String(testRole), RoleSessionName: aws.String("ci-job-42"), DurationSeconds: aws.Int32(1800)})
	if aws.ToString(again.Credentials.AccessKeyId) != akid || aws.ToString(again.Credentials.SecretAccessKey) != aws.ToString(cr.SecretAccessKey) {
		t.Errorf("not deterministic: %q vs %q", aws.ToString(again.Credentials.AccessKeyId), akid)
	}
}

func TestSTSTemporaryCredentialChecks(t *testing.T) {
	clk := testenv.NewClock(t0)
	s := newServer(t, WithClock(clk.Now))
	out := assume(t, newSTS(t, s, clientOpts{}), &sts.AssumeRoleInput{RoleArn: aws.String(testRole), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(900)})
	cr := out.Credentials

	// Wrong or missing session token.
	bad := clientOpts{akid: aws.ToString(cr.AccessKeyId), session: "not-the-token"}
	_, err := newECR(t, s, bad).GetAuthorizationToken(ctxT(t), nil)
	wantAPIError(t, err, "UnrecognizedClientException", 400)
	_, err = newSTS(t, s, clientOpts{akid: aws.ToString(cr.AccessKeyId)}).GetCallerIdentity(ctxT(t), nil)
	wantAPIError(t, err, "InvalidClientTokenId", 403)

	// Expired: the fake's clock passes Expiration.
	clk.Advance(15 * time.Minute)
	_, err = newECR(t, s, withCreds(clientOpts{}, cr)).GetAuthorizationToken(ctxT(t), nil)
	wantAPIError(t, err, "ExpiredTokenException", 400)
	_, err = newSTS(t, s, withCreds(clientOpts{}, cr)).GetCallerIdentity(ctxT(t), nil)
	wantAPIError(t, err, "ExpiredToken", 400)

	ec := s.Calls()
	if len(ec) != 2 || ec[0].ErrorCode != "UnrecognizedClientException" || ec[1].ErrorCode != "ExpiredTokenException" || ec[1].AssumedRole != testRole {
		t.Errorf("ECR calls = %+v", ec)
	}
}

func TestSTSRoleChaining(t *testing.T) {
	s := newServer(t)
	first := assume(t, newSTS(t, s, clientOpts{}), &sts.AssumeRoleInput{RoleArn: aws.String(testRole), RoleSessionName: aws.String("hop1")})
	c := newSTS(t, s, withCreds(clientOpts{}, first.Credentials))
	const second = "arn:aws:iam::111122223333:role/reader"
	_, err := c.AssumeRole(ctxT(t), &sts.AssumeRoleInput{RoleArn: aws.String(second), RoleSessionName: aws.String("hop2"), DurationSeconds: aws.Int32(7200)})
	wantAPIError(t, err, "ValidationError", 400)
	out := assume(t, c, &sts.AssumeRoleInput{RoleArn: aws.String(second), RoleSessionName: aws.String("hop2")})
	if aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::111122223333:assumed-role/reader/hop2" {
		t.Errorf("chained Arn = %q", aws.ToString(out.AssumedRoleUser.Arn))
	}
	sc := s.STSCalls()
	if len(sc) != 3 || sc[2].CallerRole != testRole || sc[2].AccessKeyID != aws.ToString(first.Credentials.AccessKeyId) {
		t.Errorf("STS calls = %+v", sc)
	}
}

func TestSTSValidation(t *testing.T) {
	s := newServer(t)
	c := newSTS(t, s, clientOpts{})
	for name, in := range map[string]*sts.AssumeRoleInput{
		"not a role arn":   {RoleArn: aws.String("arn:aws:iam::123456789012:user/bob"), RoleSessionName: aws.String("ok")},
		"short account":    {RoleArn: aws.String("arn:aws:iam::1234:role/r"), RoleSessionName: aws.String("ok")},
		"session name":     {RoleArn: aws.String(testRole), RoleSessionName: aws.String("has space")},
		"duration too low": {RoleArn: aws.String(testRole), RoleSessionName: aws.String("ok"), DurationSeconds: aws.Int32(899)},
		"duration too high": {RoleArn: aws.String(testRole), RoleSessionName: aws.String("ok"),
			DurationSeconds: aws.Int32(43201)},
	} {
		_, err := c.AssumeRole(ctxT(t), in)
		if err == nil {
			t.Errorf("%s: AssumeRole succeeded", name)
			continue
		}
		wantAPIError(t, err, "ValidationError", 400)
	}
	if n := s.STSCallCount(); n != 5 {
		t.Errorf("STSCallCount = %d", n)
	}
}

func TestSTSRequireExternalIDAndMFA(t *testing.T) {
	const (
		xRole   = "arn:aws:iam::999988887777:role/partner"
		mRole   = "arn:aws:iam::999988887777:role/admin"
		serial  = "arn:aws:iam::123456789012:mfa/alice"
		xID     = "ext-7f3a"
		mfaCode = "123456"
	)
	s := newServer(t, WithRequireExternalID(xRole, xID), WithRequireMFA(mRole, serial, mfaCode))
	c := newSTS(t, s, clientOpts{})
	try := func(in sts.AssumeRoleInput) error {
		in.RoleSessionName = aws.String("test")
		_, err := c.AssumeRole(ctxT(t), &in)
		return err
	}
	for name, in := range map[string]sts.AssumeRoleInput{
		"external id missing":  {RoleArn: aws.String(xRole)},
		"external id wrong":    {RoleArn: aws.String(xRole), ExternalId: aws.String("ext-0000")},
		"mfa missing":          {RoleArn: aws.String(mRole)},
		"mfa code missing":     {RoleArn: aws.String(mRole), SerialNumber: aws.String(serial)},
		"mfa code wrong":       {RoleArn: aws.String(mRole), SerialNumber: aws.String(serial), TokenCode: aws.String("654321")},
		"mfa serial wrong":     {RoleArn: aws.String(mRole), SerialNumber: aws.String(serial + "x"), TokenCode: aws.String(mfaCode)},
		"mfa for another role": {RoleArn: aws.String(mRole), ExternalId: aws.String(xID)},
	} {
		err := try(in)
		if err == nil {
			t.Errorf("%s: AssumeRole succeeded", name)
			continue
		}
		wantAPIError(t, err, "AccessDenied", 403)
	}
	if err := try(sts.AssumeRoleInput{RoleArn: aws.String(xRole), ExternalId: aws.String(xID)}); err != nil {
		t.Errorf("right external id: %v", err)
	}
	if err := try(sts.AssumeRoleInput{RoleArn: aws.String(mRole), SerialNumber: aws.String(serial), TokenCode: aws.String(mfaCode)}); err != nil {
		t.Errorf("right MFA: %v", err)
	}
	// Roles without requirements accept any parameters.
	if err := try(sts.AssumeRoleInput{RoleArn: aws.String(testRole), ExternalId: aws.String("anything")}); err != nil {
		t.Errorf("unconstrained role: %v", err)
	}
	sc := s.STSCalls()
	last := sc[len(sc)-2]
	if last.SerialNumber != serial || last.TokenCode != mfaCode || last.Status != 200 {
		t.Errorf("MFA call = %+v", last)
	}
	denied := 0
	for _, c := range sc {
		if c.ErrorCode == "AccessDenied" && c.Status == 403 {
			denied++
		}
	}
	if denied != 7 {
		t.Errorf("%d AccessDenied calls recorded, want 7", denied)
	}
}

func TestSTSFaults(t *testing.T) {
	// A fault without Service leaves STS alone.
	s := newServer(t, WithFault(Fault{Kind: FaultAccessDenied}))
	if _, err := newSTS(t, s, clientOpts{}).GetCallerIdentity(ctxT(t), nil); err != nil {
		t.Fatalf("STS should ignore a fault meant for ECR: %v", err)
	}
	for _, tc := range []struct {
		kind   FaultKind
		code   string
		status int
	}{
		{FaultAccessDenied, "AccessDenied", 403},
		{FaultThrottling, "Throttling", 400},
		{FaultExpiredToken, "ExpiredToken", 400},
		{FaultUnrecognizedClient, "InvalidClientTokenId", 403},
		{FaultInvalidSignature, "SignatureDoesNotMatch", 403},
		{FaultServerError, "InternalFailure", 500},
	} {
		s.SetFault(Fault{Kind: tc.kind, Service: ServiceSTS, Times: 1})
		_, err := newSTS(t, s, clientOpts{}).GetCallerIdentity(ctxT(t), nil)
		wantAPIError(t, err, tc.code, tc.status)
		// ECR is unaffected, and the fault was used up.
		if _, err := newECR(t, s, clientOpts{}).GetAuthorizationToken(ctxT(t), nil); err != nil {
			t.Errorf("%v: ECR failed: %v", tc.kind, err)
		}
		if _, err := newSTS(t, s, clientOpts{}).GetCallerIdentity(ctxT(t), nil); err != nil {
			t.Errorf("%v: fault not used up: %v", tc.kind, err)
		}
	}
	s.SetFault(Fault{Kind: FaultAccessDenied, Service: ServiceSTS, Message: "custom words"})
	_, err := newSTS(t, s, clientOpts{}).GetCallerIdentity(ctxT(t), nil)
	if err == nil || !strings.Contains(err.Error(), "custom words") {
		t.Errorf("message override: %v", err)
	}

	s.SetFault(Fault{Kind: FaultMalformedJSON, Service: ServiceSTS})
	if _, err := newSTS(t, s, clientOpts{}).GetCallerIdentity(ctxT(t), nil); err == nil || !strings.Contains(err.Error(), "deserializ") && !strings.Contains(err.Error(), "decode") {
		t.Errorf("truncated XML: %v", err)
	}

	clk := testenv.NewClock(t0)
	s = newServer(t, WithClock(clk.Now), WithFault(Fault{Kind: FaultExpiredAuth, Service: ServiceSTS}))
	out := assume(t, newSTS(t, s, clientOpts{}), &sts.AssumeRoleInput{RoleArn: aws.String(testRole), RoleSessionName: aws.String("old")})
	if want := t0.Add(-time.Hour).Truncate(time.Second); !aws.ToTime(out.Credentials.Expiration).Equal(want) {
		t.Errorf("Expiration = %v, want %v", aws.ToTime(out.Credentials.Expiration), want)
	}
	s.SetFault(Fault{})
	_, err = newECR(t, s, withCreds(clientOpts{}, out.Credentials)).GetAuthorizationToken(ctxT(t), nil)
	wantAPIError(t, err, "ExpiredTokenException", 400)
}

// --- the wire format, without the SDK ------------------------------------------------

const stsAuth = "AWS4-HMAC-SHA256 Credential=AKIDRAW/20240530/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0123456789abcdef"

func rawForm(t *testing.T, url, contentType, auth, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
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
	return resp, string(b)
}

func TestSTSWireFormat(t *testing.T) {
	clk := testenv.NewClock(t0)
	s := newServer(t, WithClock(clk.Now))
	const form = FormContentType + "; charset=utf-8"

	resp, body := rawForm(t, s.URL()+"/", form, stsAuth, "Action=GetCallerIdentity&Version=2011-06-15")
	reqID := resp.Header.Get("X-Amzn-RequestId")
	want := `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
		`<Arn>arn:aws:iam::123456789012:user/AKIDRAW</Arn><UserId>AIDA` + idChars("user/AKIDRAW", 17) + `</UserId><Account>123456789012</Account>` +
		`</GetCallerIdentityResult><ResponseMetadata><RequestId>` + reqID + `</RequestId></ResponseMetadata></GetCallerIdentityResponse>`
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/xml" || body != want {
		t.Errorf("GetCallerIdentity: %d %s\n got %s\nwant %s", resp.StatusCode, resp.Header.Get("Content-Type"), body, want)
	}

	v := url.Values{"Action": {"AssumeRole"}, "Version": {STSVersion}, "RoleArn": {testRole}, "RoleSessionName": {"raw"}, "DurationSeconds": {"900"}}
	resp, body = rawForm(t, s.URL()+"/", form, stsAuth, v.Encode())
	var ar struct {
		XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleResponse"`
		Result  struct {
			Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }
			User        struct{ Arn, AssumedRoleId string } `xml:"AssumedRoleUser"`
		} `xml:"AssumeRoleResult"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal([]byte(body), &ar); err != nil || resp.StatusCode != 200 {
		t.Fatalf("AssumeRole: %d %v %s", resp.StatusCode, err, body)
	}
	if ar.Result.Credentials.Expiration != "2024-05-30T01:17:03Z" || ar.Result.User.Arn != "arn:aws:sts::999988887777:assumed-role/deployer/raw" ||
		ar.RequestID != resp.Header.Get("X-Amzn-RequestId") {
		t.Errorf("AssumeRole result %+v", ar)
	}

	// Errors: <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>.
	resp, body = rawForm(t, s.URL()+"/", form, stsAuth, "Action=AssumeRole&Version=2011-06-15&RoleArn=nope&RoleSessionName=x1")
	var er struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Error   struct{ Type, Code, Message string }
		ReqID   string `xml:"RequestId"`
	}
	if err := xml.Unmarshal([]byte(body), &er); err != nil || resp.StatusCode != 400 || er.Error.Type != "Sender" ||
		er.Error.Code != "ValidationError" || er.Error.Message == "" || er.ReqID == "" || resp.Header.Get("Content-Type") != "text/xml" {
		t.Errorf("error answer: %d %v %s", resp.StatusCode, err, body)
	}
	resp, body = rawForm(t, s.URL()+"/", form, stsAuth, "Action=GetSessionToken&Version=2011-06-15")
	if resp.StatusCode != 400 || !strings.Contains(body, "<Code>InvalidAction</Code>") {
		t.Errorf("unknown action: %d %s", resp.StatusCode, body)
	}
	resp, body = rawForm(t, s.URL()+"/", form, stsAuth, "Action=GetCallerIdentity&Version=2010-01-01")
	if resp.StatusCode != 400 || !strings.Contains(body, "<Code>InvalidAction</Code>") {
		t.Errorf("wrong version: %d %s", resp.StatusCode, body)
	}
	// Dispatch by SigV4 service alone, whatever the content type says.
	resp, body = rawForm(t, s.URL()+"/", "", stsAuth, "Action=GetCallerIdentity&Version=2011-06-15")
	if resp.StatusCode != 200 || !strings.Contains(body, "<GetCallerIdentityResult>") {
		t.Errorf("sts scope without content type: %d %s", resp.StatusCode, body)
	}
	// Unsigned: refused, not recorded.
	resp, body = rawForm(t, s.URL()+"/", form, "", "Action=GetCallerIdentity&Version=2011-06-15")
	if resp.StatusCode != 403 || !strings.Contains(body, "<Code>MissingAuthenticationToken</Code>") {
		t.Errorf("unsigned: %d %s", resp.StatusCode, body)
	}
	sc := s.STSCalls()
	if len(sc) != 6 || sc[0].AccessKeyID != "AKIDRAW" || sc[0].Region != "us-east-1" || sc[2].ErrorCode != "ValidationError" ||
		sc[3].Action != "GetSessionToken" || sc[4].ErrorCode != "InvalidAction" || sc[5].Status != 200 {
		t.Errorf("STS calls = %+v", sc)
	}
	if s.CallCount() != 0 {
		t.Errorf("ECR calls = %+v", s.Calls())
	}
}

func TestSTSAdmin(t *testing.T) {
	s := newServer(t)
	out := assume(t, newSTS(t, s, clientOpts{}), &sts.AssumeRoleInput{RoleArn: aws.String(testRole), RoleSessionName: aws.String("adm")})
	newECR(t, s, withCreds(clientOpts{}, out.Credentials)).GetAuthorizationToken(ctxT(t), nil)

	r, err := http.Get(s.URL() + "/_fake/calls")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	json.NewDecoder(r.Body).Decode(&raw)
	r.Body.Close()
	if string(raw["sts_calls"]) != "1" || string(raw["calls"]) != "1" {
		t.Errorf("raw stats: sts_calls=%s calls=%s", raw["sts_calls"], raw["calls"])
	}
	st := getStats(t, s.URL())
	if len(st.STSLog) != 1 || st.STSLog[0].RoleArn != testRole || st.Log[0].AssumedRole != testRole {
		t.Errorf("stats %+v", st)
	}

	// Reset clears both logs but the issued credentials stay valid.
	post(t, s.URL()+"/_fake/reset", "")
	if st := getStats(t, s.URL()); st.STSCalls != 0 || st.Calls != 0 || st.STSLog == nil {
		t.Errorf("after reset %+v", st)
	}
	if _, err := newECR(t, s, withCreds(clientOpts{}, out.Credentials)).GetAuthorizationToken(ctxT(t), nil); err != nil {
		t.Errorf("issued credentials after reset: %v", err)
	}
	if c := s.Calls(); len(c) != 1 || c[0].AssumedRole != testRole {
		t.Errorf("calls after reset %+v", c)
	}
}

// --- through the SDK's shared config, as the helper loads it -------------------------

// profileEnv isolates the SDK from the machine's AWS setup: config files in a
// temp dir, both endpoints at the fake, no instance metadata.
func profileEnv(t *testing.T, s *Server, cfgFile, credFile, profile string) {
	t.Helper()
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_ENDPOINT_URL", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_DEFAULT_PROFILE",
		"AWS_CA_BUNDLE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", write("config", cfgFile))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", write("credentials", credFile))
	t.Setenv("AWS_PROFILE", profile)
	t.Setenv("AWS_ENDPOINT_URL_STS", s.URL())
	t.Setenv("AWS_ENDPOINT_URL_ECR", s.URL())
}

func loadConfig(t *testing.T, s *Server, opts ...func(*awsconfig.LoadOptions) error) aws.Config {
	t.Helper()
	cfg, err := awsconfig.LoadDefaultConfig(ctxT(t), append([]func(*awsconfig.LoadOptions) error{awsconfig.WithHTTPClient(s.Client())}, opts...)...)
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	return cfg
}

func TestSharedConfigAssumeRole(t *testing.T) {
	s := newServer(t, WithPassword(testPassword))
	profileEnv(t, s, `
[profile base]
region = eu-west-1

[profile deploy]
role_arn = `+testRole+`
source_profile = base
role_session_name = ecr-login-test
duration_seconds = 1800
region = eu-west-1
`, `
[base]
aws_access_key_id = `+testSourceKey+`
aws_secret_access_key = `+testSecret+`
`, "deploy")

	cfg := loadConfig(t, s)
	creds, err := cfg.Credentials.Retrieve(ctxT(t))
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if !strings.HasPrefix(creds.AccessKeyID, "ASIA") || creds.SessionToken == "" || !creds.CanExpire {
		t.Errorf("credentials %q (token %v, expires %v)", creds.AccessKeyID, creds.SessionToken != "", creds.CanExpire)
	}
	if s.AssumedRole(creds.AccessKeyID) != testRole {
		t.Errorf("the fake did not issue %s", creds.AccessKeyID)
	}

	out, err := ecr.NewFromConfig(cfg, func(o *ecr.Options) { o.Region = "us-west-2" }).GetAuthorizationToken(ctxT(t), nil)
	if err != nil {
		t.Fatalf("GetAuthorizationToken: %v", err)
	}
	if got := decodeToken(t, out.AuthorizationData[0].AuthorizationToken); got != "AWS:"+testPassword {
		t.Errorf("token = %q", got)
	}
	calls := s.Calls()
	if len(calls) != 1 || calls[0].AccessKeyID != creds.AccessKeyID || calls[0].AssumedRole != testRole || calls[0].Region != "us-west-2" || !calls[0].SessionToken {
		t.Errorf("ECR calls = %+v", calls)
	}
	sc := s.STSCalls()
	if len(sc) != 1 || sc[0].Action != ActionAssumeRole || sc[0].AccessKeyID != testSourceKey || sc[0].RoleArn != testRole ||
		sc[0].RoleSessionName != "ecr-login-test" || sc[0].DurationSeconds != 1800 || sc[0].Region != "eu-west-1" || sc[0].SessionToken {
		t.Errorf("STS calls = %+v", sc)
	}

	// The same credentials through the SDK's STS client.
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctxT(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Arn) != "arn:aws:sts::"+testRoleAcct+":assumed-role/"+testRoleName+"/ecr-login-test" {
		t.Errorf("GetCallerIdentity Arn = %q", aws.ToString(id.Arn))
	}
}

func TestSharedConfigExternalIDAndMFA(t *testing.T) {
	const (
		serial = "arn:aws:iam::123456789012:mfa/alice"
		code   = "424242"
		xID    = "partner-ext-1"
	)
	s := newServer(t, WithRequireExternalID(testRole, xID), WithRequireMFA(testRole, serial, code))
	profileEnv(t, s, `
[profile base]
region = us-east-1

[profile guarded]
role_arn = `+testRole+`
source_profile = base
external_id = `+xID+`
mfa_serial = `+serial+`
region = us-east-1

[profile no-external-id]
role_arn = `+testRole+`
source_profile = base
mfa_serial = `+serial+`
region = us-east-1
`, `
[base]
aws_access_key_id = `+testSourceKey+`
aws_secret_access_key = `+testSecret+`
`, "guarded")

	tokens := 0
	withToken := func(c string) func(*awsconfig.LoadOptions) error {
		return awsconfig.WithAssumeRoleCredentialOptions(func(o *stscreds.AssumeRoleOptions) {
			o.TokenProvider = func() (string, error) { tokens++; return c, nil }
		})
	}

	// Right external id and MFA code.
	cfg := loadConfig(t, s, withToken(code))
	creds, err := cfg.Credentials.Retrieve(ctxT(t))
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if tokens != 1 || s.AssumedRole(creds.AccessKeyID) != testRole {
		t.Errorf("tokens asked %d, key %s", tokens, creds.AccessKeyID)
	}
	if _, err := ecr.NewFromConfig(cfg).GetAuthorizationToken(ctxT(t), nil); err != nil {
		t.Fatal(err)
	}
	if c := s.Calls(); len(c) != 1 || c[0].AssumedRole != testRole {
		t.Errorf("ECR calls = %+v", c)
	}
	sc := s.STSCalls()
	if len(sc) != 1 || sc[0].ExternalID != xID || sc[0].SerialNumber != serial || sc[0].TokenCode != code || sc[0].Status != 200 {
		t.Errorf("STS calls = %+v", sc)
	}

	// A wrong code is refused.
	_, err = loadConfig(t, s, withToken("000000")).Credentials.Retrieve(ctxT(t))
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") || !strings.Contains(err.Error(), "MultiFactorAuthentication failed") {
		t.Errorf("wrong MFA code: %v", err)
	}

	// A profile without the external id is refused.
	t.Setenv("AWS_PROFILE", "no-external-id")
	_, err = loadConfig(t, s, withToken(code)).Credentials.Retrieve(ctxT(t))
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") || !strings.Contains(err.Error(), "not authorized to perform: sts:AssumeRole") {
		t.Errorf("missing external id: %v", err)
	}
	sc = s.STSCalls()
	if len(sc) != 3 || sc[1].ErrorCode != "AccessDenied" || sc[2].ErrorCode != "AccessDenied" || sc[2].ExternalID != "" {
		t.Errorf("STS calls = %+v", sc)
	}
}
