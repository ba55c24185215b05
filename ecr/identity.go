package ecr

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
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
//     AWS_DEFAULT_PROFILE), the config and credentials file paths,
//     AWS_ACCESS_KEY_ID (hashed; it is per principal for long-term keys and per
//     session for temporary ones), AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE,
//     AWS_ROLE_SESSION_NAME, the container credential URIs, and the IMDS
//     settings.
//   - For the selected profile and every profile reached through
//     source_profile (and its sso-session section): every setting except
//     secrets (secret key, session token) and settings that cannot change the
//     principal (region, output, retries, cli_*). A static key id is hashed.
//     So role_arn, external_id, sso_account_id + sso_role_name + sso_start_url,
//     credential_process, web_identity_token_file, credential_source all count.
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
}

// Source is the kind of credential source the SDK's default chain will use.
type Source string

// Credential sources, in the SDK's words.
const (
	SourceEnv         Source = "environment"
	SourceStatic      Source = "shared-config static keys"
	SourceAssumeRole  Source = "assume role"
	SourceSSO         Source = "sso"
	SourceProcess     Source = "credential_process"
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
	"defaults_mode": true, "tcp_keepalive": true, "use_fips_endpoint": true,
	"use_dualstack_endpoint": true, "sdk_ua_app_id": true,
}

// ResolveIdentity works out which credentials the default chain will use.
// It reads only the environment and the shared config and credentials files.
func ResolveIdentity(env Getenv) (Identity, error) {
	files, err := loadSharedFiles(env)
	if err != nil {
		return Identity{}, err
	}
	var lines []string
	add := func(k, v string) {
		if v != "" {
			lines = append(lines, k+"="+v)
		}
	}
	for _, k := range []string{
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
		"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_SESSION_NAME",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
	} {
		add(k, env(k))
	}
	add("AWS_ACCESS_KEY_ID#", hashString(env("AWS_ACCESS_KEY_ID")))

	id := Identity{}
	profileSet := env("AWS_PROFILE") != ""
	profile := env("AWS_PROFILE")
	if profile == "" {
		profile = "default"
	}
	chain, chainErr := files.profileChain(profile, &lines)
	envKeys := env("AWS_ACCESS_KEY_ID") != "" && env("AWS_SECRET_ACCESS_KEY") != ""

	// The SDK's precedence: an explicitly chosen profile, then environment
	// keys, then web identity from the environment, then the default profile,
	// whose last resorts are container credentials and IMDS.
	switch {
	case profileSet && chainErr != nil:
		return Identity{}, chainErr
	case !profileSet && envKeys:
		id.Source = SourceEnv
		id.Description = "environment variables AWS_ACCESS_KEY_ID (…" + last4(env("AWS_ACCESS_KEY_ID")) + ")"
	case !profileSet && env("AWS_WEB_IDENTITY_TOKEN_FILE") != "":
		id.Source = SourceWebIdentity
		id.Description = "web identity token " + env("AWS_WEB_IDENTITY_TOKEN_FILE") + " for role " + env("AWS_ROLE_ARN")
	default:
		id.Profile = profile
		id.Source, id.Description = describeChain(chain, env)
		if !profileSet && len(chain) == 0 {
			id.Profile = ""
		}
	}
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	id.ID = hex.EncodeToString(sum[:16])
	return id, nil
}

// describeChain names the source of the profile chain (first element is the
// selected profile, each next one its source_profile).
func describeChain(chain []section, env Getenv) (Source, string) {
	if len(chain) == 0 {
		return fallbackSource(env, "no profile configured")
	}
	p := chain[0]
	name := fmt.Sprintf("profile %q", p.name)
	if p.get("role_arn") != "" {
		via := ""
		switch {
		case p.get("source_profile") != "" && len(chain) > 1:
			_, d := describeChain(chain[1:], env)
			via = " with " + d
		case p.get("credential_source") != "":
			via = " with " + p.get("credential_source")
		case p.get("web_identity_token_file") != "":
			return SourceWebIdentity, name + ": web identity for role " + p.get("role_arn")
		}
		return SourceAssumeRole, name + ": assume role " + p.get("role_arn") + via
	}
	switch {
	case p.get("aws_access_key_id") != "":
		return SourceStatic, name + ": static keys (…" + last4(p.get("aws_access_key_id")) + ")"
	case p.get("sso_session") != "" || p.get("sso_start_url") != "":
		return SourceSSO, fmt.Sprintf("%s: SSO account %s role %s", name, p.get("sso_account_id"), p.get("sso_role_name"))
	case p.get("credential_process") != "":
		return SourceProcess, name + ": credential_process"
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

// section is one [profile x], [x] or [sso-session x] block.
type section struct {
	name   string
	values map[string]string
}

func (s section) get(k string) string { return s.values[k] }

// sharedFiles holds the parsed config and credentials files.
type sharedFiles struct {
	config, credentials map[string]section // by header as written: "profile x", "default", "sso-session y"
	configPath          string
}

func loadSharedFiles(env Getenv) (sharedFiles, error) {
	home := env("HOME")
	if home == "" {
		home = env("USERPROFILE")
	}
	cfgPath := env("AWS_CONFIG_FILE")
	if cfgPath == "" && home != "" {
		cfgPath = filepath.Join(home, ".aws", "config")
	}
	credPath := env("AWS_SHARED_CREDENTIALS_FILE")
	if credPath == "" && home != "" {
		credPath = filepath.Join(home, ".aws", "credentials")
	}
	var f sharedFiles
	var err error
	f.configPath = cfgPath
	if f.config, err = parseINIFile(cfgPath); err != nil {
		return f, err
	}
	if f.credentials, err = parseINIFile(credPath); err != nil {
		return f, err
	}
	return f, nil
}

// profile merges [profile name] (or [default]) from config with [name] from credentials.
func (f sharedFiles) profile(name string) (section, bool) {
	s := section{name: name, values: map[string]string{}}
	found := false
	cfgName := "profile " + name
	if name == "default" {
		if d, ok := f.config["default"]; ok {
			found = true
			for k, v := range d.values {
				s.values[k] = v
			}
		}
	}
	if c, ok := f.config[cfgName]; ok {
		found = true
		for k, v := range c.values {
			s.values[k] = v
		}
	}
	if c, ok := f.credentials[name]; ok {
		found = true
		for k, v := range c.values {
			s.values[k] = v
		}
	}
	return s, found
}

// profileChain follows source_profile from name, adding each profile's
// identity-relevant settings to lines. It returns an error when the named
// profile does not exist or the chain loops.
func (f sharedFiles) profileChain(name string, lines *[]string) ([]section, error) {
	var chain []section
	seen := map[string]bool{}
	for depth := 0; name != ""; depth++ {
		p, ok := f.profile(name)
		if !ok {
			if depth == 0 && name == "default" {
				return nil, nil
			}
			return chain, fmt.Errorf("AWS profile %q is not defined in %s or the shared credentials file", name, f.configPath)
		}
		if seen[name] || depth > 10 {
			return chain, fmt.Errorf("AWS profile %q: source_profile chain loops", name)
		}
		seen[name] = true
		chain = append(chain, p)
		keys := make([]string, 0, len(p.values))
		for k := range p.values {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := p.values[k]
			switch {
			case ignoredProfileKeys[k] || strings.HasPrefix(k, "cli_") || strings.HasPrefix(k, "s3"):
				continue
			case k == "aws_access_key_id":
				v = hashString(v)
			}
			*lines = append(*lines, fmt.Sprintf("profile[%d].%s=%s", depth, k, v))
		}
		if ss := p.get("sso_session"); ss != "" {
			if sec, ok := f.config["sso-session "+ss]; ok {
				for _, k := range []string{"sso_start_url", "sso_region"} {
					*lines = append(*lines, fmt.Sprintf("profile[%d].sso-session.%s=%s", depth, k, sec.get(k)))
				}
			}
		}
		next := p.get("source_profile")
		if next == name && p.get("role_arn") != "" {
			// A profile may name itself as source for its own static keys.
			break
		}
		name = next
	}
	return chain, nil
}

// parseINIFile reads an AWS shared config file; a missing file is empty.
func parseINIFile(path string) (map[string]section, error) {
	out := map[string]section{}
	if path == "" {
		return out, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return out, nil
		}
		return nil, fmt.Errorf("reading AWS shared config %s: %w", path, err)
	}
	var cur *section
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		raw := sc.Text()
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			end := strings.IndexByte(line, ']')
			if end < 0 {
				cur = nil
				continue
			}
			name := strings.Join(strings.Fields(line[1:end]), " ")
			s, ok := out[name]
			if !ok {
				s = section{name: name, values: map[string]string{}}
				out[name] = s
			}
			cur = &s
			continue
		}
		if cur == nil || raw[0] == ' ' || raw[0] == '\t' {
			continue // nested sub-section values (e.g. s3 =\n  x = y) never name a principal
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		cur.values[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading AWS shared config %s: %w", path, err)
	}
	return out, nil
}

func hashString(s string) string {
	if s == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

func last4(s string) string {
	if len(s) <= 4 {
		return s
	}
	return s[len(s)-4:]
}
