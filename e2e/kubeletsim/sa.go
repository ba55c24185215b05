package main

// Service account tokens for credential providers (KEP-4412, Kubernetes
// 1.34+), the way kubelet passes them: only to a provider with
// tokenAttributes, a token for the pod's service account with the
// configured audience, and the service account's annotations named in
// required/optionalServiceAccountAnnotationKeys.

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	configv1 "k8s.io/kubelet/config/v1"
)

// serviceAccount is the pod's service account as given on the command line.
type serviceAccount struct {
	namespace, name string
	annotations     map[string]string
	issuer          string
}

// annotationFlag collects repeated -sa-annotation KEY=VALUE flags.
type annotationFlag map[string]string

func (a annotationFlag) String() string { return fmt.Sprint(len(a), " annotations") }

func (a annotationFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q: want KEY=VALUE", v)
	}
	a[k] = val
	return nil
}

// parseServiceAccount reads "NAMESPACE/NAME" ("" = the pod has none).
func parseServiceAccount(v string, annotations map[string]string, issuer string) (*serviceAccount, error) {
	if v == "" {
		if len(annotations) > 0 {
			return nil, fmt.Errorf("-sa-annotation needs -service-account")
		}
		return nil, nil
	}
	ns, name, ok := strings.Cut(v, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("-service-account %q: want NAMESPACE/NAME", v)
	}
	return &serviceAccount{namespace: ns, name: name, annotations: annotations, issuer: issuer}, nil
}

// validateTokenAttributes checks tokenAttributes like kubelet's config
// validation does.
func validateTokenAttributes(at string, p configv1.CredentialProvider) error {
	ta := p.TokenAttributes
	if ta == nil {
		return nil
	}
	switch {
	case p.APIVersion != "credentialprovider.kubelet.k8s.io/v1":
		return fmt.Errorf("%s.tokenAttributes is only supported for credentialprovider.kubelet.k8s.io/v1", at)
	case ta.ServiceAccountTokenAudience == "":
		return fmt.Errorf("%s.tokenAttributes.serviceAccountTokenAudience is required", at)
	case ta.CacheType != configv1.TokenServiceAccountTokenCacheType && ta.CacheType != configv1.ServiceAccountServiceAccountTokenCacheType:
		return fmt.Errorf("%s.tokenAttributes.cacheType %q: want Token or ServiceAccount", at, ta.CacheType)
	case ta.RequireServiceAccount == nil:
		return fmt.Errorf("%s.tokenAttributes.requireServiceAccount is required", at)
	case len(ta.RequiredServiceAccountAnnotationKeys) > 0 && !*ta.RequireServiceAccount:
		return fmt.Errorf("%s.tokenAttributes.requireServiceAccount must be true when requiredServiceAccountAnnotationKeys is set", at)
	}
	seen := map[string]bool{}
	for _, k := range append(append([]string{}, ta.RequiredServiceAccountAnnotationKeys...), ta.OptionalServiceAccountAnnotationKeys...) {
		if seen[k] {
			return fmt.Errorf("%s.tokenAttributes: annotation key %q is listed twice", at, k)
		}
		seen[k] = true
	}
	return nil
}

// serviceAccountInputs is what kubelet adds to the request for provider p:
// a token and the listed annotations, or nothing (no tokenAttributes, or no
// service account and requireServiceAccount false). A missing service
// account or required annotation is kubelet's error: the plugin is not run.
func serviceAccountInputs(p *configv1.CredentialProvider, sa *serviceAccount) (token string, annotations map[string]string, err error) {
	ta := p.TokenAttributes
	if ta == nil {
		return "", nil, nil
	}
	if sa == nil {
		if *ta.RequireServiceAccount {
			return "", nil, fmt.Errorf("provider %s requires a service account (tokenAttributes.requireServiceAccount) and the pod has none", p.Name)
		}
		return "", nil, nil
	}
	for _, k := range ta.RequiredServiceAccountAnnotationKeys {
		v, ok := sa.annotations[k]
		if !ok {
			return "", nil, fmt.Errorf("service account %s/%s lacks annotation %q required by provider %s", sa.namespace, sa.name, k, p.Name)
		}
		if annotations == nil {
			annotations = map[string]string{}
		}
		annotations[k] = v
	}
	for _, k := range ta.OptionalServiceAccountAnnotationKeys {
		if v, ok := sa.annotations[k]; ok {
			if annotations == nil {
				annotations = map[string]string{}
			}
			annotations[k] = v
		}
	}
	return sa.token(ta.ServiceAccountTokenAudience), annotations, nil
}

// token is a bound service account token as the API server's TokenRequest
// would issue it (claims; the signature is random, nothing here checks it).
func (sa *serviceAccount) token(audience string) string {
	now := time.Now()
	jti := make([]byte, 16)
	rand.Read(jti)
	claims, _ := json.Marshal(map[string]any{
		"aud": []string{audience}, "iss": sa.issuer, "sub": "system:serviceaccount:" + sa.namespace + ":" + sa.name,
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "nbf": now.Unix(), "jti": hex.EncodeToString(jti),
		"kubernetes.io": map[string]any{"namespace": sa.namespace, "serviceaccount": map[string]string{"name": sa.name}},
	})
	sig := make([]byte, 256)
	rand.Read(sig)
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"RS256","kid":"kubeletsim"}`)) + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString(sig)
}
