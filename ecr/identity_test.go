package ecr

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/ecr-login/ecr-login/ecr/local"
)

// Sentinel secrets: none of them may ever appear in an ID, a description or
// an error. Key ids may appear only as their last 4 characters.
const (
	sentSecret     = "SENTINELsecretACCESSkey0000000000000000x"
	sentToken      = "SENTINELsessionTOKENvalue111111111111111"
	sentEnvSecret  = "SENTINELenvSECRETkey22222222222222222222"
	sentEnvToken   = "SENTINELenvSESSIONtoken33333333333333333"
	sentKeyID      = "AKIASENTINELKEY1Q2W"    // shared-config key id; may show only "Q2W"'s 4-char tail
	sentEnvKeyID   = "ASIASENTINELENVKEY9Z8X" // environment key id
	sentAliasKeyID = "AKIASENTINELALIAS7Y6U"  // AWS_ACCESS_KEY alias
)

// idEnv turns a map into a Getenv.
func idEnv(m map[string]string) Getenv {
	return func(k string) string { return m[k] }
}

// idSetup is one configuration: the two shared files, extra files (paths
// relative to the fixture directory, for SSO caches and token files), and the
// environment on top of the fixture's HOME / AWS_CONFIG_FILE /
// AWS_SHARED_CREDENTIALS_FILE. An env value of "-" unsets the variable;
// "$DIR" in values and file bodies stands for the fixture directory.
type idSetup struct {
	config, creds string
	env           map[string]string
	files         map[string]string
	configName    string // file name of the config file in the fixture dir; "config" if empty
}

// resolveIn writes s into dir (the same paths every time, so two setups
// resolved in one dir differ only in what they say) and resolves it.
func resolveIn(t testing.TB, dir string, s idSetup) (Identity, error) {
	t.Helper()
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	cfgName := s.configName
	if cfgName == "" {
		cfgName = "config"
	}
	files := map[string]string{cfgName: s.config, "credentials": s.creds}
	for k, v := range s.files {
		files[k] = v
	}
	for name, body := range files {
		body = strings.ReplaceAll(body, "$DIR", dir)
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	m := map[string]string{
		"HOME":                        home,
		"USERPROFILE":                 home,
		"AWS_CONFIG_FILE":             filepath.Join(dir, cfgName),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
	}
	for k, v := range s.env {
		if v == "-" {
			delete(m, k)
		} else {
			m[k] = strings.ReplaceAll(v, "$DIR", dir)
		}
	}
	return ResolveIdentity(idEnv(m))
}

func mustResolveIn(t testing.TB, dir string, s idSetup) Identity {
	t.Helper()
	id, err := resolveIn(t, dir, s)
	if err != nil {
		t.Fatalf("ResolveIdentity: %v", err)
	}
	if len(id.ID) != 32 || strings.Trim(id.ID, "0123456789abcdef") != "" {
		t.Fatalf("ID %q is not 32 hex chars", id.ID)
	}
	return id
}

// mustBeDistinct resolves each setup in dir and fails when two share an
// identity: each setting in them must change the key.
func mustBeDistinct(t *testing.T, dir string, setups map[string]idSetup) {
	t.Helper()
	seen := map[string]string{}
	for name, s := range setups {
		id := mustResolveIn(t, dir, s)
		if other, ok := seen[id.ID]; ok {
			t.Errorf("%q and %q share the identity %s", name, other, id.ID)
		}
		seen[id.ID] = name
	}
}

const staticBase = `
[profile base]
aws_access_key_id = AKIABASEKEY00001
aws_secret_access_key = ` + sentSecret + `
`

func TestResolveIdentitySource(t *testing.T) {
	envKeys := map[string]string{"AWS_ACCESS_KEY_ID": sentEnvKeyID, "AWS_SECRET_ACCESS_KEY": sentEnvSecret, "AWS_SESSION_TOKEN": sentEnvToken}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name        string
		setup       idSetup
		wantSource  Source
		wantProfile string
		wantDesc    []string // substrings of Description
	}{
		{
			name:       "env keys, nothing else",
			setup:      idSetup{env: envKeys},
			wantSource: SourceEnv, wantDesc: []string{"AWS_ACCESS_KEY_ID", "…" + sentEnvKeyID[len(sentEnvKeyID)-4:]},
		},
		{
			// config.resolveCredentialChain only lets a profile chosen in
			// code (WithSharedConfigProfile) outrank env keys; AWS_PROFILE
			// merely picks the profile the default branch uses.
			name:       "env keys beat AWS_PROFILE",
			setup:      idSetup{config: staticBase, env: with(envKeys, "AWS_PROFILE", "base")},
			wantSource: SourceEnv,
		},
		{
			name:       "env keys beat default profile static keys",
			setup:      idSetup{creds: "[default]\naws_access_key_id = AKIADEFAULT0001\naws_secret_access_key = " + sentSecret + "\n", env: envKeys},
			wantSource: SourceEnv,
		},
		{
			name:       "env key aliases AWS_ACCESS_KEY and AWS_SECRET_KEY",
			setup:      idSetup{env: map[string]string{"AWS_ACCESS_KEY": sentAliasKeyID, "AWS_SECRET_KEY": sentEnvSecret}},
			wantSource: SourceEnv, wantDesc: []string{"…" + sentAliasKeyID[len(sentAliasKeyID)-4:]},
		},
		{
			name: "env key id without secret is ignored",
			setup: idSetup{
				creds: "[default]\naws_access_key_id = AKIADEFAULT0001\naws_secret_access_key = " + sentSecret + "\n",
				env:   map[string]string{"AWS_ACCESS_KEY_ID": sentEnvKeyID},
			},
			wantSource: SourceStatic, wantProfile: "default", wantDesc: []string{"…0001"},
		},
		{
			name:        "AWS_PROFILE without env keys uses the profile",
			setup:       idSetup{config: staticBase, env: map[string]string{"AWS_PROFILE": "base"}},
			wantSource:  SourceStatic,
			wantProfile: "base", wantDesc: []string{`profile "base"`, "static keys", "…0001"},
		},
		{
			name: "env web identity",
			setup: idSetup{env: map[string]string{
				"AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/secrets/token", "AWS_ROLE_ARN": "arn:aws:iam::111122223333:role/irsa",
			}},
			wantSource: SourceWebIdentity, wantDesc: []string{"/var/run/secrets/token", "arn:aws:iam::111122223333:role/irsa"},
		},
		{
			name: "env web identity beats AWS_PROFILE",
			setup: idSetup{config: staticBase, env: map[string]string{
				"AWS_PROFILE": "base", "AWS_WEB_IDENTITY_TOKEN_FILE": "/t", "AWS_ROLE_ARN": "arn:aws:iam::1:role/r",
			}},
			wantSource: SourceWebIdentity,
		},
		{
			name: "env keys beat env web identity",
			setup: idSetup{env: with(envKeys,
				"AWS_WEB_IDENTITY_TOKEN_FILE", "/t", "AWS_ROLE_ARN", "arn:aws:iam::1:role/r")},
			wantSource: SourceEnv,
		},
		{
			name:       "default profile static keys in credentials file",
			setup:      idSetup{creds: "[default]\naws_access_key_id = AKIADEFAULT0001\naws_secret_access_key = " + sentSecret + "\n"},
			wantSource: SourceStatic, wantProfile: "default", wantDesc: []string{`profile "default"`, "…0001"},
		},
		{
			name:       "default profile static keys in config file",
			setup:      idSetup{config: "[default]\naws_access_key_id = AKIADEFAULT0002\naws_secret_access_key = " + sentSecret + "\n"},
			wantSource: SourceStatic, wantProfile: "default", wantDesc: []string{"…0002"},
		},
		{
			name:       "[profile default] in config file",
			setup:      idSetup{config: "[profile default]\naws_access_key_id = AKIADEFAULT0003\naws_secret_access_key = " + sentSecret + "\n"},
			wantSource: SourceStatic, wantProfile: "default", wantDesc: []string{"…0003"},
		},
		{
			name:       "key id without secret in profile is not static keys",
			setup:      idSetup{creds: "[default]\naws_access_key_id = AKIADEFAULT0001\n"},
			wantSource: SourceIMDS, wantProfile: "default",
		},
		{
			name: "assume role with source_profile",
			setup: idSetup{config: staticBase + `
[profile dev]
role_arn = arn:aws:iam::111122223333:role/dev
source_profile = base
region = eu-west-1
`, env: map[string]string{"AWS_PROFILE": "dev"}},
			wantSource: SourceAssumeRole, wantProfile: "dev",
			wantDesc: []string{`profile "dev"`, "assume role arn:aws:iam::111122223333:role/dev", `profile "base"`, "…0001"},
		},
		{
			name: "assume role chain of three",
			setup: idSetup{config: staticBase + `
[profile mid]
role_arn = arn:aws:iam::1:role/mid
source_profile = base
[profile top]
role_arn = arn:aws:iam::2:role/top
source_profile = mid
`, env: map[string]string{"AWS_PROFILE": "top"}},
			wantSource: SourceAssumeRole, wantProfile: "top",
			wantDesc: []string{"role/top", "role/mid", `profile "base"`},
		},
		{
			name: "assume role with sso source profile",
			setup: idSetup{config: `
[profile sso]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = ReadOnly
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
[profile admin]
role_arn = arn:aws:iam::444455556666:role/admin
source_profile = sso
`, env: map[string]string{"AWS_PROFILE": "admin"}},
			wantSource: SourceAssumeRole, wantProfile: "admin", wantDesc: []string{"role/admin", "SSO account 111122223333 role ReadOnly"},
		},
		{
			name: "assume role with credential_source",
			setup: idSetup{config: `
[profile ec2]
role_arn = arn:aws:iam::1:role/from-ec2
credential_source = Ec2InstanceMetadata
`, env: map[string]string{"AWS_PROFILE": "ec2"}},
			wantSource: SourceAssumeRole, wantProfile: "ec2", wantDesc: []string{"role/from-ec2", "Ec2InstanceMetadata"},
		},
		{
			name: "role_arn with web_identity_token_file",
			setup: idSetup{config: `
[profile wi]
role_arn = arn:aws:iam::1:role/wi
web_identity_token_file = /var/run/token
`, env: map[string]string{"AWS_PROFILE": "wi"}},
			wantSource: SourceWebIdentity, wantProfile: "wi", wantDesc: []string{"web identity", "role/wi"},
		},
		{
			name: "sso with sso_session",
			setup: idSetup{config: `
[profile sso]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = PowerUser
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
`, env: map[string]string{"AWS_PROFILE": "sso"}},
			wantSource: SourceSSO, wantProfile: "sso", wantDesc: []string{"SSO account 111122223333 role PowerUser"},
		},
		{
			name: "legacy sso_start_url",
			setup: idSetup{config: `
[default]
sso_start_url = https://legacy.awsapps.com/start
sso_region = us-east-1
sso_account_id = 111122223333
sso_role_name = Legacy
`},
			wantSource: SourceSSO, wantProfile: "default", wantDesc: []string{"role Legacy"},
		},
		{
			name:       "credential_process",
			setup:      idSetup{config: "[profile p]\ncredential_process = /usr/bin/get-creds --json\n", env: map[string]string{"AWS_PROFILE": "p"}},
			wantSource: SourceProcess, wantProfile: "p", wantDesc: []string{`profile "p"`, "credential_process"},
		},
		{
			name:       "login_session",
			setup:      idSetup{config: "[profile l]\nlogin_session = arn:aws:iam::1:user/me\n", env: map[string]string{"AWS_PROFILE": "l"}},
			wantSource: SourceLogin, wantProfile: "l",
		},
		{
			name:       "static keys outrank sso and credential_process in one profile",
			setup:      idSetup{config: "[default]\ncredential_process = /bin/x\nsso_start_url = https://x\naws_access_key_id = AKIAMIXED0004\naws_secret_access_key = " + sentSecret + "\n"},
			wantSource: SourceStatic, wantProfile: "default",
		},
		{
			name:       "sso outranks credential_process",
			setup:      idSetup{config: "[default]\ncredential_process = /bin/x\nsso_start_url = https://x\nsso_account_id = 1\nsso_role_name = r\n"},
			wantSource: SourceSSO, wantProfile: "default",
		},
		{
			name:       "container full URI",
			setup:      idSetup{env: map[string]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.23/v1/credentials"}},
			wantSource: SourceContainer, wantProfile: "",
		},
		{
			name:       "container relative URI",
			setup:      idSetup{env: map[string]string{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc"}},
			wantSource: SourceContainer,
		},
		{
			name:       "container with a profile lacking credentials",
			setup:      idSetup{config: "[default]\nregion = us-east-1\n", env: map[string]string{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc"}},
			wantSource: SourceContainer, wantProfile: "default",
		},
		{
			name: "profile credentials beat container",
			setup: idSetup{creds: "[default]\naws_access_key_id = AKIADEFAULT0001\naws_secret_access_key = " + sentSecret + "\n",
				env: map[string]string{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc"}},
			wantSource: SourceStatic, wantProfile: "default",
		},
		{
			name:       "container beats IMDS disabled",
			setup:      idSetup{env: map[string]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1/c", "AWS_EC2_METADATA_DISABLED": "true"}},
			wantSource: SourceContainer,
		},
		{
			name:       "IMDS fallback",
			setup:      idSetup{},
			wantSource: SourceIMDS, wantProfile: "", wantDesc: []string{"instance metadata"},
		},
		{
			name:       "IMDS explicitly enabled",
			setup:      idSetup{env: map[string]string{"AWS_EC2_METADATA_DISABLED": "false"}},
			wantSource: SourceIMDS,
		},
		{
			name:       "none when IMDS disabled",
			setup:      idSetup{env: map[string]string{"AWS_EC2_METADATA_DISABLED": "true"}},
			wantSource: SourceNone, wantDesc: []string{"AWS_EC2_METADATA_DISABLED"},
		},
		{
			name:       "none when IMDS disabled, any case",
			setup:      idSetup{config: "[default]\nregion = us-east-1\n", env: map[string]string{"AWS_EC2_METADATA_DISABLED": "TRUE"}},
			wantSource: SourceNone, wantProfile: "default",
		},
		{
			name:       "AWS_DEFAULT_PROFILE selects the profile",
			setup:      idSetup{config: staticBase, env: map[string]string{"AWS_DEFAULT_PROFILE": "base"}},
			wantSource: SourceStatic, wantProfile: "base",
		},
		{
			name:       "AWS_PROFILE beats AWS_DEFAULT_PROFILE",
			setup:      idSetup{config: staticBase + "[profile p]\ncredential_process = /bin/x\n", env: map[string]string{"AWS_PROFILE": "p", "AWS_DEFAULT_PROFILE": "base"}},
			wantSource: SourceProcess, wantProfile: "p",
		},
		{
			name:       "missing AWS_DEFAULT_PROFILE counts as empty",
			setup:      idSetup{config: staticBase, env: map[string]string{"AWS_DEFAULT_PROFILE": "nope"}},
			wantSource: SourceIMDS, wantProfile: "",
		},
		{
			name: "profile sourcing its own static keys",
			setup: idSetup{config: `
[profile self]
role_arn = arn:aws:iam::1:role/self
source_profile = self
aws_access_key_id = AKIASELFKEY00005
aws_secret_access_key = ` + sentSecret + `
`, env: map[string]string{"AWS_PROFILE": "self"}},
			wantSource: SourceAssumeRole, wantProfile: "self", wantDesc: []string{"role/self", "…0005"},
		},
		{
			// a -> b -> a: the SDK uses a's own keys the second time.
			name: "chain back to a profile with keys",
			setup: idSetup{config: `
[profile a]
role_arn = arn:aws:iam::1:role/a
source_profile = b
aws_access_key_id = AKIAAKEY00000006
aws_secret_access_key = ` + sentSecret + `
[profile b]
role_arn = arn:aws:iam::1:role/b
source_profile = a
`, env: map[string]string{"AWS_PROFILE": "a"}},
			wantSource: SourceAssumeRole, wantProfile: "a", wantDesc: []string{"role/a", "role/b", `profile "a"`},
		},
		{
			// The SDK stops at a source profile with keys, so f's own
			// source_profile (missing) is never read.
			name: "source profile with keys ends the chain",
			setup: idSetup{config: `
[profile e]
role_arn = arn:aws:iam::1:role/e
source_profile = f
[profile f]
role_arn = arn:aws:iam::1:role/f
source_profile = missing
aws_access_key_id = AKIAFKEY00000007
aws_secret_access_key = ` + sentSecret + `
`, env: map[string]string{"AWS_PROFILE": "e"}},
			wantSource: SourceAssumeRole, wantProfile: "e", wantDesc: []string{"role/e", "role/f", "…0007"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			id := mustResolveIn(t, t.TempDir(), tc.setup)
			if id.Source != tc.wantSource {
				t.Errorf("Source = %q, want %q (description %q)", id.Source, tc.wantSource, id.Description)
			}
			if id.Profile != tc.wantProfile {
				t.Errorf("Profile = %q, want %q", id.Profile, tc.wantProfile)
			}
			for _, want := range tc.wantDesc {
				if !strings.Contains(id.Description, want) {
					t.Errorf("Description %q does not mention %q", id.Description, want)
				}
			}
		})
	}
}

func TestResolveIdentityErrors(t *testing.T) {
	cases := []struct {
		name    string
		setup   idSetup
		wantErr []string
	}{
		{
			name:    "AWS_PROFILE names a missing profile",
			setup:   idSetup{config: staticBase, env: map[string]string{"AWS_PROFILE": "no-such-profile"}},
			wantErr: []string{"no-such-profile"},
		},
		{
			// The SDK fails to load its config before it looks at env keys.
			name: "AWS_PROFILE names a missing profile, env keys set",
			setup: idSetup{env: map[string]string{
				"AWS_PROFILE": "ghost", "AWS_ACCESS_KEY_ID": sentEnvKeyID, "AWS_SECRET_ACCESS_KEY": sentEnvSecret,
			}},
			wantErr: []string{"ghost"},
		},
		{
			name: "source_profile loop",
			setup: idSetup{config: `
[profile c]
role_arn = arn:aws:iam::1:role/c
source_profile = d
[profile d]
role_arn = arn:aws:iam::1:role/d
source_profile = c
`, env: map[string]string{"AWS_PROFILE": "c"}},
			wantErr: []string{"loop", `"c"`},
		},
		{
			name:    "profile sourcing itself without keys",
			setup:   idSetup{config: "[profile s]\nrole_arn = arn:aws:iam::1:role/s\nsource_profile = s\n", env: map[string]string{"AWS_PROFILE": "s"}},
			wantErr: []string{"loop", `"s"`},
		},
		{
			name:    "missing source_profile",
			setup:   idSetup{config: "[profile x]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = gone\n", env: map[string]string{"AWS_PROFILE": "x"}},
			wantErr: []string{`"x"`, `"gone"`},
		},
		{
			// The SDK reports this for the default profile too.
			name:    "default profile with missing source_profile",
			setup:   idSetup{config: "[default]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = gone\n"},
			wantErr: []string{`"gone"`},
		},
		{
			name:    "config file is a directory",
			setup:   idSetup{env: map[string]string{"AWS_CONFIG_FILE": "$DIR/home"}},
			wantErr: []string{"home"},
		},
		{
			name:    "credentials file is a directory",
			setup:   idSetup{env: map[string]string{"AWS_SHARED_CREDENTIALS_FILE": "$DIR/home"}},
			wantErr: []string{"home"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			id, err := resolveIn(t, t.TempDir(), tc.setup)
			if err == nil {
				t.Fatalf("no error; got %+v", id)
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %s", err, want)
				}
			}
			for _, secret := range []string{sentSecret, sentEnvSecret, sentEnvKeyID} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains a secret", err)
				}
			}
		})
	}
}

func TestResolveIdentityIDs(t *testing.T) {
	sso := func(account, role, startURL string) string {
		return `
[profile sso]
sso_session = corp
sso_account_id = ` + account + `
sso_role_name = ` + role + `
[sso-session corp]
sso_start_url = ` + startURL + `
sso_region = us-east-1
`
	}
	legacySSO := func(account, role, startURL string) string {
		return "[default]\nsso_start_url = " + startURL + "\nsso_region = us-east-1\nsso_account_id = " + account + "\nsso_role_name = " + role + "\n"
	}
	role := func(arn, extra string) string {
		return staticBase + "[profile dev]\nrole_arn = " + arn + "\nsource_profile = base\n" + extra
	}
	defaultKeys := func(keyID, secret, token, extra string) string {
		s := "[default]\naws_access_key_id = " + keyID + "\naws_secret_access_key = " + secret + "\n"
		if token != "" {
			s += "aws_session_token = " + token + "\n"
		}
		return s + extra
	}
	dev := map[string]string{"AWS_PROFILE": "dev"}
	ssoEnv := map[string]string{"AWS_PROFILE": "sso"}
	envKeys := func(id, secret, token string) map[string]string {
		return map[string]string{"AWS_ACCESS_KEY_ID": id, "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": token}
	}
	webIdentity := "[profile wi]\nrole_arn = arn:aws:iam::1:role/wi\nweb_identity_token_file = $DIR/token\n"
	cacheFile := "home/.aws/sso/cache/0123456789abcdef0123456789abcdef01234567.json"

	cases := []struct {
		name  string
		a, b  idSetup
		equal bool
	}{
		// Different principals, or configurations that can be.
		{name: "different static key ids",
			a: idSetup{creds: defaultKeys("AKIAKEYONE000001", sentSecret, "", "")},
			b: idSetup{creds: defaultKeys("AKIAKEYTWO000002", sentSecret, "", "")}},
		{name: "different role_arn",
			a: idSetup{config: role("arn:aws:iam::1:role/a", ""), env: dev},
			b: idSetup{config: role("arn:aws:iam::1:role/b", ""), env: dev}},
		{name: "same role, different source profile keys",
			a: idSetup{config: role("arn:aws:iam::1:role/a", ""), env: dev},
			b: idSetup{config: strings.Replace(role("arn:aws:iam::1:role/a", ""), "AKIABASEKEY00001", "AKIABASEKEY00002", 1), env: dev}},
		{name: "same role, different source_profile",
			a: idSetup{config: role("arn:aws:iam::1:role/a", "") + "[profile other]\naws_access_key_id = AKIABASEKEY00001\naws_secret_access_key = s\n", env: dev},
			b: idSetup{config: strings.Replace(role("arn:aws:iam::1:role/a", ""), "source_profile = base", "source_profile = other", 1) + "[profile other]\naws_access_key_id = AKIABASEKEY00001\naws_secret_access_key = s\n", env: dev}},
		{name: "different external_id",
			a: idSetup{config: role("arn:aws:iam::1:role/a", "external_id = one\n"), env: dev},
			b: idSetup{config: role("arn:aws:iam::1:role/a", "external_id = two\n"), env: dev}},
		{name: "different credential_source",
			a: idSetup{config: "[default]\nrole_arn = arn:aws:iam::1:role/a\ncredential_source = Ec2InstanceMetadata\n"},
			b: idSetup{config: "[default]\nrole_arn = arn:aws:iam::1:role/a\ncredential_source = EcsContainer\n"}},
		{name: "different sso account",
			a: idSetup{config: sso("111111111111", "Admin", "https://corp.awsapps.com/start"), env: ssoEnv},
			b: idSetup{config: sso("222222222222", "Admin", "https://corp.awsapps.com/start"), env: ssoEnv}},
		{name: "different sso role",
			a: idSetup{config: sso("111111111111", "Admin", "https://corp.awsapps.com/start"), env: ssoEnv},
			b: idSetup{config: sso("111111111111", "ReadOnly", "https://corp.awsapps.com/start"), env: ssoEnv}},
		{name: "different sso-session start url",
			a: idSetup{config: sso("111111111111", "Admin", "https://corp.awsapps.com/start"), env: ssoEnv},
			b: idSetup{config: sso("111111111111", "Admin", "https://other.awsapps.com/start"), env: ssoEnv}},
		{name: "different sso_session name",
			a: idSetup{config: sso("111111111111", "Admin", "https://corp.awsapps.com/start"), env: ssoEnv},
			b: idSetup{config: strings.ReplaceAll(sso("111111111111", "Admin", "https://corp.awsapps.com/start"), "corp", "corp2"), env: ssoEnv}},
		{name: "different legacy sso_start_url",
			a: idSetup{config: legacySSO("1", "r", "https://a.awsapps.com/start")},
			b: idSetup{config: legacySSO("1", "r", "https://b.awsapps.com/start")}},
		{name: "different credential_process",
			a: idSetup{config: "[default]\ncredential_process = /bin/creds --account a\n"},
			b: idSetup{config: "[default]\ncredential_process = /bin/creds --account b\n"}},
		{name: "env keys vs the profile they shadow",
			a: idSetup{creds: defaultKeys("AKIAKEYONE000001", sentSecret, "", "")},
			b: idSetup{creds: defaultKeys("AKIAKEYONE000001", sentSecret, "", ""), env: envKeys(sentEnvKeyID, sentEnvSecret, "")}},
		{name: "different env key ids",
			a: idSetup{env: envKeys("AKIAENVKEY000001", sentEnvSecret, "")},
			b: idSetup{env: envKeys("AKIAENVKEY000002", sentEnvSecret, "")}},
		{name: "different AWS_ACCESS_KEY alias",
			a: idSetup{env: map[string]string{"AWS_ACCESS_KEY": "AKIAALIAS0000001", "AWS_SECRET_KEY": sentEnvSecret}},
			b: idSetup{env: map[string]string{"AWS_ACCESS_KEY": "AKIAALIAS0000002", "AWS_SECRET_KEY": sentEnvSecret}}},
		{name: "different AWS_PROFILE",
			a: idSetup{config: staticBase + "[profile p2]\naws_access_key_id = AKIABASEKEY00001\naws_secret_access_key = s\n", env: map[string]string{"AWS_PROFILE": "base"}},
			b: idSetup{config: staticBase + "[profile p2]\naws_access_key_id = AKIABASEKEY00001\naws_secret_access_key = s\n", env: map[string]string{"AWS_PROFILE": "p2"}}},
		{name: "AWS_DEFAULT_PROFILE's role_arn",
			a: idSetup{config: role("arn:aws:iam::1:role/a", ""), env: map[string]string{"AWS_DEFAULT_PROFILE": "dev"}},
			b: idSetup{config: role("arn:aws:iam::1:role/b", ""), env: map[string]string{"AWS_DEFAULT_PROFILE": "dev"}}},
		{name: "indented role_arn",
			a: idSetup{config: "[profile dev]\n  role_arn = arn:aws:iam::1:role/a\n  source_profile = base\n" + staticBase, env: dev},
			b: idSetup{config: "[profile dev]\n  role_arn = arn:aws:iam::1:role/b\n  source_profile = base\n" + staticBase, env: dev}},
		{name: "role_arn with a colon separator",
			a: idSetup{config: "[profile dev]\nrole_arn: arn:aws:iam::1:role/a\nsource_profile: base\n" + staticBase, env: dev},
			b: idSetup{config: "[profile dev]\nrole_arn: arn:aws:iam::1:role/b\nsource_profile: base\n" + staticBase, env: dev}},
		{name: "different container full URI",
			a: idSetup{env: map[string]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/a"}},
			b: idSetup{env: map[string]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/b"}}},
		{name: "different container relative URI",
			a: idSetup{env: map[string]string{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/a"}},
			b: idSetup{env: map[string]string{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/b"}}},
		{name: "container vs IMDS",
			a: idSetup{},
			b: idSetup{env: map[string]string{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/a"}}},
		{name: "different AWS_CONFIG_FILE path",
			a: idSetup{config: role("arn:aws:iam::1:role/a", ""), env: dev},
			b: idSetup{config: role("arn:aws:iam::1:role/a", ""), env: dev, configName: "config2"}},
		{name: "different env web identity role",
			a: idSetup{env: map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": "/t", "AWS_ROLE_ARN": "arn:aws:iam::1:role/a"}},
			b: idSetup{env: map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": "/t", "AWS_ROLE_ARN": "arn:aws:iam::1:role/b"}}},
		{name: "different web_identity_token_file",
			a: idSetup{config: webIdentity, env: map[string]string{"AWS_PROFILE": "wi"}},
			b: idSetup{config: strings.Replace(webIdentity, "$DIR/token", "$DIR/token2", 1), env: map[string]string{"AWS_PROFILE": "wi"}}},

		// The same principal: equal IDs.
		{name: "same config twice", equal: true,
			a: idSetup{config: role("arn:aws:iam::1:role/a", ""), env: dev},
			b: idSetup{config: role("arn:aws:iam::1:role/a", ""), env: dev}},
		{name: "only aws_secret_access_key changes", equal: true,
			a: idSetup{creds: defaultKeys("AKIAKEYONE000001", sentSecret, "", "")},
			b: idSetup{creds: defaultKeys("AKIAKEYONE000001", sentSecret+"2", "", "")}},
		{name: "only aws_session_token changes", equal: true,
			a: idSetup{creds: defaultKeys("ASIAKEYONE000001", sentSecret, sentToken, "")},
			b: idSetup{creds: defaultKeys("ASIAKEYONE000001", sentSecret, sentToken+"2", "")}},
		{name: "region and output change", equal: true,
			a: idSetup{config: role("arn:aws:iam::1:role/a", "region = us-east-1\noutput = json\n"), env: dev},
			b: idSetup{config: role("arn:aws:iam::1:role/a", "region = eu-west-1\noutput = text\n"), env: dev}},
		{name: "cli_ settings and nested s3 settings change", equal: true,
			a: idSetup{config: role("arn:aws:iam::1:role/a", "cli_pager = less\ns3 =\n  max_concurrent_requests = 10\n"), env: dev},
			b: idSetup{config: role("arn:aws:iam::1:role/a", "cli_pager =\ns3 =\n  max_concurrent_requests = 20\n  multipart_threshold = 64MB\n"), env: dev}},
		{name: "another profile changes", equal: true,
			a: idSetup{config: role("arn:aws:iam::1:role/a", "") + "[profile other]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\n", env: dev},
			b: idSetup{config: role("arn:aws:iam::1:role/a", "") + "[profile other]\nrole_arn = arn:aws:iam::1:role/y\nsource_profile = base\n", env: dev}},
		{name: "comments, blank lines, key order and CRLF", equal: true,
			a: idSetup{config: role("arn:aws:iam::1:role/a", "external_id = e\n"), env: dev},
			b: idSetup{config: strings.ReplaceAll("# top\n[profile dev]\n; why\nexternal_id = e\n\nsource_profile = base\nrole_arn = arn:aws:iam::1:role/a ; trailing\n"+staticBase, "\n", "\r\n"), env: dev}},
		{name: "AWS_SESSION_TOKEN changes with the same key id", equal: true,
			a: idSetup{env: envKeys("ASIAENVKEY000001", sentEnvSecret, sentEnvToken)},
			b: idSetup{env: envKeys("ASIAENVKEY000001", sentEnvSecret, sentEnvToken+"2")}},
		{name: "AWS_SECRET_ACCESS_KEY changes with the same key id", equal: true,
			a: idSetup{env: envKeys("AKIAENVKEY000001", sentEnvSecret, "")},
			b: idSetup{env: envKeys("AKIAENVKEY000001", sentEnvSecret+"2", "")}},
		{name: "AWS_REGION changes", equal: true,
			a: idSetup{env: map[string]string{"AWS_REGION": "us-east-1"}},
			b: idSetup{env: map[string]string{"AWS_REGION": "eu-west-1"}}},
		{name: "SSO token cache content changes", equal: true,
			a: idSetup{config: sso("111111111111", "Admin", "https://corp.awsapps.com/start"), env: ssoEnv,
				files: map[string]string{cacheFile: `{"accessToken":"one","expiresAt":"2026-01-01T00:00:00Z"}`}},
			b: idSetup{config: sso("111111111111", "Admin", "https://corp.awsapps.com/start"), env: ssoEnv,
				files: map[string]string{cacheFile: `{"accessToken":"two","expiresAt":"2026-02-01T00:00:00Z"}`}}},
		{name: "SSO token cache file appears", equal: true,
			a: idSetup{config: legacySSO("1", "r", "https://a.awsapps.com/start")},
			b: idSetup{config: legacySSO("1", "r", "https://a.awsapps.com/start"),
				files: map[string]string{cacheFile: `{"accessToken":"t"}`}}},
		{name: "web identity token content changes (profile)", equal: true,
			a: idSetup{config: webIdentity, env: map[string]string{"AWS_PROFILE": "wi"}, files: map[string]string{"token": "jwt-one"}},
			b: idSetup{config: webIdentity, env: map[string]string{"AWS_PROFILE": "wi"}, files: map[string]string{"token": "jwt-two"}}},
		{name: "web identity token content changes (env)", equal: true,
			a: idSetup{env: map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": "$DIR/token", "AWS_ROLE_ARN": "arn:aws:iam::1:role/a"}, files: map[string]string{"token": "jwt-one"}},
			b: idSetup{env: map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": "$DIR/token", "AWS_ROLE_ARN": "arn:aws:iam::1:role/a"}, files: map[string]string{"token": "jwt-two"}}},
		{name: "quoted and unquoted values", equal: true,
			a: idSetup{config: "[default]\ncredential_process = /bin/creds\n"},
			b: idSetup{config: "[default]\ncredential_process = \"/bin/creds\"\n"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			a := mustResolveIn(t, dir, tc.a)
			b := mustResolveIn(t, dir, tc.b)
			if (a.ID == b.ID) != tc.equal {
				t.Errorf("IDs equal = %v, want %v\n a: %s %q\n b: %s %q", a.ID == b.ID, tc.equal, a.ID, a.Description, b.ID, b.Description)
			}
			// Resolving is deterministic.
			if again := mustResolveIn(t, dir, tc.b); again != b {
				t.Errorf("second resolve differs: %+v vs %+v", again, b)
			}
		})
	}
}

func TestResolveIdentityHidesSecrets(t *testing.T) {
	fileKeys := "aws_access_key_id = " + sentKeyID + "\naws_secret_access_key = " + sentSecret + "\naws_session_token = " + sentToken + "\naws_security_token = " + sentToken + "\n"
	envAll := map[string]string{
		"AWS_ACCESS_KEY_ID": sentEnvKeyID, "AWS_SECRET_ACCESS_KEY": sentEnvSecret, "AWS_SESSION_TOKEN": sentEnvToken,
		"AWS_ACCESS_KEY": sentAliasKeyID, "AWS_SECRET_KEY": sentEnvSecret,
	}
	setups := []idSetup{
		{env: envAll},
		{env: map[string]string{"AWS_ACCESS_KEY": sentAliasKeyID, "AWS_SECRET_KEY": sentEnvSecret, "AWS_SESSION_TOKEN": sentEnvToken}},
		{creds: "[default]\n" + fileKeys},
		{config: "[default]\n" + fileKeys},
		{config: "[profile base]\n" + fileKeys + "[profile dev]\nrole_arn = arn:aws:iam::1:role/dev\nsource_profile = base\n", env: map[string]string{"AWS_PROFILE": "dev"}},
		{config: "[profile self]\nrole_arn = arn:aws:iam::1:role/self\nsource_profile = self\n" + fileKeys, env: map[string]string{"AWS_PROFILE": "self"}},
		{creds: "[base]\n" + fileKeys, config: "[profile dev]\nrole_arn = arn:aws:iam::1:role/dev\nsource_profile = base\n", env: map[string]string{"AWS_PROFILE": "dev", "AWS_SESSION_TOKEN": sentEnvToken}},
		{creds: "[default]\n" + fileKeys, env: map[string]string{"AWS_SECRET_ACCESS_KEY": sentEnvSecret, "AWS_SESSION_TOKEN": sentEnvToken}},
		{creds: "[default]\n" + fileKeys, env: map[string]string{"AWS_EC2_METADATA_DISABLED": "true", "AWS_PROFILE": "default"}},
		{creds: "[default]\naws_access_key_id = " + sentKeyID + "\n", env: map[string]string{"AWS_EC2_METADATA_DISABLED": "true"}}, // partial keys
	}
	secrets := []string{sentSecret, sentToken, sentEnvSecret, sentEnvToken, sentKeyID, sentEnvKeyID, sentAliasKeyID,
		// nor any longer piece of a key id than its last 4 characters
		sentKeyID[:len(sentKeyID)-4], sentKeyID[len(sentKeyID)-5:],
		sentEnvKeyID[:len(sentEnvKeyID)-4], sentEnvKeyID[len(sentEnvKeyID)-5:],
		sentAliasKeyID[:len(sentAliasKeyID)-4], sentAliasKeyID[len(sentAliasKeyID)-5:],
		"SENTINEL",
	}
	for i, s := range setups {
		id := mustResolveIn(t, t.TempDir(), s)
		for _, secret := range secrets {
			if strings.Contains(id.ID, secret) || strings.Contains(id.Description, secret) || strings.Contains(id.Profile, secret) {
				t.Errorf("setup %d: %q leaks in %+v", i, secret, id)
			}
		}
	}
}

// TestResolveIdentityAgreesWithSDK loads the SDK's own default config for the
// static-key configurations (no network: static keys need none, and IMDS is
// disabled) and checks that it picks the key ResolveIdentity names, or fails
// where ResolveIdentity fails.
func TestResolveIdentityAgreesWithSDK(t *testing.T) {
	keys := func(id string) string { return "aws_access_key_id = " + id + "\naws_secret_access_key = s\n" }
	cases := []struct {
		name  string
		setup idSetup
		want  string // last 4 of the key the SDK uses; "" means an error or no credentials
	}{
		{"env keys", idSetup{env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIAENV00000E001", "AWS_SECRET_ACCESS_KEY": "x"}}, "E001"},
		{"env keys beat AWS_PROFILE", idSetup{config: "[profile p]\n" + keys("AKIAPRO00000P001"), env: map[string]string{"AWS_PROFILE": "p", "AWS_ACCESS_KEY_ID": "AKIAENV00000E002", "AWS_SECRET_ACCESS_KEY": "x"}}, "E002"},
		{"alias keys", idSetup{env: map[string]string{"AWS_ACCESS_KEY": "AKIAALI00000A001", "AWS_SECRET_KEY": "x"}}, "A001"},
		{"AWS_PROFILE", idSetup{config: "[profile p]\n" + keys("AKIAPRO00000P002"), creds: "[default]\n" + keys("AKIADEF00000D001"), env: map[string]string{"AWS_PROFILE": "p"}}, "P002"},
		{"AWS_DEFAULT_PROFILE", idSetup{config: "[profile p]\n" + keys("AKIAPRO00000P003"), creds: "[default]\n" + keys("AKIADEF00000D002"), env: map[string]string{"AWS_DEFAULT_PROFILE": "p"}}, "P003"},
		{"missing AWS_DEFAULT_PROFILE", idSetup{creds: "[default]\n" + keys("AKIADEF00000D003"), env: map[string]string{"AWS_DEFAULT_PROFILE": "nope"}}, ""},
		{"missing AWS_PROFILE", idSetup{creds: "[default]\n" + keys("AKIADEF00000D004"), env: map[string]string{"AWS_PROFILE": "nope"}}, ""},
		{"default in credentials", idSetup{creds: "[default]\n" + keys("AKIADEF00000D005")}, "D005"},
		{"credentials file beats config file", idSetup{config: "[default]\n" + keys("AKIACFG00000C001"), creds: "[default]\n" + keys("AKIADEF00000D006")}, "D006"},
		{"indented properties", idSetup{config: "[profile p]\n  " + strings.ReplaceAll(keys("AKIAIND00000I001"), "\n", "\n  "), env: map[string]string{"AWS_PROFILE": "p"}}, "I001"},
		{"colon separator", idSetup{config: "[profile p]\naws_access_key_id: AKIACOL00000K001\naws_secret_access_key: s\n", env: map[string]string{"AWS_PROFILE": "p"}}, "K001"},
		{"quotes and inline comment", idSetup{config: "[profile p]\naws_access_key_id = \"AKIAQUO00000Q001\"\naws_secret_access_key = s # c\n", env: map[string]string{"AWS_PROFILE": "p"}}, "Q001"},
		{"spaced header and CRLF", idSetup{config: "[ profile   p ]\r\n" + strings.ReplaceAll(keys("AKIASPC00000S001"), "\n", "\r\n"), env: map[string]string{"AWS_PROFILE": "p"}}, "S001"},
		{"partial keys", idSetup{creds: "[default]\naws_access_key_id = AKIAPAR00000X001\n"}, ""},
		{"source_profile loop", idSetup{config: "[profile c]\nrole_arn = arn:aws:iam::1:role/c\nsource_profile = d\n[profile d]\nrole_arn = arn:aws:iam::1:role/d\nsource_profile = c\n", env: map[string]string{"AWS_PROFILE": "c"}}, ""},
		{"missing source_profile", idSetup{config: "[default]\nrole_arn = arn:aws:iam::1:role/c\nsource_profile = gone\n"}, ""},
	}
	// The SDK reads the process environment: clear every variable it could use.
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			id, idErr := resolveIn(t, dir, tc.setup)
			env := map[string]string{
				"HOME":                        filepath.Join(dir, "home"),
				"USERPROFILE":                 filepath.Join(dir, "home"),
				"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
				"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
				"AWS_EC2_METADATA_DISABLED":   "true",
			}
			for k, v := range tc.setup.env {
				env[k] = v
			}
			for k, v := range env {
				t.Setenv(k, v)
			}
			got := ""
			cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"))
			if err == nil {
				if creds, err := cfg.Credentials.Retrieve(context.Background()); err == nil {
					got = local.Last4(creds.AccessKeyID)
				}
			}
			if got != tc.want {
				t.Fatalf("SDK used key …%q, test expects …%q", got, tc.want)
			}
			switch {
			case tc.want == "":
				if idErr == nil && (id.Source == SourceStatic || id.Source == SourceEnv) {
					t.Errorf("SDK has no credentials, ResolveIdentity says %+v", id)
				}
			case idErr != nil:
				t.Errorf("SDK used …%s, ResolveIdentity failed: %v", tc.want, idErr)
			case !strings.Contains(id.Description, "…"+tc.want):
				t.Errorf("SDK used …%s, ResolveIdentity says %q", tc.want, id.Description)
			}
		})
	}
}

// TestResolveIdentityNeverReadsRealHome: with HOME pointing at an empty
// directory and no file variables, nothing is configured.
func TestResolveIdentityNeverReadsRealHome(t *testing.T) {
	home := t.TempDir()
	id, err := ResolveIdentity(idEnv(map[string]string{"HOME": home, "USERPROFILE": home, "AWS_EC2_METADATA_DISABLED": "true"}))
	if err != nil || id.Source != SourceNone {
		t.Fatalf("got %+v, %v", id, err)
	}
	// Files under HOME/.aws are the defaults.
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".aws", "credentials"), []byte("[default]\naws_access_key_id = AKIAHOME0000H001\naws_secret_access_key = s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	id, err = ResolveIdentity(idEnv(map[string]string{"HOME": home, "USERPROFILE": home}))
	if err != nil || id.Source != SourceStatic || !strings.Contains(id.Description, "H001") {
		t.Fatalf("got %+v, %v", id, err)
	}
}

func BenchmarkResolveIdentity(b *testing.B) {
	dir := b.TempDir()
	var cfg, creds strings.Builder
	cfg.WriteString("[default]\nregion = us-east-1\noutput = json\ncli_pager =\n\n")
	cfg.WriteString("[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n")
	for _, p := range []struct{ name, body string }{
		{"base", "region = us-east-1\n"},
		{"dev", "role_arn = arn:aws:iam::111111111111:role/Developer\nsource_profile = base\nregion = eu-west-1\nmfa_serial = arn:aws:iam::000000000000:mfa/me\n"},
		{"staging", "role_arn = arn:aws:iam::222222222222:role/Deploy\nsource_profile = base\nexternal_id = staging-ext\nduration_seconds = 3600\n"},
		{"prod", "role_arn = arn:aws:iam::333333333333:role/ReadOnly\nsource_profile = dev\nrole_session_name = me\n"},
		{"sso-admin", "sso_session = corp\nsso_account_id = 444444444444\nsso_role_name = AdministratorAccess\nregion = us-west-2\n"},
		{"sso-ro", "sso_session = corp\nsso_account_id = 555555555555\nsso_role_name = ReadOnly\n"},
		{"legacy-sso", "sso_start_url = https://old.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 666666666666\nsso_role_name = Dev\n"},
		{"ci", "credential_process = /usr/local/bin/aws-vault export --format=json ci\n"},
		{"ec2", "role_arn = arn:aws:iam::777777777777:role/Ec2\ncredential_source = Ec2InstanceMetadata\n"},
		{"eks", "role_arn = arn:aws:iam::888888888888:role/Pod\nweb_identity_token_file = /var/run/secrets/eks.amazonaws.com/serviceaccount/token\n"},
	} {
		cfg.WriteString("# " + p.name + "\n[profile " + p.name + "]\n" + p.body + "s3 =\n  max_concurrent_requests = 20\n\n")
	}
	creds.WriteString("[default]\naws_access_key_id = AKIADEFAULT00001\naws_secret_access_key = " + sentSecret + "\n\n")
	creds.WriteString("[base]\naws_access_key_id = AKIABASEKEY00001\naws_secret_access_key = " + sentSecret + "\n")
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(cfg.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "credentials"), []byte(creds.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	env := idEnv(map[string]string{
		"HOME":                        dir,
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_PROFILE":                 "prod", // prod -> dev -> base: a three-profile chain
		"AWS_REGION":                  "us-east-1",
	})
	want, err := ResolveIdentity(env)
	if err != nil || want.Source != SourceAssumeRole {
		b.Fatalf("got %+v, %v", want, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		id, err := ResolveIdentity(env)
		if err != nil || id.ID != want.ID {
			b.Fatalf("got %+v, %v", id, err)
		}
	}
}
