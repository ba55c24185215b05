package local

import "testing"

func envOf(kv map[string]string) Getenv { return func(k string) string { return kv[k] } }

// A call verifies with the system roots unless a CA bundle replaces them or
// the environment points the service at a plain-HTTP endpoint.
func TestVerifiesWithSystemRoots(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		service Service
		want    bool
	}{
		{"no settings", nil, ServicePrivate, true},
		{"no settings, ECR Public", nil, ServicePublic, true},
		{"an HTTPS endpoint", map[string]string{"AWS_ENDPOINT_URL_ECR": "https://ecr.example"}, ServicePrivate, true},
		{"a plain-HTTP endpoint", map[string]string{"AWS_ENDPOINT_URL_ECR": "http://127.0.0.1:1"}, ServicePrivate, false},
		{"upper case scheme", map[string]string{"AWS_ENDPOINT_URL_ECR": "HTTP://127.0.0.1:1"}, ServicePrivate, false},
		{"a plain-HTTP global endpoint", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, ServicePublic, false},
		{"the service's HTTPS endpoint wins", map[string]string{"AWS_ENDPOINT_URL_ECR": "https://ecr.example", "AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, ServicePrivate, true},
		{"another service's plain-HTTP endpoint", map[string]string{"AWS_ENDPOINT_URL_ECR_PUBLIC": "http://127.0.0.1:1"}, ServicePrivate, true},
		{"configured endpoints ignored", map[string]string{"AWS_ENDPOINT_URL_ECR": "http://127.0.0.1:1", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, ServicePrivate, true},
		{"a CA bundle", map[string]string{"AWS_CA_BUNDLE": "/etc/corp-ca.pem"}, ServicePrivate, false},
	} {
		if got := VerifiesWithSystemRoots(envOf(tc.env), tc.service); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
