// Shared config and credentials files as the identity resolver reads them:
// sections, the profile merge rules of the SDK, and profile chains
// (source_profile / role_arn) with their cycle and depth checks.

package local

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// section is one [profile x], [x] or [sso-session x] block.
type section struct {
	name   string
	values map[string]string
	// unmerged: credentials-file settings of a profile the config file
	// also has, which the SDK does not read (see sharedFiles.profile).
	unmerged map[string]string
}

func (s section) get(k string) string { return s.values[k] }

// hasStaticKeys is the SDK's test: a key id without its secret is ignored.
func (s section) hasStaticKeys() bool {
	return s.get("aws_access_key_id") != "" && s.get("aws_secret_access_key") != ""
}

// hasSSO is the SDK's test for an SSO profile, with or without sso-session.
func (s section) hasSSO() bool {
	return s.get("sso_session") != "" || s.get("sso_start_url") != "" || s.get("sso_account_id") != "" ||
		s.get("sso_role_name") != "" || s.get("sso_region") != ""
}

// sharedFiles holds the parsed config and credentials files.
type sharedFiles struct {
	config, credentials map[string]section // by header as written: "profile x", "default", "sso-session y"
	configPath          string
	credentialsPath     string
}

func loadSharedFiles(env Getenv) (sharedFiles, error) {
	var f sharedFiles
	var err error
	f.configPath, f.credentialsPath = SharedConfigPaths(env)
	if f.config, err = parseINIFile(f.configPath); err != nil {
		return f, err
	}
	if f.credentials, err = parseINIFile(f.credentialsPath); err != nil {
		return f, err
	}
	return f, nil
}

// profile merges [profile name] (or [default]) from config with [name] from
// credentials, as the SDK's LoadSharedConfigProfile does. A config section
// named default in any case ([default], [Default]) is kept under that name,
// and [profile NAME] replaces it whole (processConfigSections,
// renameProfileSection). When both files hold the profile, the credentials
// file adds only the keys the SDK merges (mergeSections: static keys when
// both halves are there, and mergedProfileKeys); its other settings
// (endpoint_url, services, ...) are not read by the SDK and are kept in
// unmerged, which the key holds too (a later SDK may read them).
func (f sharedFiles) profile(name string) (section, bool) {
	c, ok := f.config["profile "+name]
	if !ok && strings.EqualFold(name, "default") {
		c, ok = f.config[name]
	}
	return mergeSection(name, c, ok, f.credentials[name])
}

// named is an [sso-session x] or [services x] section: the SDK looks it up
// among the config and credentials files' sections merged the same way.
func (f sharedFiles) named(header string) (section, bool) {
	c, ok := f.config[header]
	return mergeSection(header, c, ok, f.credentials[header])
}

// mergeSection is config.mergeSections for one section: the credentials
// file's section whole when the config file has none, else only the keys
// the SDK merges over the config file's.
func mergeSection(name string, cfg section, cfgOK bool, cred section) (section, bool) {
	s := section{name: name, values: map[string]string{}}
	for k, v := range cfg.values {
		s.values[k] = v
	}
	if cred.values == nil {
		return s, cfgOK
	}
	if !cfgOK {
		for k, v := range cred.values {
			s.values[k] = v
		}
		return s, true
	}
	_, hasID := cred.values["aws_access_key_id"]
	_, hasSecret := cred.values["aws_secret_access_key"]
	for k, v := range cred.values {
		switch {
		case mergedProfileKeys[k]:
			s.values[k] = v
		case hasID && hasSecret && (k == "aws_access_key_id" || k == "aws_secret_access_key" || k == "aws_session_token"):
			s.values[k] = v
		default:
			if s.unmerged == nil {
				s.unmerged = map[string]string{}
			}
			s.unmerged[k] = v
		}
	}
	return s, true
}

// mergedProfileKeys are the settings the SDK takes from the credentials file
// for a profile the config file also has (config.mergeSections' stringKeys).
var mergedProfileKeys = map[string]bool{
	"role_arn": true, "source_profile": true, "credential_source": true, "external_id": true,
	"mfa_serial": true, "role_session_name": true, "region": true, "endpoint_discovery_enabled": true,
	"credential_process": true, "web_identity_token_file": true, "s3_use_arn_region": true,
	"s3_disable_multiregion_access_points": true, "ec2_metadata_service_endpoint_mode": true,
	"ec2_metadata_service_endpoint": true, "ec2_metadata_v1_disabled": true, "use_dualstack_endpoint": true,
	"use_fips_endpoint": true, "defaults_mode": true, "retry_mode": true, "ca_bundle": true,
	"duration_seconds": true, "max_attempts": true, "sso_session": true, "sso_account_id": true,
	"sso_region": true, "sso_role_name": true, "sso_start_url": true, "auth_scheme_preference": true,
	"login_session": true,
}

// profileChain follows source_profile from name, adding each profile's
// identity-relevant settings to lines. A missing first profile is an error
// only when strict (named by AWS_PROFILE); a missing source_profile, or a
// chain that comes back to a profile without credentials of its own, always
// is. As in the SDK (SharedConfig.setFromIniSections), a source profile with
// static keys ends the chain, and a profile met again is used for its own
// keys or SSO settings only.
func (f sharedFiles) profileChain(name string, strict bool, lines *[]string) ([]section, error) {
	var chain []section
	seen := map[string]bool{}
	for depth := 0; ; depth++ {
		p, ok := f.profile(name)
		switch {
		case !ok && depth == 0 && !strict:
			return nil, nil
		case !ok && depth == 0:
			return nil, fmt.Errorf("AWS profile %q is not defined in %s or %s", name, f.configPath, f.credentialsPath)
		case !ok:
			return chain, fmt.Errorf("AWS profile %q: source_profile %q is not defined in %s or %s",
				chain[len(chain)-1].name, name, f.configPath, f.credentialsPath)
		case seen[name] && (p.hasStaticKeys() || p.hasSSO()):
			return chain, nil
		case seen[name]:
			return chain, fmt.Errorf("AWS profile %q: source_profile chain loops back to %q, which has no credentials of its own",
				chain[0].name, name)
		case depth > 32:
			return chain, fmt.Errorf("AWS profile %q: source_profile chain is too long", chain[0].name)
		}
		seen[name] = true
		chain = append(chain, p)
		for _, k := range slices.Sorted(maps.Keys(p.values)) {
			v := p.values[k]
			switch {
			case ignoredProfileKeys[k] || strings.HasPrefix(k, "cli_") || strings.HasPrefix(k, "s3") || strings.Contains(k, "."):
				continue
			case k == "aws_access_key_id":
				v = HashString(v)
			}
			*lines = append(*lines, fmt.Sprintf("profile[%d].%s=%s", depth, k, v))
		}
		for _, k := range slices.Sorted(maps.Keys(p.unmerged)) {
			v := p.unmerged[k]
			switch {
			case ignoredProfileKeys[k]:
				continue
			case k == "aws_access_key_id":
				v = HashString(v)
			}
			*lines = append(*lines, fmt.Sprintf("profile[%d].unmerged.%s=%s", depth, k, v))
		}
		if ss := p.get("sso_session"); ss != "" {
			if sec, ok := f.named("sso-session " + ss); ok {
				for _, k := range []string{"sso_start_url", "sso_region"} {
					*lines = append(*lines, fmt.Sprintf("profile[%d].sso-session.%s=%s", depth, k, sec.get(k)))
				}
			}
		}
		// endpoint_url and ignore_configured_endpoint_urls are in the lines
		// above; the [services x] section a profile names is too.
		if sv := p.get("services"); sv != "" {
			if sec, ok := f.named("services " + sv); ok {
				for _, k := range slices.Sorted(maps.Keys(sec.values)) {
					*lines = append(*lines, fmt.Sprintf("profile[%d].services.%s=%s", depth, k, sec.values[k]))
				}
				for _, k := range slices.Sorted(maps.Keys(sec.unmerged)) {
					*lines = append(*lines, fmt.Sprintf("profile[%d].services.unmerged.%s=%s", depth, k, sec.unmerged[k]))
				}
			}
		}
		if depth > 0 && p.hasStaticKeys() {
			return chain, nil
		}
		if name = p.get("source_profile"); name == "" {
			return chain, nil
		}
	}
}
