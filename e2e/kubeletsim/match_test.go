package main

import (
	"testing"

	credentialproviderv1 "k8s.io/kubelet/pkg/apis/credentialprovider/v1"
)

func TestURLsMatchStr(t *testing.T) {
	const ecr = "*.dkr.ecr.*.amazonaws.com"
	tests := []struct {
		glob, target string
		want         bool
	}{
		// ECR: "*" is one DNS label, the account or the region.
		{ecr, "123456789012.dkr.ecr.us-east-1.amazonaws.com/app", true},
		{ecr, "123456789012.dkr.ecr.us-east-1.amazonaws.com", true},
		{ecr, "210987654321.dkr.ecr.eu-west-3.amazonaws.com/team/app", true},
		{ecr, "a.b.dkr.ecr.us-east-1.amazonaws.com", false},
		{ecr, "a.b.dkr.ecr.us-east-1.amazonaws.com/app", false},
		{ecr, "dkr.ecr.us-east-1.amazonaws.com/app", false},
		{ecr, "123456789012.dkr.ecr.us-east-1.amazonaws.com.cn/app", false},
		{ecr, "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/app", false},
		{ecr, "123456789012.dkr.ecr.us-east-1.amazonaws.com:443/app", false}, // port mismatch
		{"*.dkr.ecr.*.amazonaws.com:443", "123456789012.dkr.ecr.us-east-1.amazonaws.com:443/app", true},
		{"*.dkr.ecr.*.amazonaws.com:443", "123456789012.dkr.ecr.us-east-1.amazonaws.com/app", false},
		// Examples from the kubelet CredentialProvider.matchImages docs and keyring tests.
		{"*.kubernetes.io", "prefix.kubernetes.io", true},
		{"*.docker.io", "not.right.io", false},
		{"*.io", "prefix.kubernetes.io", false},
		{"*.*.io", "prefix.kubernetes.io", true},
		{"k8s.*", "k8s.io", true},
		{"app*.k8s.io", "apple.k8s.io/x", true},
		{"app*.k8s.io", "banana.k8s.io/x", false},
		{"gcr.io", "gcr.io/foo/bar", true},
		{"gcr.io", "quay.io/foo/bar", false},
		{"registry.io:8080/path", "registry.io:8080/path/image", true},
		{"registry.io:8080/path", "registry.io:8080/other/image", false},
		{"registry.io:8080/path", "registry.io/path/image", false},
		{"registry.io:8080/path", "registry.io:8081/path/image", false},
		// The glob's path is a string prefix of the image's path, as in kubelet.
		{"quay.io/foo", "quay.io/foo/bar", true},
		{"quay.io/foo", "quay.io/foobar", true},
		{"quay.io/foo/bar", "quay.io/foo", false},
		{"*.dkr.ecr.*.amazonaws.com/team", "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app", true},
		{"*.dkr.ecr.*.amazonaws.com/team", "123456789012.dkr.ecr.us-east-1.amazonaws.com/other/app", false},
		{"public.ecr.aws", "public.ecr.aws/nginx/nginx", true},
	}
	for _, tt := range tests {
		got, err := urlsMatchStr(tt.glob, tt.target)
		if err != nil {
			t.Errorf("urlsMatchStr(%q, %q): %v", tt.glob, tt.target, err)
			continue
		}
		if got != tt.want {
			t.Errorf("urlsMatchStr(%q, %q) = %v, want %v", tt.glob, tt.target, got, tt.want)
		}
	}
	if _, err := urlsMatchStr("[.example.com", "a.example.com"); err == nil {
		t.Error("urlsMatchStr with a malformed glob: no error")
	}
}

func TestRepoToPull(t *testing.T) {
	tests := map[string]string{
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/e2e/app:t1":           "123456789012.dkr.ecr.us-east-1.amazonaws.com/e2e/app",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:abc":       "123456789012.dkr.ecr.us-east-1.amazonaws.com/app",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1@sha256:abc":    "123456789012.dkr.ecr.us-east-1.amazonaws.com/app",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/app":                  "123456789012.dkr.ecr.us-east-1.amazonaws.com/app",
		"registry.io:8080/path/image:tag":                                   "registry.io:8080/path/image",
		"registry.io:8080/path/image":                                       "registry.io:8080/path/image",
		"localhost/app:1":                                                   "localhost/app",
		"nginx":                                                             "docker.io/library/nginx",
		"nginx:1.27":                                                        "docker.io/library/nginx",
		"bitnami/redis:7":                                                   "docker.io/bitnami/redis",
		"index.docker.io/nginx":                                             "docker.io/library/nginx",
		"public.ecr.aws/nginx/nginx:latest":                                 "public.ecr.aws/nginx/nginx",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com:443/app:latest":       "123456789012.dkr.ecr.us-east-1.amazonaws.com:443/app",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com:443/app@sha256:0f0f0": "123456789012.dkr.ecr.us-east-1.amazonaws.com:443/app",
	}
	for in, want := range tests {
		if got := repoToPull(in); got != want {
			t.Errorf("repoToPull(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLookup(t *testing.T) {
	const h1 = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	resp := &credentialproviderv1.CredentialProviderResponse{Auth: map[string]credentialproviderv1.AuthConfig{
		h1:                        {Username: "AWS", Password: "host"},
		"https://" + h1 + "/team": {Username: "AWS", Password: "team"},
		"210987654321.dkr.ecr.us-east-1.amazonaws.com": {Username: "AWS", Password: "other"},
		"*.dkr.ecr.*.amazonaws.com":                    {Username: "AWS", Password: "glob"},
	}}
	got, err := lookup(resp, h1+"/team/app")
	if err != nil {
		t.Fatal(err)
	}
	// Most specific first: reverse-sorted keys, only matching ones.
	want := []authConfig{
		{"AWS", "team", h1 + "/team", ""},
		{"AWS", "host", h1, ""},
		{"AWS", "glob", "*.dkr.ecr.*.amazonaws.com", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("lookup = %d credentials %v, want %v", len(got), describe(got), describe(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("lookup[%d] = %v, want %v", i, describe(got[i:i+1]), describe(want[i:i+1]))
		}
	}
	got, err = lookup(resp, "quay.io/app")
	if err != nil || len(got) != 0 {
		t.Errorf("lookup(quay.io/app) = %d credentials, %v; want none", len(got), err)
	}
}

func TestAuthKey(t *testing.T) {
	tests := map[string]string{
		"gcr.io":                 "gcr.io",
		"https://gcr.io":         "gcr.io",
		"http://gcr.io/v2/":      "gcr.io",
		"https://gcr.io/v1/":     "gcr.io",
		"gcr.io/project":         "gcr.io/project",
		"registry.io:8080/p/":    "registry.io:8080/p/",
		"https://registry.io:80": "registry.io:80",
	}
	for in, want := range tests {
		got, err := authKey(in)
		if err != nil || got != want {
			t.Errorf("authKey(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// describe formats credentials for failure messages (test passwords only).
func describe(cs []authConfig) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.key+" "+c.username+" pw="+c.password)
	}
	return out
}
