package local

import (
	"fmt"
	"os"
	"strings"
)

// The AWS settings ecr reads from the environment snapshot (Config.Env,
// WithEnv), each resolved in one place here. The rule that makes reading a
// snapshot safe: the AWS SDK does not take an environment, it reads the
// process's own (os.Getenv), so the snapshot must BE the process
// environment. The binaries pass os.Environ() taken at start and never
// change the environment afterwards; tests that run the real SDK set the
// process environment (t.Setenv) and pass a snapshot of it. CheckSnapshot
// holds the SDK fetcher to that rule, so a snapshot that names an endpoint
// or an identity the SDK would not see is an error, never a silent call
// to real AWS or a token cached under the wrong key.

// Endpoint variables, in the SDK's words.
const (
	envIgnoreEndpoints   = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
	envEndpoint          = "AWS_ENDPOINT_URL"
	envEndpointECR       = "AWS_ENDPOINT_URL_ECR"
	envEndpointECRPublic = "AWS_ENDPOINT_URL_ECR_PUBLIC"
)

// endpointKeyed are the environment variables that choose an endpoint: the
// registry's, and those of the services credentials come from.
var endpointKeyed = []string{
	envIgnoreEndpoints, envEndpoint,
	envEndpointECR, envEndpointECRPublic, "AWS_ENDPOINT_URL_STS",
	"AWS_ENDPOINT_URL_SSO", "AWS_ENDPOINT_URL_SSO_OIDC", "AWS_ENDPOINT_URL_SIGNIN",
	// The endpoint variant the SDK picks for ECR (when the registry host
	// does not decide it), STS, SSO and sign-in; use_fips_endpoint and
	// use_dualstack_endpoint in a profile are keyed with the profile.
	"AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT",
}

// EnvEndpointOverride reports whether the environment names an endpoint URL
// for service (ServicePrivate or ServicePublic) that the SDK will use.
func EnvEndpointOverride(env Getenv, service Service) bool {
	return envEndpointURL(env, service) != ""
}

// envEndpointURL is the endpoint URL the environment names for service and
// the SDK will use, or "".
func envEndpointURL(env Getenv, service Service) string {
	if strings.EqualFold(env(envIgnoreEndpoints), "true") {
		return ""
	}
	svc := envEndpointECR
	if service == ServicePublic {
		svc = envEndpointECRPublic
	}
	return firstEnv(env, svc, envEndpoint)
}

// VerifiesWithSystemRoots reports whether a call to service will most
// likely check the server's certificate against the system's roots, which
// crypto/x509 loads (tens of milliseconds with a full bundle) on a process's
// first TLS handshake: no AWS_CA_BUNDLE, and no plain-HTTP endpoint in the
// environment. A ca_bundle or endpoint_url in a profile is not looked at;
// being wrong only moves or wastes that load.
func VerifiesWithSystemRoots(env Getenv, service Service) bool {
	return env("AWS_CA_BUNDLE") == "" &&
		!strings.HasPrefix(strings.ToLower(envEndpointURL(env, service)), "http://")
}

// DefaultRegion is the region of a call no registry host decides (login,
// the doctor's credential step): AWS_REGION, else AWS_DEFAULT_REGION, else
// us-east-1.
func DefaultRegion(env Getenv) string {
	if r := firstEnv(env, "AWS_REGION", "AWS_DEFAULT_REGION"); r != "" {
		return r
	}
	return "us-east-1"
}

// snapshotChecked are the variables CheckSnapshot compares: every one that
// goes into the cache key, plus the region and the credential keys.
var snapshotChecked = func() []string {
	l := append(append([]string{
		"HOME", "USERPROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
		"AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN",
	}, envKeyed...), endpointKeyed...)
	return l
}()

// CheckSnapshot fails when env disagrees with the process environment on a
// variable the SDK reads (see the rule at the top of this file). The names
// are in the message, never the values (they may be secrets).
func CheckSnapshot(env Getenv) error {
	var differ []string
	for _, k := range snapshotChecked {
		if env(k) != os.Getenv(k) {
			differ = append(differ, k)
		}
	}
	if len(differ) == 0 {
		return nil
	}
	return fmt.Errorf("internal error: the environment snapshot differs from the process environment, which the AWS SDK reads, on %s", strings.Join(differ, ", "))
}
