//go:build unix

// File modes, umask and symlinks are Unix notions; on Windows these tests
// would test nothing the code does there.

package cli

import (
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ecr-login/ecr-login/ecr"
)

// Kubelet.

// kubeletURLsMatch is kubelet's URLsMatchStr (pkg/credentialprovider/
// keyring.go): both sides parsed as scheme-less URLs; same port; the glob's
// path a prefix of the image's; the same number of host labels, each
// matched with filepath.Match.
func kubeletURLsMatch(glob, image string) bool {
	g, err1 := url.Parse("https://" + glob)
	i, err2 := url.Parse("https://" + image)
	if err1 != nil || err2 != nil {
		return false
	}
	split := func(u *url.URL) ([]string, string) {
		host, port, err := net.SplitHostPort(u.Host)
		if err != nil {
			host, port = u.Host, ""
		}
		return strings.Split(host, "."), port
	}
	gParts, gPort := split(g)
	iParts, iPort := split(i)
	if gPort != iPort || len(gParts) != len(iParts) || !strings.HasPrefix(i.Path, g.Path) {
		return false
	}
	for k := range gParts {
		if ok, err := filepath.Match(gParts[k], iParts[k]); err != nil || !ok {
			return false
		}
	}
	return true
}

func matchesAny(globs []string, image string) bool {
	for _, g := range globs {
		if kubeletURLsMatch(g, image) {
			return true
		}
	}
	return false
}

func TestConfigureKubeletURLsMatch(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		glob, image string
		want        bool
	}{
		{"*.dkr.ecr.*.amazonaws.com", testReg1 + "/app:1", true},
		{"*.dkr.ecr.*.amazonaws.com", testReg1, true},
		{"*.dkr.ecr.*.amazonaws.com", "a.b.dkr.ecr.us-east-1.amazonaws.com/x", false},
		{"*.dkr.ecr.*.amazonaws.com", testReg1 + ":443/x", false},
		{"*.dkr.ecr.*.amazonaws.com", testReg1 + ".cn/x", false},
		{"public.ecr.aws", "public.ecr.aws/nginx/nginx:latest", true},
		{"public.ecr.aws/team", "public.ecr.aws/other/x", false},
		{"*.io", "quay.io/x", true},
	} {
		if got := kubeletURLsMatch(tt.glob, tt.image); got != tt.want {
			t.Errorf("match(%q, %q) = %v", tt.glob, tt.image, got)
		}
	}
}

// parseKubeletYAML checks the printed config line by line (it is a fixed,
// simple shape) and returns the comment lines and the matchImages globs.
func parseKubeletYAML(t *testing.T, y, apiVersion, cache string) (comments, globs []string) {
	t.Helper()
	if strings.Contains(y, "\t") {
		t.Errorf("YAML has tabs")
	}
	var body []string
	for _, l := range strings.Split(strings.TrimSuffix(y, "\n"), "\n") {
		switch {
		case len(body) == 0 && strings.HasPrefix(l, "#"):
			comments = append(comments, l)
		case strings.HasPrefix(l, `      - "`):
			g, err := strconv.Unquote(strings.TrimPrefix(l, "      - "))
			if err != nil {
				t.Errorf("glob line %q: %v", l, err)
			}
			globs = append(globs, g)
		default:
			body = append(body, l)
		}
	}
	want := []string{
		"apiVersion: kubelet.config.k8s.io/" + apiVersion,
		"kind: CredentialProviderConfig",
		"providers:",
		"  - name: ecr-credential-provider",
		"    matchImages:",
		`    defaultCacheDuration: "` + cache + `"`,
		"    apiVersion: credentialprovider.kubelet.k8s.io/" + apiVersion,
		"    # env:",
		"    #   - name: AWS_PROFILE",
		"    #     value: default",
	}
	if !slices.Equal(body, want) {
		t.Errorf("YAML body\n%s\nwant\n%s", strings.Join(body, "\n"), strings.Join(want, "\n"))
	}
	// The globs sit right after matchImages:.
	if i := strings.Index(y, "    matchImages:\n"); i < 0 || !strings.HasPrefix(y[i+len("    matchImages:\n"):], `      - "`) {
		t.Errorf("globs do not follow matchImages")
	}
	return comments, globs
}

func TestConfigureKubelet(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args                []string
		apiVersion, cache   string
		warn                bool
		stderrMustBeEmpty   bool
		providerNameMatches bool
	}{
		{nil, "v1", "12h", false, true, true},
		{[]string{"--api-version", "v1beta1"}, "v1beta1", "12h", false, true, true},
		{[]string{"--api-version=v1alpha1", "--cache-duration", "6h"}, "v1alpha1", "6h", false, true, true},
		{[]string{"--cache-duration", "90m"}, "v1", "90m", false, true, true},
		{[]string{"--cache-duration", "360m"}, "v1", "6h", false, true, true},
		{[]string{"--cache-duration", "0"}, "v1", "0s", false, true, true},
		{[]string{"--cache-duration", "24h"}, "v1", "24h", true, false, true},
	} {
		code, stdout, stderr := runConfigure(t, mapEnv(nil), append([]string{"kubelet"}, tt.args...)...)
		if code != 0 {
			t.Fatalf("%q: exit %d, %s", tt.args, code, stderr)
		}
		if tt.warn != strings.Contains(stderr, "longer than the 12h") || tt.stderrMustBeEmpty && stderr != "" {
			t.Errorf("%q: stderr %q", tt.args, stderr)
		}
		comments, globs := parseKubeletYAML(t, stdout, tt.apiVersion, tt.cache)
		c := strings.Join(comments, "\n")
		for _, want := range []string{
			"--image-credential-provider-config=/etc/kubernetes/ecr-credential-provider.yaml",
			"--image-credential-provider-bin-dir=/usr/local/bin",
		} {
			if !strings.Contains(c, want) {
				t.Errorf("comments lack %q", want)
			}
		}
		if !slices.Equal(globs, ecr.KubeletMatchImages()) {
			t.Errorf("globs %v", globs)
		}
		for _, want := range []string{
			"*.dkr.ecr.*.amazonaws.com", "*.dkr.ecr-fips.*.amazonaws.com", "*.dkr.ecr.*.amazonaws.com.cn",
			"*.dkr-ecr.*.on.aws", "*.dkr-ecr-fips.*.on.aws", "*.dkr-ecr.*.on.amazonwebservices.com.cn",
			"*.dkr.ecr.*.c2s.ic.gov", "*.dkr.ecr.*.sc2s.sgov.gov", "*.dkr.ecr.*.cloud.adc-e.uk",
			"*.dkr.ecr.*.csp.hci.ic.gov", "*.dkr.ecr.*.amazonaws.eu", "*.dkr.ecr-fips.*.amazonaws.eu",
			"public.ecr.aws", "ecr-public.aws.com",
		} {
			if !strings.Contains(stdout, strconv.Quote(want)) {
				t.Errorf("YAML lacks %q", want)
			}
		}
		if !strings.Contains(stdout, "  - name: "+ProviderName+"\n") {
			t.Errorf("provider is not %s", ProviderName)
		}
	}
}

// sampleRegions has a region of every partition ecr knows.
var sampleRegions = []string{
	"us-east-1", "eu-west-3", "ap-southeast-5", "us-gov-west-1", "cn-north-1", "cn-northwest-1",
	"us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1", "us-isof-south-1", "eusc-de-east-1",
}

// TestConfigureKubeletGlobsMatchParseRegistry ties the kubelet globs to ecr.ParseRegistry.
func TestConfigureKubeletGlobsMatchParseRegistry(t *testing.T) {
	t.Parallel()
	globs := ecr.KubeletMatchImages()
	// The suffixes and public hosts, read off the globs (that they cover
	// every host ParseRegistry accepts is ecr's own test).
	suffixes := map[string]bool{}
	var public []string
	for _, g := range globs {
		if _, sfx, ok := strings.Cut(g, ".*."); ok {
			suffixes[sfx] = true
		} else {
			public = append(public, g)
		}
	}
	if len(globs) != len(slices.Compact(slices.Sorted(slices.Values(globs)))) {
		t.Errorf("duplicate globs: %v", globs)
	}

	// Every host ParseRegistry accepts, over every endpoint label it might
	// accept, every suffix and a region of every partition, matches a glob.
	endpoints := []string{"dkr.ecr", "dkr.ecr-fips", "dkr-ecr", "dkr-ecr-fips",
		"dkr.ecr-dualstack", "dkr-ecr-dualstack", "dkr", "ecr", "api.ecr", "dkr.ecr.fips"}
	allSuffixes := append(slices.Sorted(func(yield func(string) bool) {
		for s := range suffixes {
			if !yield(s) {
				return
			}
		}
	}), "amazonaws.org", "aws.dev", "on.aws.cn", "com")
	accepted := 0
	globUsed := map[string]bool{}
	for _, ep := range endpoints {
		for _, sfx := range allSuffixes {
			for _, region := range sampleRegions {
				host := "123456789012." + ep + "." + region + "." + sfx
				_, err := ecr.ParseRegistry(host)
				for _, image := range []string{host, host + "/team/app:v1", host + "/app@sha256:" + strings.Repeat("a", 64)} {
					matched := false
					for _, g := range globs {
						if kubeletURLsMatch(g, image) {
							matched = true
							if err == nil {
								globUsed[g] = true
							}
						}
					}
					if err == nil && !matched {
						t.Errorf("%s is ECR but matches no glob", image)
					}
				}
				if err == nil {
					accepted++
				}
			}
		}
	}
	if accepted < 20 {
		t.Errorf("only %d sample hosts parsed; the samples are wrong", accepted)
	}
	for _, h := range public {
		for _, image := range []string{h, h + "/nginx/nginx:latest"} {
			if !matchesAny(globs, image) {
				t.Errorf("%s matches no glob", image)
			}
		}
		globUsed[h] = true
	}
	// And every glob stands for hosts ParseRegistry accepts.
	for _, g := range globs {
		if !globUsed[g] {
			t.Errorf("glob %q matches no host ParseRegistry accepts", g)
		}
		if strings.Contains(g, "*") {
			// Replace the stars with an account and a region of the
			// glob's partition; one of them must parse.
			ok := false
			for _, region := range sampleRegions {
				host := strings.Replace(strings.Replace(g, "*", "123456789012", 1), "*", region, 1)
				if _, err := ecr.ParseRegistry(host); err == nil {
					ok = true
				}
			}
			if !ok {
				t.Errorf("glob %q: no sample instance parses", g)
			}
		} else if _, err := ecr.ParseRegistry(g); err != nil {
			t.Errorf("glob %q: %v", g, err)
		}
	}

	// Representative images, as a kubelet sees them.
	for _, image := range []string{
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.0",
		"123456789012.dkr.ecr.eu-central-2.amazonaws.com/a/b/c@sha256:" + strings.Repeat("0", 64),
		"123456789012.dkr.ecr-fips.us-gov-east-1.amazonaws.com/app",
		"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app",
		"123456789012.dkr-ecr.cn-northwest-1.on.amazonwebservices.com.cn/app",
		"123456789012.dkr-ecr.us-west-2.on.aws/app",
		"123456789012.dkr-ecr-fips.us-east-1.on.aws/app",
		"123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov/app",
		"123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov/app",
		"123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk/app",
		"123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov/app",
		"123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu/app",
		"public.ecr.aws/docker/library/nginx:latest",
		"ecr-public.aws.com/x/y",
	} {
		host, _, _ := strings.Cut(image, "/")
		if _, err := ecr.ParseRegistry(host); err != nil {
			t.Errorf("sample %s: %v", image, err)
		}
		if !matchesAny(globs, image) {
			t.Errorf("%s matches no glob", image)
		}
	}
	// Look-alikes match nothing.
	for _, image := range []string{
		"docker.io/library/nginx",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example/app",
		"evil.example/123456789012.dkr.ecr.us-east-1.amazonaws.com/app",
		"x.123456789012.dkr.ecr.us-east-1.amazonaws.com/app",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com:5000/app",
		"public.ecr.aws.evil.example/app",
		"123456789012.ecr.us-east-1.amazonaws.com/app",
	} {
		if matchesAny(globs, image) {
			t.Errorf("%s matches a glob", image)
		}
	}
}
