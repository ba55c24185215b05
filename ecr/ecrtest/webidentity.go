package ecrtest

// AssumeRoleWithWebIdentity, as STS answers it for an OIDC identity provider
// such as a Kubernetes cluster's service-account issuer.
//
// The call is not signed: the web identity token is the credential. The
// fake reads the token's claims without checking its signature (a test has
// no issuer keys) and decides like an IAM trust policy with conditions on
// "<issuer>:aud" = sts.amazonaws.com and "<issuer>:sub" in a per-role list:
//
//	unreadable token or claims      -> 400 InvalidIdentityToken
//	aud lacks sts.amazonaws.com     -> 400 InvalidIdentityToken (Incorrect token audience)
//	exp in the past (fake's clock)  -> 400 ExpiredTokenException
//	role or sub not trusted         -> 403 AccessDenied
//
// Issued credentials are remembered like AssumeRole's, so ECR calls signed
// with them carry Call.AssumedRole; WithPasswordFunc can then answer each
// role with its own password, and a mix-up shows in the password.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ActionAssumeRoleWithWebIdentity is the STS action for OIDC tokens.
const ActionAssumeRoleWithWebIdentity = "AssumeRoleWithWebIdentity"

// WebIdentityAudience is the audience STS requires in the token.
const WebIdentityAudience = "sts.amazonaws.com"

// WithWebIdentityTrust lets the service-account subjects (the token's sub
// claim, e.g. "system:serviceaccount:NS:NAME") assume roleArn with
// AssumeRoleWithWebIdentity. Roles without a trust list refuse everyone.
func WithWebIdentityTrust(roleArn string, subjects ...string) Option {
	return func(c *config) {
		if c.sts.webTrust == nil {
			c.sts.webTrust = map[string]map[string]bool{}
		}
		if c.sts.webTrust[roleArn] == nil {
			c.sts.webTrust[roleArn] = map[string]bool{}
		}
		for _, s := range subjects {
			c.sts.webTrust[roleArn][s] = true
		}
	}
}

// webIdentityClaims are the claims the fake reads from a token.
type webIdentityClaims struct {
	Iss string          `json:"iss"`
	Sub string          `json:"sub"`
	Aud json.RawMessage `json:"aud"`
	Exp *int64          `json:"exp"`
}

func (c webIdentityClaims) audiences() []string {
	var one string
	if json.Unmarshal(c.Aud, &one) == nil {
		return []string{one}
	}
	var many []string
	json.Unmarshal(c.Aud, &many)
	return many
}

// readClaims decodes the payload of a compact JWS without verifying it.
func readClaims(token string) (webIdentityClaims, bool) {
	var c webIdentityClaims
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(raw, &c) != nil || c.Iss == "" || c.Sub == "" || c.Exp == nil {
		return c, false
	}
	return c, true
}

type assumeRoleWithWebIdentityResponse struct {
	XMLName  struct{}                        `xml:"AssumeRoleWithWebIdentityResponse"`
	Xmlns    string                          `xml:"xmlns,attr"`
	Result   assumeRoleWithWebIdentityResult `xml:"AssumeRoleWithWebIdentityResult"`
	Metadata responseMetadata                `xml:"ResponseMetadata"`
}

type assumeRoleWithWebIdentityResult struct {
	assumeRoleResult
	SubjectFromWebIdentityToken string `xml:"SubjectFromWebIdentityToken"`
	Audience                    string `xml:"Audience"`
	Provider                    string `xml:"Provider"`
}

// serveWebIdentity answers an (unsigned) AssumeRoleWithWebIdentity call.
func (f *Fake) serveWebIdentity(w http.ResponseWriter, r *http.Request, reqID string, form url.Values) {
	call := STSCall{
		Action:          ActionAssumeRoleWithWebIdentity,
		RoleArn:         form.Get("RoleArn"),
		RoleSessionName: form.Get("RoleSessionName"),
		UserAgent:       r.UserAgent(),
		Time:            f.cfg.clock(),
	}
	if cred, ok := ParseSigV4Authorization(r.Header.Get("Authorization")); ok {
		call.AccessKeyID, call.Region = cred.AccessKeyID, cred.Region
	}
	if d := form.Get("DurationSeconds"); d != "" {
		fmt.Sscan(d, &call.DurationSeconds)
	}
	fail := func(e *stsError) {
		call.Status, call.ErrorCode = e.status, e.code
		f.recordSTS(call)
		writeSTSError(w, reqID, e)
	}
	// Injected faults apply to STS only when Fault.Service is "sts".
	ft, done := f.injectSTSFault(w, r, &call, fail)
	if done {
		return
	}

	claims, ok := readClaims(form.Get("WebIdentityToken"))
	if !ok {
		fail(senderError(http.StatusBadRequest, "InvalidIdentityToken", "Couldn't parse the token or it lacks iss, sub or exp"))
		return
	}
	call.Subject = claims.Sub
	audOK := false
	for _, a := range claims.audiences() {
		audOK = audOK || a == WebIdentityAudience
	}
	exp := time.Unix(*claims.Exp, 0)
	switch {
	case !audOK:
		fail(senderError(http.StatusBadRequest, "InvalidIdentityToken", "Incorrect token audience"))
		return
	case !call.Time.Before(exp):
		fail(senderError(http.StatusBadRequest, "ExpiredTokenException", fmt.Sprintf(
			"Token expired: current date/time %d must be before the expiration date/time %d", call.Time.Unix(), exp.Unix())))
		return
	}
	m := roleARN.FindStringSubmatch(call.RoleArn)
	if m == nil {
		fail(validationError("%q is not a valid IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", call.RoleArn))
		return
	}
	if !sessionName.MatchString(call.RoleSessionName) {
		fail(validationError("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]{2,64}", call.RoleSessionName))
		return
	}
	if !f.cfg.sts.webTrust[call.RoleArn][claims.Sub] {
		fail(senderError(http.StatusForbidden, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"))
		return
	}
	d := DefaultRoleSessionDuration
	if call.DurationSeconds != 0 {
		d = time.Duration(call.DurationSeconds) * time.Second
	}
	var res assumeRoleWithWebIdentityResult
	res.assumeRoleResult = f.issueSession(&call, m, d, ft.Kind == FaultExpiredAuth)
	res.SubjectFromWebIdentityToken = claims.Sub
	res.Audience = WebIdentityAudience
	res.Provider = strings.TrimPrefix(claims.Iss, "https://")
	call.Status = http.StatusOK
	f.recordSTS(call)
	writeSTSResult(w, reqID, assumeRoleWithWebIdentityResponse{Xmlns: STSNamespace, Result: res,
		Metadata: responseMetadata{reqID}}, ft.Kind == FaultMalformedJSON)
}

// issueSession remembers and returns new temporary credentials for the role
// c names (m is its roleARN match), valid for d (already expired if expired).
func (f *Fake) issueSession(c *STSCall, m []string, d time.Duration, expired bool) assumeRoleResult {
	s := session{roleArn: c.RoleArn, partition: m[1], account: m[2], roleName: m[3],
		roleID: "AROA" + idChars("role/"+c.RoleArn, 17), sessionName: c.RoleSessionName,
		expiration: c.Time.Add(d).Truncate(time.Second)}
	if expired {
		s.expiration = c.Time.Add(-time.Hour).Truncate(time.Second)
	}
	f.mu.Lock()
	f.sts.seq++
	seed := fmt.Sprintf("ecrtest/sts/%d/%s/%s", f.sts.seq, c.RoleArn, c.RoleSessionName)
	akid := "ASIA" + idChars(seed+"/akid", 16)
	s.sessionToken = "IQoJb3JpZ2luX2VjE" + base64.StdEncoding.EncodeToString(hashBytes(seed+"/token", 96))
	if f.sts.issued == nil {
		f.sts.issued = map[string]session{}
	}
	f.sts.issued[akid] = s
	f.mu.Unlock()

	var res assumeRoleResult
	c.IssuedAccessKeyID = akid
	res.Credentials.AccessKeyID = akid
	res.Credentials.SecretAccessKey = base64.StdEncoding.EncodeToString(hashBytes(seed+"/secret", 30))
	res.Credentials.SessionToken = s.sessionToken
	res.Credentials.Expiration = s.expiration.UTC().Format(time.RFC3339)
	res.AssumedRoleUser.Arn = s.assumedRoleARN()
	res.AssumedRoleUser.AssumedRoleID = s.roleID + ":" + s.sessionName
	return res
}

// ServiceAccountToken returns an unsigned-looking compact JWS with the
// claims kubelet's projected tokens carry (iss, sub, aud, exp, iat), for
// tests: the fake does not check signatures.
func ServiceAccountToken(issuer, namespace, name string, audience []string, exp time.Time) string {
	claims, _ := json.Marshal(map[string]any{
		"iss": issuer, "sub": "system:serviceaccount:" + namespace + ":" + name, "aud": audience,
		"exp": exp.Unix(), "iat": exp.Add(-time.Hour).Unix(), "nbf": exp.Add(-time.Hour).Unix(),
		"kubernetes.io": map[string]any{"namespace": namespace, "serviceaccount": map[string]string{"name": name}},
	})
	enc := base64.RawURLEncoding
	sig := hashBytes(string(claims), 64)
	return enc.EncodeToString([]byte(`{"alg":"RS256","kid":"ecrtest"}`)) + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString(sig)
}
