package ecr

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
	"github.com/ecr-login/ecr-login/ecr/local"
)

// Settings the differential oracle cannot run against the fakes (they send
// the SDK to AWS, or need a sign-in or SSO OIDC service), checked on the key
// alone. An [sso-session x] only the credentials file has is merged in
// (config.mergeSections), and its start URL names the SSO user's token. Each
// one changes an endpoint the SDK talks to or the file it reads a session
// from, so each must change the key.
func TestReviewSettingsAreInTheKey(t *testing.T) {
	dir := t.TempDir()
	base := "[default]\n" + keys("AKIADEF00000D001")
	login := "[default]\nlogin_session = arn:aws:iam::111111111111:user/me\n"
	ssoProfile := "[default]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\n"
	mustBeDistinct(t, dir, map[string]idSetup{
		"plain":                             {config: base},
		"env AWS_USE_FIPS_ENDPOINT":         {config: base, env: map[string]string{"AWS_USE_FIPS_ENDPOINT": "true"}},
		"env AWS_USE_DUALSTACK_ENDPOINT":    {config: base, env: map[string]string{"AWS_USE_DUALSTACK_ENDPOINT": "true"}},
		"profile use_fips_endpoint":         {config: base + "use_fips_endpoint = true\n"},
		"profile use_dualstack_endpoint":    {config: base + "use_dualstack_endpoint = true\n"},
		"env IMDS endpoint mode IPv6":       {config: "", env: map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv6"}},
		"no credentials (IMDS)":             {config: ""},
		"login session":                     {config: login},
		"sso-session in credentials, url 1": {config: ssoProfile, creds: "[sso-session corp]\nsso_start_url = https://one.awsapps.com/start\nsso_region = us-east-1\n"},
		"sso-session in credentials, url 2": {config: ssoProfile, creds: "[sso-session corp]\nsso_start_url = https://two.awsapps.com/start\nsso_region = us-east-1\n"},
		"login session, other cache dir":    {config: login, env: map[string]string{"AWS_LOGIN_CACHE_DIRECTORY": "$DIR/login-a"}},
		"login session, another cache dir":  {config: login, env: map[string]string{"AWS_LOGIN_CACHE_DIRECTORY": "$DIR/login-b"}},
	})
}

// TestFIPSSettingReachesECR: the SDK applies AWS_USE_FIPS_ENDPOINT to the
// ECR client of a registry whose host is not FIPS (here it refuses to
// combine it with the custom endpoint; against AWS it talks to ecr-fips):
// the setting changes the endpoint, which is why it is in the key.
func TestFIPSSettingReachesECR(t *testing.T) {
	fake := ecrtest.New()
	ts := httptest.NewServer(fake)
	t.Cleanup(func() { fake.Close(); ts.Close() })
	set := clearAWSEnv(t)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"HOME": dir, "USERPROFILE": dir, "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL_ECR": ts.URL,
		"AWS_ACCESS_KEY_ID": "AKIAFIPS0000F001", "AWS_SECRET_ACCESS_KEY": "s",
	} {
		set(k, v)
	}
	reg, err := ParseRegistry("123456789012.dkr.ecr.us-east-1.amazonaws.com")
	if err != nil {
		t.Fatal(err)
	}
	env := getenvSnapshot()
	if _, err := NewSDKFetcher(WithEnv(env)).FetchToken(context.Background(), reg, Access{}); err != nil {
		t.Fatalf("without AWS_USE_FIPS_ENDPOINT: %v", err)
	}
	set("AWS_USE_FIPS_ENDPOINT", "true")
	env = getenvSnapshot()
	_, err = NewSDKFetcher(WithEnv(env)).FetchToken(context.Background(), reg, Access{})
	if err == nil || !strings.Contains(err.Error(), "FIPS") {
		t.Fatalf("with AWS_USE_FIPS_ENDPOINT=true the SDK should resolve a FIPS endpoint for ECR; got %v", err)
	}
}

// TestMFASessionKeyHoldsCredentialSource: a role with mfa_serial assumed
// with credential_source = Environment (or EcsContainer, Ec2InstanceMetadata)
// is assumed with what the environment holds, so the MFA session's key holds
// it too: another principal's keys never reuse the session.
func TestMFASessionKeyHoldsCredentialSource(t *testing.T) {
	dir := t.TempDir()
	cfg := "[profile x]\nrole_arn = " + diffRoleMFA + "\nmfa_serial = " + diffMFASerial + "\ncredential_source = Environment\n"
	session := func(keyID string) string {
		t.Helper()
		_, err := resolveIn(t, dir, idSetup{config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		env := map[string]string{"HOME": dir + "/home", "USERPROFILE": dir + "/home", "AWS_CONFIG_FILE": dir + "/config",
			"AWS_SHARED_CREDENTIALS_FILE": dir + "/credentials", "AWS_ACCESS_KEY_ID": keyID, "AWS_SECRET_ACCESS_KEY": "s"}
		id, err := local.IdentityFor(idEnv(env), Access{Profile: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if id.MFASession() == "" {
			t.Fatalf("no MFA session key for %s", id.Description)
		}
		return id.MFASession()
	}
	if session("AKIAENV00000E001") == session("AKIAENV00000E002") {
		t.Fatal("two principals' environment keys share an MFA session")
	}
}

// TestPodKeyByCredentialsNeedsNoNodeCredentials: a pod's key is its role
// and service account; with AWS_ECR_KEY_BY_CREDENTIALS a pod's get must not
// resolve (nor need) the node's own credentials.
func TestPodKeyByCredentialsNeedsNoNodeCredentials(t *testing.T) {
	podFake(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	for _, byCreds := range []bool{false, true} {
		h := NewHelper(Config{CacheDir: t.TempDir(), RefreshMargin: time.Hour, Timeout: 10 * time.Second, Env: os.Getenv, KeyByCredentials: byCreds})
		c, err := h.PodCredentials(context.Background(), hostA, mustPod(t, podRole, saToken("shop", "cart", time.Now().Add(time.Hour))))
		if err != nil || c.Password != rolePW {
			t.Errorf("KeyByCredentials=%v: %+v %v", byCreds, c, err)
		}
	}
}

// TestMFASessionKeyIgnoresHowTheProfileWasChosen: `login --profile x` and
// a get with AWS_PROFILE=x share the session also when the role is assumed
// with credential_source.
func TestMFASessionKeyIgnoresHowTheProfileWasChosen(t *testing.T) {
	dir := t.TempDir()
	if _, err := resolveIn(t, dir, idSetup{config: "[profile x]\nrole_arn = " + diffRoleMFA + "\nmfa_serial = " + diffMFASerial + "\ncredential_source = Environment\n"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOME": dir + "/home", "USERPROFILE": dir + "/home", "AWS_CONFIG_FILE": dir + "/config",
		"AWS_SHARED_CREDENTIALS_FILE": dir + "/credentials", "AWS_ACCESS_KEY_ID": "AKIAENV00000E001", "AWS_SECRET_ACCESS_KEY": "s"}
	login, err := local.IdentityFor(idEnv(env), Access{Profile: "x"})
	if err != nil {
		t.Fatal(err)
	}
	env["AWS_PROFILE"] = "x"
	get, err := local.IdentityFor(idEnv(env), Access{Profile: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if login.MFASession() == "" || login.MFASession() != get.MFASession() {
		t.Fatalf("login and get use different MFA sessions: %q %q", login.MFASession(), get.MFASession())
	}
}
