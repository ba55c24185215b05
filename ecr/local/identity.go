package local

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Identity is a cheap, local description of the credentials the AWS SDK's
// default chain will use. It is computed without building the chain, calling
// STS or IMDS, running credential_process or reading SSO token files, so a
// cache hit costs two small file reads.
//
// # Cache key scheme
//
// ID is a SHA-256 over a canonical list of "name=value" lines: every input that
// can decide which principal the chain resolves to, and none that changes with
// each session of the same principal.
//
//   - The environment variables the chain reads: AWS_PROFILE (and
//     AWS_DEFAULT_PROFILE), AWS_ACCESS_KEY_ID or its alias AWS_ACCESS_KEY
//     (hashed; it is per principal for long-term keys and per session for
//     temporary ones), AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE,
//     AWS_ROLE_SESSION_NAME, the container credential URIs and authorization
//     token (hashed; a token file by the hash of its content), the IMDS
//     settings, and AWS_LOGIN_CACHE_DIRECTORY (where login_session profiles
//     find their session).
//   - The home and the config and credentials file paths as the SDK finds
//     them (UserHomeDir, SharedConfigPaths), absolute.
//   - Endpoints: AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<service> for ECR, ECR
//     Public, STS, SSO, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, the FIPS and
//     dual-stack switches (AWS_USE_FIPS_ENDPOINT, use_fips_endpoint, ...:
//     they move ECR to another endpoint when the registry host does not
//     decide it, and STS and SSO always), and from the
//     profiles endpoint_url, ignore_configured_endpoint_urls and the
//     [services x] section they name. This is the one place that decides
//     what goes in the key; the Helper adds only the registry's service,
//     partition, region and endpoint variant.
//   - For the selected profile and every profile reached through
//     source_profile (and its sso-session section): every setting except
//     secrets (secret key, session token) and settings that cannot change the
//     principal (region, output, retries, cli_*). A static key id is hashed.
//     So role_arn, external_id, sso_account_id + sso_role_name + sso_start_url,
//     credential_process, web_identity_token_file, credential_source all count.
//     Profiles are read as the SDK reads them: [Default] in any case is a
//     config profile, and a profile in both files takes from the credentials
//     file only the keys the SDK merges (the others are keyed apart);
//     [sso-session x] and [services x] may come from either file, merged
//     the same way.
//
// A credential_process is keyed by its command line (and the profile around
// it): a process whose output depends on anything else (an environment
// variable it reads, a file, the time) must be run on every get, which the
// Helper does with Config.KeyByCredentials (AWS_ECR_KEY_BY_CREDENTIALS=true):
// the key then also holds the hash of the access key id the chain resolved.
//
// Inputs are over-approximated on purpose: including a variable the chain
// ignores only costs an extra miss, while leaving out one it uses could let
// two identities share an entry. What is left out by design: the session
// credentials an assumed role, SSO or IRSA produce (they rotate; the role is
// the identity), and the instance profile behind IMDS (unknowable without the
// network; one machine has one, `cache clear` handles the rare swap).
type Identity struct {
	// ID is the hex hash described above; it never contains a secret.
	ID string
	// Description says in words which source the chain will use, for logs,
	// errors and `cache list`. No secrets: a key id appears as its last 4 chars.
	Description string
	// Source is the kind of credential source the chain will use.
	Source Source
	// Profile is the shared-config profile in effect ("" when none applies).
	Profile string

	// mfaSession is the cache key of the MFA session, set only when the
	// chain the SDK resolves is this profile's and assumes a role with an
	// mfa_serial: a hash of everything that decides what the profile chain
	// resolves to (files, home, chain settings, endpoints), whichever way
	// the profile was selected (AWS_PROFILE, default, --profile).
	mfaSession string
}

// MFASession is the cache key of the identity's MFA session ("" when the
// chain asks for no MFA code; see the field).
func (id Identity) MFASession() string { return id.mfaSession }

// Source is the kind of credential source the SDK's default chain will use.
type Source string

// Credential sources, in the SDK's words.
const (
	SourceEnv         Source = "environment"
	SourceStatic      Source = "shared-config static keys"
	SourceAssumeRole  Source = "assume role"
	SourceSSO         Source = "sso"
	SourceProcess     Source = "credential_process"
	SourceLogin       Source = "login session"
	SourceWebIdentity Source = "web identity"
	SourceContainer   Source = "container credentials"
	SourceIMDS        Source = "ec2 instance metadata"
	SourceNone        Source = "none"
)

// Getenv looks up an environment variable; cmd/ passes a snapshot taken once.
type Getenv func(string) string

// ignoredProfileKeys cannot change the principal, or are secrets.
var ignoredProfileKeys = map[string]bool{
	"aws_secret_access_key": true, "aws_session_token": true, "aws_security_token": true,
	"region": true, "output": true, "retry_mode": true, "max_attempts": true,
	"duration_seconds": true, "parameter_validation": true, "ca_bundle": true,
	"defaults_mode": true, "tcp_keepalive": true, "sdk_ua_app_id": true,
}

// ResolveIdentity works out which credentials the default chain will use.
// It reads only the environment and the shared config and credentials files
// (and a container authorization token file, when one is named).
func ResolveIdentity(env Getenv) (Identity, error) {
	return resolveIdentity(env, "")
}

// envKeyed are the environment variables that go into the key as they are.
var envKeyed = []string{
	"AWS_PROFILE", "AWS_DEFAULT_PROFILE",
	"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_SESSION_NAME",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	"AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
	// login_session profiles read their session from this directory
	// (config.resolveLoginCredentials) instead of ~/.aws/login/cache.
	"AWS_LOGIN_CACHE_DIRECTORY",
}

// endpointKeyed (the endpoint variables) lives in env.go.

// resolveIdentity is ResolveIdentity; a non-empty forcedProfile is a profile
// chosen in code (a per-registry mapping, `login --profile`), which the SDK
// ranks above environment keys and which must exist.
func resolveIdentity(env Getenv, forcedProfile string) (Identity, error) {
	files, err := loadSharedFiles(env)
	if err != nil {
		return Identity{}, err
	}
	// lines: what decides the principal and the endpoint. profileLines: the
	// part that decides what the profile chain resolves to (the MFA session's key).
	var lines, profileLines []string
	add := func(k, v string) {
		if v != "" {
			lines = append(lines, k+"="+v)
		}
	}
	addBoth := func(k, v string) {
		add(k, v)
		if v != "" {
			profileLines = append(profileLines, k+"="+v)
		}
	}
	// sourceLines: what credential_source (Environment, EcsContainer,
	// Ec2InstanceMetadata) draws on.
	var sourceLines []string
	addSource := func(k, v string) {
		add(k, v)
		if v != "" {
			sourceLines = append(sourceLines, k+"="+v)
		}
	}
	for _, k := range envKeyed {
		if strings.HasPrefix(k, "AWS_CONTAINER_") || strings.HasPrefix(k, "AWS_EC2_METADATA_") {
			addSource(k, env(k))
		} else {
			add(k, env(k))
		}
	}
	for _, k := range endpointKeyed {
		addBoth(k, env(k))
	}
	// The SDK's home holds ~/.aws/sso/cache and ~/.aws/login/cache; the
	// files are keyed by absolute path.
	addBoth("home", absPath(UserHomeDir(env)))
	addBoth("config-file", files.configPath)
	addBoth("credentials-file", files.credentialsPath)
	// The SDK reads AWS_ACCESS_KEY and AWS_SECRET_KEY when the usual names are unset.
	accessKey := firstEnv(env, "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY")
	secretKey := firstEnv(env, "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY")
	addSource("AWS_ACCESS_KEY_ID#", HashString(accessKey))
	// Container credentials: the authorization token (EKS Pod Identity: the
	// token file) says who the caller is at a node-wide URI. Hashed, never
	// raw; a file is keyed by its content, so a rotated token costs a miss.
	addSource("AWS_CONTAINER_AUTHORIZATION_TOKEN#", HashString(env("AWS_CONTAINER_AUTHORIZATION_TOKEN")))
	if p := env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); p != "" {
		tok, err := readSmallFile(p)
		if err != nil && !errors.Is(err, errUnopenable) {
			return Identity{}, fmt.Errorf("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: %w", err)
		}
		addSource("container-token-file#", HashString(string(tok)))
	}

	// The profile: AWS_PROFILE, else AWS_DEFAULT_PROFILE, else "default". Only
	// a profile named by AWS_PROFILE must exist (the SDK then fails to load
	// its config); the others count as empty when missing. A broken
	// source_profile chain is an error in every case, as in the SDK.
	profile, strict := env("AWS_PROFILE"), true
	if forcedProfile != "" {
		profile = forcedProfile
		add("forced-profile", forcedProfile)
	}
	if profile == "" {
		profile, strict = env("AWS_DEFAULT_PROFILE"), false
	}
	if profile == "" {
		profile = "default"
	}
	profileLines = append(profileLines, "profile="+profile)
	var chainLines []string
	chain, err := files.profileChain(profile, strict, &chainLines)
	if err != nil {
		return Identity{}, err
	}
	if chainUsesCredentialSource(chain) {
		// Its role is assumed with what the environment holds (keys,
		// container token, IMDS settings): the MFA session's key holds it.
		profileLines = append(profileLines, sourceLines...)
	}
	lines = append(lines, chainLines...)
	profileLines = append(profileLines, chainLines...)

	// The SDK's precedence (config.resolveCredentialChain): environment keys,
	// then web identity from the environment, then the profile, whose last
	// resorts are container credentials and IMDS. AWS_PROFILE only chooses
	// the profile: it does not outrank environment keys (only a profile set
	// in code with config.WithSharedConfigProfile does).
	id := Identity{}
	switch {
	case forcedProfile != "":
		id.Profile = profile
		id.Source, id.Description = describeChain(chain, env)
	case accessKey != "" && secretKey != "":
		id.Source = SourceEnv
		id.Description = "environment variables AWS_ACCESS_KEY_ID (…" + Last4(accessKey) + ")"
	case env("AWS_WEB_IDENTITY_TOKEN_FILE") != "":
		id.Source = SourceWebIdentity
		id.Description = "web identity token " + env("AWS_WEB_IDENTITY_TOKEN_FILE") + " for role " + env("AWS_ROLE_ARN")
	case len(chain) == 0:
		id.Source, id.Description = fallbackSource(env, "no profile configured")
	default:
		id.Profile = profile
		id.Source, id.Description = describeChain(chain, env)
	}
	if id.Profile != "" && chainNeedsMFA(chain) {
		id.mfaSession = "mfa-session/" + hashLines(profileLines)
	}
	id.ID = hashLines(lines)
	return id, nil
}

// chainNeedsMFA: a role the chain assumes has an mfa_serial (a source
// profile with static keys ends the chain; its role_arn is not assumed).
func chainNeedsMFA(chain []section) bool {
	for i, p := range chain {
		if i > 0 && p.hasStaticKeys() {
			break
		}
		if p.get("role_arn") != "" && p.get("mfa_serial") != "" {
			return true
		}
	}
	return false
}

// chainUsesCredentialSource: a profile of the chain takes its credentials
// from credential_source (the environment, a container, IMDS).
func chainUsesCredentialSource(chain []section) bool {
	for _, p := range chain {
		if p.get("credential_source") != "" {
			return true
		}
	}
	return false
}

func hashLines(lines []string) string {
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:16])
}

// describeChain names the source of the profile chain (first element is the
// selected profile, each next one its source_profile), following the SDK's
// config.resolveCredsFromProfile: source_profile, static keys,
// credential_source, web identity, SSO, login session, credential_process,
// then container credentials and IMDS; role_arn, when set, is assumed with
// what that yields (web identity assumes its role itself).
func describeChain(chain []section, env Getenv) (Source, string) {
	if len(chain) == 0 {
		return fallbackSource(env, "no profile configured")
	}
	p := chain[0]
	name := fmt.Sprintf("profile %q", p.name)
	var src Source
	var what string
	switch sp := p.get("source_profile"); {
	case sp != "" && len(chain) > 1:
		src, what = describeChain(chain[1:], env)
	case sp != "" && p.hasStaticKeys():
		// Its own keys: a source profile with keys ends the chain (also
		// when it names itself).
		src, what = SourceStatic, "its static keys (…"+Last4(p.get("aws_access_key_id"))+")"
	case sp != "":
		// The chain came back to a profile already met; the SDK uses that
		// profile's own credentials.
		src, what = SourceStatic, fmt.Sprintf("the credentials of profile %q", sp)
	default:
		src, what = profileCredentials(p, name, env)
	}
	role := p.get("role_arn")
	switch {
	case role != "" && src == SourceWebIdentity && p.get("source_profile") == "":
		return SourceWebIdentity, name + ": web identity for role " + role
	case role != "":
		return SourceAssumeRole, name + ": assume role " + role + " with " + what
	case src == SourceContainer || src == SourceIMDS || src == SourceNone:
		return src, what
	}
	return src, name + ": " + what
}

// profileCredentials names the credentials a profile holds itself, or the
// fallback when it holds none.
func profileCredentials(p section, name string, env Getenv) (Source, string) {
	switch {
	case p.hasStaticKeys():
		return SourceStatic, "static keys (…" + Last4(p.get("aws_access_key_id")) + ")"
	case p.get("credential_source") != "":
		return SourceAssumeRole, "credential_source " + p.get("credential_source")
	case p.get("web_identity_token_file") != "":
		return SourceWebIdentity, "web identity token " + p.get("web_identity_token_file")
	case p.hasSSO():
		return SourceSSO, fmt.Sprintf("SSO account %s role %s", p.get("sso_account_id"), p.get("sso_role_name"))
	case p.get("login_session") != "":
		return SourceLogin, "login session " + p.get("login_session")
	case p.get("credential_process") != "":
		return SourceProcess, "credential_process"
	}
	return fallbackSource(env, name+" has no credentials")
}

func fallbackSource(env Getenv, why string) (Source, string) {
	switch {
	case env("AWS_CONTAINER_CREDENTIALS_FULL_URI") != "" || env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != "":
		return SourceContainer, "container credentials endpoint (ECS task role or EKS Pod Identity)"
	case strings.EqualFold(env("AWS_EC2_METADATA_DISABLED"), "true"):
		return SourceNone, why + "; IMDS disabled by AWS_EC2_METADATA_DISABLED"
	}
	return SourceIMDS, "EC2 instance metadata (instance profile)"
}

func firstEnv(env Getenv, names ...string) string {
	for _, n := range names {
		if v := env(n); v != "" {
			return v
		}
	}
	return ""
}

// HashString is the first 8 bytes of s's SHA-256 in hex ("" for ""):
// how key parts that could be secrets enter a key.
func HashString(s string) string {
	if s == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// Last4 is the end of an access key id, as messages show it.
func Last4(s string) string {
	if len(s) <= 4 {
		return s
	}
	return s[len(s)-4:]
}
