// Package ecr recognises Amazon ECR registry hosts.
package local

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Service says which ECR API issues tokens for a registry.
type Service string

const (
	ServicePrivate Service = "ecr"        // private registries, API "ecr" in the host's region
	ServicePublic  Service = "ecr-public" // ECR Public, API "ecr-public" always in us-east-1
)

// Registry is what a registry host says about where to get its token.
type Registry struct {
	Host      string  // normalised: lower case, no scheme, port, path or trailing dot
	Service   Service // which API issues tokens
	AccountID string  // 12 digits; empty for ECR Public
	Region    string  // API region; "us-east-1" for ECR Public
	Partition string  // aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc
	FIPS      bool
	DualStack bool
}

// ErrNotECR is returned (wrapped or bare, test with errors.Is) for anything
// that is not an ECR registry host.
var ErrNotECR = errors.New("not an Amazon ECR registry")

// maxInputLen bounds the server URL accepted by ParseRegistry.
const maxInputLen = 4096

// splitPrivateHost splits ACCOUNT.ENDPOINT.REGION.SUFFIX: a 12-digit
// account, an endpoint label from endpoints, a region (letters, one or more
// -letters groups, -1 or 2 digits; it holds no dot, so it ends at the next
// one) and a non-empty suffix of [a-z0-9.-]. It is written out rather than a
// regular expression because every process parses a host and compiling the
// expression was ~0.15 ms of a cache hit; TestSplitPrivateHostIsTheGrammar
// and FuzzSplitPrivateHost check it against the expression.
func splitPrivateHost(host string) (account, endpoint, region, suffix string, ok bool) {
	if len(host) < 13 || host[12] != '.' || !allBytes(host[:12], isDigit) {
		return "", "", "", "", false
	}
	account, rest := host[:12], host[13:]
	for _, e := range slices.Concat(endpoints[false], endpoints[true]) {
		if after, found := strings.CutPrefix(rest, e+"."); found {
			endpoint, rest = e, after
			break
		}
	}
	if endpoint == "" {
		return "", "", "", "", false
	}
	region, suffix, found := strings.Cut(rest, ".")
	if !found || !isRegion(region) || suffix == "" ||
		!allBytes(suffix, func(c byte) bool { return isLower(c) || isDigit(c) || c == '.' || c == '-' }) {
		return "", "", "", "", false
	}
	return account, endpoint, region, suffix, true
}

// isRegion is [a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}.
func isRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 {
		return false
	}
	first, middle, last := parts[0], parts[1:len(parts)-1], parts[len(parts)-1]
	if len(first) < 2 || len(first) > 4 || !allBytes(first, isLower) || len(last) < 1 || len(last) > 2 || !allBytes(last, isDigit) {
		return false
	}
	for _, p := range middle {
		if p == "" || !allBytes(p, isLower) {
			return false
		}
	}
	return true
}

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isLower(c byte) bool { return 'a' <= c && c <= 'z' }

// endpoints are the registry endpoint labels (the host's second label) on
// standard (false) and dual-stack (true) DNS suffixes.
var endpoints = map[bool][]string{
	false: {"dkr.ecr", "dkr.ecr-fips"},
	true:  {"dkr-ecr", "dkr-ecr-fips"},
}

// dnsSuffixes are the DNS suffixes of private registries, in the order
// KubeletMatchImages lists them, each with whether it is a dual-stack
// suffix and the partitions whose regions it serves.
var dnsSuffixes = []dnsSuffix{
	{"amazonaws.com", false, []string{"aws", "aws-us-gov"}},
	{"amazonaws.com.cn", false, []string{"aws-cn"}},
	{"c2s.ic.gov", false, []string{"aws-iso"}},
	{"sc2s.sgov.gov", false, []string{"aws-iso-b"}},
	{"cloud.adc-e.uk", false, []string{"aws-iso-e"}},
	{"csp.hci.ic.gov", false, []string{"aws-iso-f"}},
	{"amazonaws.eu", false, []string{"aws-eusc"}},
	{"on.aws", true, []string{"aws", "aws-us-gov"}},
	{"on.amazonwebservices.com.cn", true, []string{"aws-cn"}},
}

type dnsSuffix struct {
	suffix     string
	dualStack  bool
	partitions []string
}

// regionPrefixes maps region-name prefixes to their partition; a region
// with none of these prefixes is in the aws partition.
var regionPrefixes = []struct{ prefix, partition string }{
	{"cn-", "aws-cn"},
	{"us-gov-", "aws-us-gov"},
	{"us-iso-", "aws-iso"},
	{"us-isob-", "aws-iso-b"},
	{"eu-isoe-", "aws-iso-e"},
	{"us-isof-", "aws-iso-f"},
	{"eusc-", "aws-eusc"},
}

// publicHosts are the ECR Public registry hosts.
var publicHosts = []string{"public.ecr.aws", "ecr-public.aws.com"}

// KubeletMatchImages is one kubelet matchImages glob per host shape
// ParseRegistry accepts: ACCOUNT.ENDPOINT.REGION.SUFFIX with a "*" (one DNS
// label, as the kubelet matches) for the account and the region, then the
// ECR Public hosts. A glob cannot tell partitions apart, so a glob may also
// match hosts ParseRegistry refuses (a China region on amazonaws.com).
func KubeletMatchImages() []string {
	var globs []string
	for _, s := range dnsSuffixes {
		for _, ep := range endpoints[s.dualStack] {
			globs = append(globs, "*."+ep+".*."+s.suffix)
		}
	}
	return append(globs, publicHosts...)
}

// ParseRegistry accepts a server URL in any form Docker-protocol clients
// send (bare host, host:port, with or without http(s) scheme and path) and
// says whether it is ECR. Every error wraps ErrNotECR.
func ParseRegistry(serverURL string) (Registry, error) {
	host, err := hostOf(serverURL)
	if err != nil {
		return Registry{}, fmt.Errorf("%w: %s", ErrNotECR, err)
	}
	if slices.Contains(publicHosts, host) {
		return Registry{Host: host, Service: ServicePublic, Region: "us-east-1", Partition: "aws"}, nil
	}
	account, endpoint, region, suffix, ok := splitPrivateHost(host)
	if !ok {
		return Registry{}, fmt.Errorf("%w: host %q", ErrNotECR, host)
	}
	i := slices.IndexFunc(dnsSuffixes, func(s dnsSuffix) bool { return s.suffix == suffix })
	if i < 0 {
		return Registry{}, fmt.Errorf("%w: host %q: unknown DNS suffix", ErrNotECR, host)
	}
	s := dnsSuffixes[i]
	dualStack := strings.HasPrefix(endpoint, "dkr-ecr")
	if dualStack != s.dualStack {
		return Registry{}, fmt.Errorf("%w: host %q: endpoint %q not valid on %q", ErrNotECR, host, endpoint, suffix)
	}
	partition := regionPartition(region)
	if !slices.Contains(s.partitions, partition) {
		return Registry{}, fmt.Errorf("%w: host %q: region %q not in a partition served by %q", ErrNotECR, host, region, suffix)
	}
	return Registry{
		Host:      host,
		Service:   ServicePrivate,
		AccountID: account,
		Region:    region,
		Partition: partition,
		FIPS:      strings.HasSuffix(endpoint, "-fips"),
		DualStack: dualStack,
	}, nil
}

// Variant is "" for the standard endpoint, else "fips", "dualstack" or
// "fips-dualstack"; it is part of cache keys.
func (r Registry) Variant() string {
	switch {
	case r.FIPS && r.DualStack:
		return "fips-dualstack"
	case r.FIPS:
		return "fips"
	case r.DualStack:
		return "dualstack"
	}
	return ""
}

// hostOf returns the normalised host of serverURL as net/url sees it,
// rejecting anything that is not a plain DNS name with an optional port.
// Errors describe the problem without echoing the input, which may hold
// credentials.
func hostOf(serverURL string) (string, error) {
	if len(serverURL) > maxInputLen {
		return "", errors.New("input too long")
	}
	s := strings.Trim(serverURL, " \t\r\n\v\f")
	if s == "" {
		return "", errors.New("empty input")
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return "", errors.New("input has whitespace, control or non-ASCII bytes")
		}
	}
	s = strings.ToLower(s)
	if !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", errors.New("unparseable URL")
	}
	if u.User != nil {
		return "", errors.New("URL has userinfo")
	}
	if strings.HasPrefix(u.Host, "[") {
		return "", errors.New("IP literal host")
	}
	if strings.HasSuffix(u.Host, ":") {
		return "", errors.New("empty port")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", errors.New("bad port")
		}
	}
	host := strings.TrimSuffix(u.Hostname(), ".")
	if host == "" {
		return "", errors.New("no host")
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return "", errors.New("host is not a DNS name")
		}
	}
	return host, nil
}

// regionPartition returns the partition a region name belongs to.
func regionPartition(region string) string {
	for _, p := range regionPrefixes {
		if strings.HasPrefix(region, p.prefix) {
			return p.partition
		}
	}
	return "aws"
}
