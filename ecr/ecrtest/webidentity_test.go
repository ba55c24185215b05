package ecrtest

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

const webIssuer = "https://oidc.example/id/CLUSTER"

func TestAssumeRoleWithWebIdentityPerSubjectTrust(t *testing.T) {
	s := newServer(t, WithWebIdentityTrust(testRole, "system:serviceaccount:shop:cart"),
		WithPasswordFunc(func(c Call) string { return "pw-for-" + c.AssumedRole }))
	c := newSTS(t, s, clientOpts{region: "eu-west-1"})
	assumeWeb := func(ns, name string, aud []string, exp time.Time, role string) (*sts.AssumeRoleWithWebIdentityOutput, error) {
		return c.AssumeRoleWithWebIdentity(ctxT(t), &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(role),
			RoleSessionName:  aws.String("ecr-credential-provider"),
			WebIdentityToken: aws.String(ServiceAccountToken(webIssuer, ns, name, aud, exp))})
	}
	out, err := assumeWeb("shop", "cart", []string{WebIdentityAudience}, time.Now().Add(time.Hour), testRole)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.SubjectFromWebIdentityToken) != "system:serviceaccount:shop:cart" ||
		!strings.HasSuffix(aws.ToString(out.AssumedRoleUser.Arn), ":assumed-role/"+testRoleName+"/ecr-credential-provider") {
		t.Errorf("answer %+v %+v", out.SubjectFromWebIdentityToken, out.AssumedRoleUser)
	}
	if s.AssumedRole(aws.ToString(out.Credentials.AccessKeyId)) != testRole {
		t.Error("the issued key is not known as the role's")
	}
	// ECR tells which role signed.
	ecrOut, err := newECR(t, s, withCreds(clientOpts{region: "eu-west-1"}, out.Credentials)).GetAuthorizationToken(ctxT(t), &ecr.GetAuthorizationTokenInput{})
	if err != nil || s.Calls()[0].AssumedRole != testRole || len(ecrOut.AuthorizationData) != 1 {
		t.Fatalf("ECR as the role: %v %+v", err, s.Calls())
	}
	calls := s.STSCalls()
	if len(calls) != 1 || calls[0].Action != ActionAssumeRoleWithWebIdentity || calls[0].Subject != "system:serviceaccount:shop:cart" || calls[0].Status != 200 {
		t.Errorf("STS calls %+v", calls)
	}

	for _, tc := range []struct {
		name           string
		ns, sa, role   string
		aud            []string
		exp            time.Time
		status         int
		code, inString string
	}{
		{"another service account", "shop", "billing", testRole, []string{WebIdentityAudience}, time.Now().Add(time.Hour), 403, "AccessDenied", "sts:AssumeRoleWithWebIdentity"},
		{"a role without trust", "shop", "cart", testRole + "x", []string{WebIdentityAudience}, time.Now().Add(time.Hour), 403, "AccessDenied", ""},
		{"wrong audience", "shop", "cart", testRole, []string{"https://kubernetes.default.svc"}, time.Now().Add(time.Hour), 400, "InvalidIdentityToken", "audience"},
		{"expired", "shop", "cart", testRole, []string{WebIdentityAudience}, time.Now().Add(-time.Second), 400, "ExpiredTokenException", "expired"},
	} {
		_, err := assumeWeb(tc.ns, tc.sa, tc.aud, tc.exp, tc.role)
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.code || !strings.Contains(apiErr.ErrorMessage(), tc.inString) {
			t.Errorf("%s: err = %v, want %s", tc.name, err, tc.code)
		}
		last := s.STSCalls()[len(s.STSCalls())-1]
		if last.Status != tc.status || last.ErrorCode != tc.code || last.IssuedAccessKeyID != "" {
			t.Errorf("%s: recorded %+v", tc.name, last)
		}
	}

	// Unreadable tokens, unsigned as STS allows for this action.
	for _, tok := range []string{"", "a.b", "a.!!.c", "a.e30.c"} {
		form := url.Values{"Action": {ActionAssumeRoleWithWebIdentity}, "Version": {STSVersion}, "RoleArn": {testRole},
			"RoleSessionName": {"x1"}, "WebIdentityToken": {tok}}
		resp, body := rawForm(t, s.URL()+"/", FormContentType, "", form.Encode())
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "<Code>InvalidIdentityToken</Code>") {
			t.Errorf("token %q: %d %s", tok, resp.StatusCode, body)
		}
	}
}
