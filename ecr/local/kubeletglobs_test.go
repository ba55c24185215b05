package local

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// hostMatchesGlob is the kubelet's host matching for matchImages (a bare
// host, no port or path): the same number of DNS labels, each matched with
// filepath.Match, so a "*" stands for exactly one label.
func hostMatchesGlob(glob, host string) bool {
	g, h := strings.Split(glob, "."), strings.Split(host, ".")
	if len(g) != len(h) {
		return false
	}
	for i := range g {
		if ok, err := filepath.Match(g[i], h[i]); err != nil || !ok {
			return false
		}
	}
	return true
}

func matchesAnyGlob(globs []string, host string) bool {
	return slices.ContainsFunc(globs, func(g string) bool { return hostMatchesGlob(g, host) })
}

// TestKubeletMatchImagesAgreeWithParseRegistry ties the kubelet globs to
// ParseRegistry: every host it accepts (registryCases, and hosts built
// from every endpoint label, DNS suffix and partition, real and made up)
// matches a glob; a host that matches no glob is refused (nearMisses among
// them); and every glob matches some accepted host.
func TestKubeletMatchImagesAgreeWithParseRegistry(t *testing.T) {
	t.Parallel()
	globs := KubeletMatchImages()
	if len(globs) != len(slices.Compact(slices.Sorted(slices.Values(globs)))) {
		t.Errorf("duplicate globs: %v", globs)
	}

	hosts := slices.Clone(nearMisses)
	for _, r := range registryCases {
		hosts = append(hosts, r.Host)
	}
	regions := []string{
		"us-east-1", "eu-west-3", "ap-southeast-5", "us-gov-west-1", "cn-north-1", "cn-northwest-1",
		"us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1", "us-isof-south-1", "eusc-de-east-1",
	}
	suffixes := []string{"amazonaws.org", "aws.dev", "on.aws.cn", "com", "amazonaws.com.evil.example"}
	for _, s := range dnsSuffixes {
		suffixes = append(suffixes, s.suffix)
	}
	for _, ep := range []string{"dkr.ecr", "dkr.ecr-fips", "dkr-ecr", "dkr-ecr-fips",
		"dkr.ecr-dualstack", "dkr-ecr-dualstack", "dkr", "ecr", "api.ecr", "dkr.ecr.fips"} {
		for _, sfx := range suffixes {
			for _, region := range regions {
				hosts = append(hosts, "123456789012."+ep+"."+region+"."+sfx)
			}
		}
	}
	hosts = append(hosts, "public.ecr.aws.evil.example", "x.public.ecr.aws", "x.123456789012.dkr.ecr.us-east-1.amazonaws.com")

	accepted := 0
	used := map[string]bool{}
	for _, h := range hosts {
		_, err := ParseRegistry(h)
		matched := false
		for _, g := range globs {
			if hostMatchesGlob(g, h) {
				matched = true
				if err == nil {
					used[g] = true
				}
			}
		}
		if err == nil {
			accepted++
			if !matched {
				t.Errorf("%s is ECR but matches no glob", h)
			}
		}
	}
	if accepted < len(registryCases)+20 {
		t.Errorf("only %d hosts parsed; the samples are wrong", accepted)
	}
	for _, g := range globs {
		if !used[g] {
			t.Errorf("glob %q matches no host ParseRegistry accepts", g)
		}
	}
	// A few by name, so a glob that goes missing from both sides is seen.
	for _, want := range []string{"*.dkr.ecr.*.amazonaws.com", "*.dkr-ecr-fips.*.on.aws", "public.ecr.aws", "ecr-public.aws.com"} {
		if !slices.Contains(globs, want) {
			t.Errorf("no glob %q in %v", want, globs)
		}
	}
}
