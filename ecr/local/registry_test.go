package local

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// wantPrivate builds the Registry expected for a private ECR host.
func wantPrivate(host, region, partition string, fips, dualStack bool) Registry {
	return Registry{
		Host:      host,
		Service:   ServicePrivate,
		AccountID: "123456789012",
		Region:    region,
		Partition: partition,
		FIPS:      fips,
		DualStack: dualStack,
	}
}

// wantPublic builds the Registry expected for an ECR Public host.
func wantPublic(host string) Registry {
	return Registry{Host: host, Service: ServicePublic, Region: "us-east-1", Partition: "aws"}
}

// registryCases covers every endpoint form and partition.
var registryCases = []Registry{
	wantPrivate("123456789012.dkr.ecr.us-east-1.amazonaws.com", "us-east-1", "aws", false, false),
	wantPrivate("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "eu-west-1", "aws", false, false),
	wantPrivate("123456789012.dkr.ecr.ap-southeast-5.amazonaws.com", "ap-southeast-5", "aws", false, false),
	wantPrivate("123456789012.dkr.ecr.il-central-1.amazonaws.com", "il-central-1", "aws", false, false),
	wantPrivate("123456789012.dkr.ecr.mx-central-1.amazonaws.com", "mx-central-1", "aws", false, false),
	wantPrivate("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com", "us-east-1", "aws", true, false),
	wantPrivate("123456789012.dkr-ecr.us-east-1.on.aws", "us-east-1", "aws", false, true),
	wantPrivate("123456789012.dkr-ecr-fips.us-east-1.on.aws", "us-east-1", "aws", true, true),
	wantPrivate("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "cn-north-1", "aws-cn", false, false),
	wantPrivate("123456789012.dkr-ecr.cn-northwest-1.on.amazonwebservices.com.cn", "cn-northwest-1", "aws-cn", false, true),
	wantPrivate("123456789012.dkr.ecr.us-gov-west-1.amazonaws.com", "us-gov-west-1", "aws-us-gov", false, false),
	wantPrivate("123456789012.dkr.ecr-fips.us-gov-east-1.amazonaws.com", "us-gov-east-1", "aws-us-gov", true, false),
	wantPrivate("123456789012.dkr-ecr.us-gov-west-1.on.aws", "us-gov-west-1", "aws-us-gov", false, true),
	wantPrivate("123456789012.dkr-ecr-fips.us-gov-west-1.on.aws", "us-gov-west-1", "aws-us-gov", true, true),
	wantPrivate("123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov", "us-iso-east-1", "aws-iso", false, false),
	wantPrivate("123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov", "us-isob-east-1", "aws-iso-b", false, false),
	wantPrivate("123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk", "eu-isoe-west-1", "aws-iso-e", false, false),
	wantPrivate("123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov", "us-isof-south-1", "aws-iso-f", false, false),
	wantPrivate("123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu", "eusc-de-east-1", "aws-eusc", false, false),
	wantPublic("public.ecr.aws"),
	wantPublic("ecr-public.aws.com"),
}

// inputForms are the ways a client may spell a host; each must parse to
// the same Registry as the bare host.
var inputForms = []struct {
	name string
	form func(host string) string
}{
	{"bare", func(h string) string { return h }},
	{"https", func(h string) string { return "https://" + h }},
	{"http", func(h string) string { return "http://" + h }},
	{"v2 path", func(h string) string { return h + "/v2/" }},
	{"https full path", func(h string) string { return "https://" + h + "/v2/repo/manifests/x" }},
	{"port 443", func(h string) string { return h + ":443" }},
	{"port 1", func(h string) string { return h + ":1" }},
	{"port 65535 and path", func(h string) string { return h + ":65535/v2/" }},
	{"https port path", func(h string) string { return "https://" + h + ":443/v2/" }},
	{"upper case", strings.ToUpper},
	{"upper scheme mixed host", func(h string) string { return "HTTPS://" + mixCase(h) + "/V2/" }},
	{"trailing dot", func(h string) string { return h + "." }},
	{"trailing dot port path", func(h string) string { return "https://" + h + ".:443/v2/" }},
	{"whitespace", func(h string) string { return " \t" + h + "\r\n" }},
	{"newline", func(h string) string { return h + "\n" }},
	{"query and fragment", func(h string) string { return "https://" + h + "/v2/?a=b#c" }},
	{"everything", func(h string) string { return "\n HTTP://" + mixCase(h) + ".:5000/v2/x/ \n" }},
}

// mixCase upper-cases every other byte of s.
func mixCase(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); i += 2 {
		if 'a' <= b[i] && b[i] <= 'z' {
			b[i] -= 'a' - 'A'
		}
	}
	return string(b)
}

func TestParseRegistry(t *testing.T) {
	for _, want := range registryCases {
		for _, f := range inputForms {
			in := f.form(want.Host)
			t.Run(want.Host+"/"+f.name, func(t *testing.T) {
				got, err := ParseRegistry(in)
				if err != nil {
					t.Fatalf("ParseRegistry(%q): %v", in, err)
				}
				if got != want {
					t.Errorf("ParseRegistry(%q)\n got %+v\nwant %+v", in, got, want)
				}
			})
		}
	}
}

// nearMisses are inputs that must not be taken for ECR.
var nearMisses = []string{
	// Empty, oversized and bad bytes.
	"",
	"   ",
	"\n",
	"https://",
	"https:///v2/",
	strings.Repeat("a", 1<<20),
	"123456789012.dkr.ecr.us-east-1.amazonaws.com/" + strings.Repeat("a", 4096),
	strings.Repeat(" ", 4097) + "123456789012.dkr.ecr.us-east-1.amazonaws.com",
	"123456789012.dkr.ecr.us-east-1.amazonaws.com\x00",
	"123456789012.dkr.ecr.us-east-1.amazonaws.com\x00.evil.example",
	"\x00123456789012.dkr.ecr.us-east-1.amazonaws.com",
	"123456789012.dkr.ecr.us-east-1.amazonaws.com\x7f",
	"123456789012.dkr.ecr.us-east-1.amazonaws.com\x1b",
	"123456789012.dkr.ecr.us-east-1.amazonaws.com\xff",
	"123456789012.dkr.ecr.us-east-1.amazonaws.com /v2/",
	"123456789012.dkr.ecr.us-east-1.amazonaws.com\t/v2/",
	"123456789012.dkr.ecr.us-east-1.amazonaws.com\u00a0",
	"\u00a0123456789012.dkr.ecr.us-east-1.amazonaws.com",
	"１２３４５６７８９０１２.dkr.ecr.us-east-1.amazonaws.com",
	"123456789012.dkr.еcr.us-east-1.amazonaws.com", // Cyrillic е
	"https://123456789012.dkr.ecr.us-east-1.amazonaws%2ecom",
	"https://%ef%bc%91%ef%bc%92%ef%bc%93%ef%bc%94%ef%bc%95%ef%bc%96%ef%bc%97%ef%bc%98%ef%bc%99%ef%bc%90%ef%bc%91%ef%bc%92.dkr.ecr.us-east-1.amazonaws.com",
	// Userinfo in any form.
	"https://123456789012.dkr.ecr.us-east-1.amazonaws.com@evil.example",
	"123456789012.dkr.ecr.us-east-1.amazonaws.com@evil.example",
	"evil.example@123456789012.dkr.ecr.us-east-1.amazonaws.com",
	"https://evil.example@123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/",
	"https://user:pass@123456789012.dkr.ecr.us-east-1.amazonaws.com",
	"https://@123456789012.dkr.ecr.us-east-1.amazonaws.com",
	"https://:@public.ecr.aws",
	"https://public.ecr.aws@evil.example",
	"public.ecr.aws@evil.example",
	"123456789012.dkr.ecr.us-east-1.amazonaws.com\\@evil.example",
	// The real host is not ECR.
	"123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example",
	"123456789012.dkr.ecr.us-east-1.amazonaws.com-evil.example",
	"evil.example/123456789012.dkr.ecr.us-east-1.amazonaws.com",
	"https://evil.example/123456789012.dkr.ecr.us-east-1.amazonaws.com",
	"evil.example?123456789012.dkr.ecr.us-east-1.amazonaws.com",
	"evil.example#123456789012.dkr.ecr.us-east-1.amazonaws.com",
	"evil.example#@123456789012.dkr.ecr.us-east-1.amazonaws.com",
	"evil.example:443/123456789012.dkr.ecr.us-east-1.amazonaws.com",
	"ftp://123456789012.dkr.ecr.us-east-1.amazonaws.com",
	"https://https://123456789012.dkr.ecr.us-east-1.amazonaws.com",
	"https:123456789012.dkr.ecr.us-east-1.amazonaws.com",
	"https:/123456789012.dkr.ecr.us-east-1.amazonaws.com",
	// Bad ports.
	"123456789012.dkr.ecr.us-east-1.amazonaws.com:",
	"123456789012.dkr.ecr.us-east-1.amazonaws.com:0",
	"123456789012.dkr.ecr.us-east-1.amazonaws.com:65536",
	"123456789012.dkr.ecr.us-east-1.amazonaws.com:99999999999999999999999",
	"123456789012.dkr.ecr.us-east-1.amazonaws.com:-1",
	"123456789012.dkr.ecr.us-east-1.amazonaws.com:+443",
	"123456789012.dkr.ecr.us-east-1.amazonaws.com:https",
	"123456789012.dkr.ecr.us-east-1.amazonaws.com:443:443",
	"https://public.ecr.aws:0/",
	// IP literals.
	"[::1]:443",
	"[::1]",
	"https://[::1]/v2/",
	"[2001:db8::1]:443",
	"[123456789012.dkr.ecr.us-east-1.amazonaws.com]:443",
	"127.0.0.1:5000",
	// Account ID.
	"12345678901.dkr.ecr.us-east-1.amazonaws.com",
	"1234567890123.dkr.ecr.us-east-1.amazonaws.com",
	"12345678901a.dkr.ecr.us-east-1.amazonaws.com",
	"dkr.ecr.us-east-1.amazonaws.com",
	".dkr.ecr.us-east-1.amazonaws.com",
	"x.123456789012.dkr.ecr.us-east-1.amazonaws.com",
	".123456789012.dkr.ecr.us-east-1.amazonaws.com",
	"-123456789012.dkr.ecr.us-east-1.amazonaws.com",
	"xn--123456789012-xyz.dkr.ecr.us-east-1.amazonaws.com",
	// Endpoint label.
	"123456789012.ecr.us-east-1.amazonaws.com",
	"123456789012.dkr.us-east-1.amazonaws.com",
	"123456789012.dkr_ecr.us-east-1.amazonaws.com",
	"123456789012.dkr.ecr.fips.us-east-1.amazonaws.com",
	"123456789012.dkr.ecr-fipsx.us-east-1.amazonaws.com",
	"123456789012.dkr.ecr-dualstack.us-east-1.amazonaws.com",
	"123456789012.dkr-ecr-fips-dualstack.us-east-1.on.aws",
	// Region grammar.
	"123456789012.dkr.ecr..amazonaws.com",
	"123456789012.dkr.ecr.us-east.amazonaws.com",
	"123456789012.dkr.ecr.useast1.amazonaws.com",
	"123456789012.dkr.ecr.us-east-123.amazonaws.com",
	"123456789012.dkr.ecr.u-east-1.amazonaws.com",
	"123456789012.dkr.ecr.abcde-east-1.amazonaws.com",
	"123456789012.dkr.ecr.us-east-1a.amazonaws.com",
	"123456789012.dkr.ecr.us--east-1.amazonaws.com",
	"123456789012.dkr.ecr.us_east_1.amazonaws.com",
	"123456789012.dkr.ecr.us-east1-1.amazonaws.com",
	"123456789012.dkr.ecr.xn--us-east-1-abc.amazonaws.com",
	"123456789012.dkr.ecr.us-east-1.us-west-2.amazonaws.com",
	// Suffix.
	"123456789012.dkr.ecr.us-east-1.amazonaws.co",
	"123456789012.dkr.ecr.us-east-1.amazonaws.com..",
	"123456789012.dkr.ecr.us-east-1.amazonaws.com.cn.evil.example",
	"123456789012.dkr.ecr.us-east-1.amazonaws.org",
	"123456789012.dkr.ecr.us-east-1.amazonaws",
	"123456789012.dkr.ecr.us-east-1",
	"123456789012.dkr.ecr.us-east-1.api.aws",
	"123456789012.dkr.ecr.us-east-1.aws",
	"123456789012.dkr.ecr.us-east-1.evilamazonaws.com",
	"123456789012.dkr.ecr.us-east-1.xn--amazonaws-xyz.com",
	// Region in the wrong partition for the suffix.
	"123456789012.dkr.ecr.cn-north-1.amazonaws.com",
	"123456789012.dkr.ecr.us-east-1.amazonaws.com.cn",
	"123456789012.dkr.ecr.us-gov-west-1.amazonaws.com.cn",
	"123456789012.dkr.ecr.us-iso-east-1.amazonaws.com",
	"123456789012.dkr.ecr.us-isob-east-1.amazonaws.com",
	"123456789012.dkr.ecr.eu-isoe-west-1.amazonaws.com",
	"123456789012.dkr.ecr.us-isof-south-1.amazonaws.com",
	"123456789012.dkr.ecr.eusc-de-east-1.amazonaws.com",
	"123456789012.dkr.ecr.us-east-1.c2s.ic.gov",
	"123456789012.dkr.ecr.us-isob-east-1.c2s.ic.gov",
	"123456789012.dkr.ecr.us-iso-east-1.sc2s.sgov.gov",
	"123456789012.dkr.ecr.eu-west-1.cloud.adc-e.uk",
	"123456789012.dkr.ecr.us-iso-east-1.csp.hci.ic.gov",
	"123456789012.dkr.ecr.eu-central-1.amazonaws.eu",
	"123456789012.dkr.ecr.us-gov-west-1.amazonaws.eu",
	"123456789012.dkr-ecr.cn-north-1.on.aws",
	"123456789012.dkr-ecr.us-iso-east-1.on.aws",
	"123456789012.dkr-ecr.us-east-1.on.amazonwebservices.com.cn",
	// Standard form on dual-stack suffixes and vice versa.
	"123456789012.dkr.ecr.us-east-1.on.aws",
	"123456789012.dkr.ecr-fips.us-east-1.on.aws",
	"123456789012.dkr.ecr.cn-north-1.on.amazonwebservices.com.cn",
	"123456789012.dkr-ecr.us-east-1.amazonaws.com",
	"123456789012.dkr-ecr-fips.us-east-1.amazonaws.com",
	"123456789012.dkr-ecr.cn-north-1.amazonaws.com.cn",
	"123456789012.dkr-ecr.us-iso-east-1.c2s.ic.gov",
	// ECR Public look-alikes.
	"public.ecr.aws.evil.example",
	"xpublic.ecr.aws",
	"x.public.ecr.aws",
	"gallery.ecr.aws",
	"ecr.aws",
	"public.ecr.aws..",
	"public-ecr.aws",
	"ecr-public.aws.com.evil.example",
	"ecr-public.aws",
	"evil.example/public.ecr.aws",
	"xn--pblic-ecr-aws.example",
	"ｐublic.ecr.aws",
	// Other registries.
	"docker.io",
	"index.docker.io",
	"https://index.docker.io/v1/",
	"registry-1.docker.io",
	"ghcr.io",
	"quay.io",
	"localhost",
	"localhost:5000",
	"amazonaws.com",
	"ecr.us-east-1.amazonaws.com",
	"api.ecr.us-east-1.amazonaws.com",
}

func TestParseRegistryNearMisses(t *testing.T) {
	for _, in := range nearMisses {
		name := in
		if len(name) > 80 {
			name = name[:80]
		}
		t.Run(name, func(t *testing.T) {
			got, err := ParseRegistry(in)
			if !errors.Is(err, ErrNotECR) {
				t.Fatalf("ParseRegistry(%.100q) = %+v, %v; want ErrNotECR", in, got, err)
			}
			if got != (Registry{}) {
				t.Errorf("ParseRegistry(%.100q) returned non-zero Registry %+v with error", in, got)
			}
		})
	}
}

// TestParseRegistryErrorHidesUserinfo checks that credentials in the input
// do not leak into error messages.
func TestParseRegistryErrorHidesUserinfo(t *testing.T) {
	_, err := ParseRegistry("https://user:s3cret@123456789012.dkr.ecr.us-east-1.amazonaws.com")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error %v: want an error that does not echo the password", err)
	}
}

func TestVariant(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com", ""},
		{"123456789012.dkr.ecr-fips.us-east-1.amazonaws.com", "fips"},
		{"123456789012.dkr-ecr.us-east-1.on.aws", "dualstack"},
		{"123456789012.dkr-ecr-fips.us-east-1.on.aws", "fips-dualstack"},
		{"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "fips"},
		{"123456789012.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn", "dualstack"},
		{"public.ecr.aws", ""},
		{"ecr-public.aws.com", ""},
	}
	for _, tt := range tests {
		r, err := ParseRegistry(tt.in)
		if err != nil {
			t.Fatalf("ParseRegistry(%q): %v", tt.in, err)
		}
		if got := r.Variant(); got != tt.want {
			t.Errorf("ParseRegistry(%q).Variant() = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct {
		r    Registry
		want string
	}{
		{Registry{}, ""},
		{Registry{FIPS: true}, "fips"},
		{Registry{DualStack: true}, "dualstack"},
		{Registry{FIPS: true, DualStack: true}, "fips-dualstack"},
	} {
		if got := tt.r.Variant(); got != tt.want {
			t.Errorf("%+v.Variant() = %q, want %q", tt.r, got, tt.want)
		}
	}
}

func FuzzParseRegistry(f *testing.F) {
	for _, r := range registryCases {
		f.Add(r.Host)
		f.Add(inputForms[len(inputForms)-1].form(r.Host))
	}
	for _, in := range nearMisses {
		if len(in) <= maxInputLen {
			f.Add(in)
		}
	}
	f.Fuzz(func(t *testing.T, in string) {
		r, err := ParseRegistry(in)
		if err != nil {
			if !errors.Is(err, ErrNotECR) {
				t.Fatalf("ParseRegistry(%q): error %v does not wrap ErrNotECR", in, err)
			}
			if r != (Registry{}) {
				t.Fatalf("ParseRegistry(%q): non-zero Registry %+v with error", in, r)
			}
			return
		}
		if r.Host == "" || strings.HasSuffix(r.Host, ".") {
			t.Fatalf("ParseRegistry(%q): bad Host %q", in, r.Host)
		}
		for i := 0; i < len(r.Host); i++ {
			if c := r.Host[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
				t.Fatalf("ParseRegistry(%q): Host %q is not lower-case ASCII", in, r.Host)
			}
		}
		switch r.Service {
		case ServicePrivate:
			if len(r.AccountID) != 12 || strings.Trim(r.AccountID, "0123456789") != "" {
				t.Fatalf("ParseRegistry(%q): private AccountID %q is not 12 digits", in, r.AccountID)
			}
			if !strings.HasPrefix(r.Host, r.AccountID+".") || !strings.Contains(r.Host, "."+r.Region+".") {
				t.Fatalf("ParseRegistry(%q): %+v: AccountID or Region not from Host", in, r)
			}
		case ServicePublic:
			if r.AccountID != "" || r.Region != "us-east-1" || r.Partition != "aws" || r.Variant() != "" {
				t.Fatalf("ParseRegistry(%q): bad public Registry %+v", in, r)
			}
		default:
			t.Fatalf("ParseRegistry(%q): unknown Service %q", in, r.Service)
		}
		for _, again := range []string{r.Host, "https://" + r.Host + ":443/v2/"} {
			r2, err := ParseRegistry(again)
			if err != nil {
				t.Fatalf("ParseRegistry(%q) = %+v, but re-parsing %q: %v", in, r, again, err)
			}
			if r2 != r {
				t.Fatalf("ParseRegistry(%q) = %+v, but re-parsing %q gives %+v", in, r, again, r2)
			}
		}
	})
}

// privateHostGrammar is the regular expression splitPrivateHost implements
// (it was the code until compiling it showed in every hit's start-up).
var privateHostGrammar = regexp.MustCompile(
	`^([0-9]{12})\.(` + strings.ReplaceAll(regexp.QuoteMeta(strings.Join(slices.Concat(endpoints[false], endpoints[true]), " ")), " ", "|") + `)\.` +
		`([a-z]{2,4}(?:-[a-z]+)+-[0-9]{1,2})\.([a-z0-9.-]+)$`)

func checkSplitPrivateHost(t *testing.T, host string) {
	t.Helper()
	account, endpoint, region, suffix, ok := splitPrivateHost(host)
	m := privateHostGrammar.FindStringSubmatch(host)
	if ok != (m != nil) {
		t.Fatalf("splitPrivateHost(%q) ok=%v, the grammar says %v", host, ok, m != nil)
	}
	if ok && (account != m[1] || endpoint != m[2] || region != m[3] || suffix != m[4]) {
		t.Fatalf("splitPrivateHost(%q) = %q %q %q %q, the grammar says %q", host, account, endpoint, region, suffix, m[1:])
	}
}

func TestSplitPrivateHostIsTheGrammar(t *testing.T) {
	hosts := []string{
		"123456789012.dkr.ecr.us-east-1.amazonaws.com", "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com",
		"123456789012.dkr-ecr.eu-west-1.on.aws", "123456789012.dkr-ecr-fips.us-east-1.on.aws",
		"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov",
		"123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu", "123456789012.dkr.ecr.us-east-12.x", "123456789012.dkr.ecr.us-east-123.x",
		"123456789012.dkr.ecr.u-east-1.x", "123456789012.dkr.ecr.abcde-east-1.x", "123456789012.dkr.ecr.useast-east-1.x", "123456789012.dkr.ecr.us-1.x",
		"123456789012.dkr.ecr.us--1.x", "123456789012.dkr.ecr.us-east-.x", "123456789012.dkr.ecr.us-east-1.", "123456789012.dkr.ecr.us-east-1",
		"123456789012.dkr.ecr.us-east-1.a_b", "123456789012.dkr.ecr.us-east-1..", "123456789012.dkr.ecr.us-e4st-1.x",
		"12345678901.dkr.ecr.us-east-1.x", "1234567890123.dkr.ecr.us-east-1.x", "12345678901a.dkr.ecr.us-east-1.x",
		"123456789012.dkr.ecrfips.us-east-1.x", "123456789012.dkr.ecr-fips-x.us-east-1.x", "123456789012.dkr.ecr..us-east-1.x",
		"123456789012dkr.ecr.us-east-1.x", "123456789012xdkr.ecr.us-east-1.amazonaws.com", "123456789012.dkr.ecr.US-east-1.x", "", ".", "123456789012.", "123456789012.dkr.ecr.",
		"123456789012.dkr.ecr.a-b-c-d-1.x.y.z", "123456789012.dkr-ecr.ab-c-99.-", "123456789012.dkr.ecr.abcd-e-0.0",
	}
	for _, r := range registryCases {
		hosts = append(hosts, r.Host)
	}
	hosts = append(hosts, nearMisses...)
	for _, h := range hosts {
		checkSplitPrivateHost(t, h)
	}
}

func FuzzSplitPrivateHost(f *testing.F) {
	for _, r := range registryCases {
		f.Add(r.Host)
	}
	f.Add("123456789012.dkr.ecr.us-east-1.amazonaws.com")
	f.Add("123456789012.dkr-ecr-fips.us-gov-west-1.on.aws")
	f.Fuzz(checkSplitPrivateHost)
}
