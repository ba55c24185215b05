package ecr

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/internal/testenv"
)

const exampleConfig = `registries:
  - match: 123456789012.dkr.ecr.us-east-1.amazonaws.com
    profile: prod
  - match: "*.dkr.ecr.eu-west-1.amazonaws.com"       # one label per *, like kubelet globs
    profile: dev
  - match: registry.example.com                       # a name in front of ECR
    registry: 210987654321.dkr.ecr.eu-west-1.amazonaws.com
    profile: ci
  - match: 999999999999.dkr.ecr.us-west-2.amazonaws.com
    role_arn: arn:aws:iam::999999999999:role/pull
    external_id: optional
`

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadMappingsExample(t *testing.T) {
	ms, err := LoadMappings(writeConfig(t, exampleConfig), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms.List) != 4 {
		t.Fatalf("mappings = %+v", ms.List)
	}
	for _, tc := range []struct {
		host    string
		want    int // index, -1 = none
		profile string
	}{
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com", 0, "prod"},
		{"111111111111.dkr.ecr.eu-west-1.amazonaws.com", 1, "dev"},
		{"registry.example.com", 2, "ci"},
		{"999999999999.dkr.ecr.us-west-2.amazonaws.com", 3, ""},
		{"123456789012.dkr.ecr.us-east-2.amazonaws.com", -1, ""},
		{"a.b.dkr.ecr.eu-west-1.amazonaws.com", -1, ""}, // * is one label
		{"x.registry.example.com", -1, ""},
	} {
		m := ms.Match(tc.host)
		switch {
		case tc.want < 0 && m != nil:
			t.Errorf("%s matched line %d", tc.host, m.Line)
		case tc.want >= 0 && (m != &ms.List[tc.want] || m.Profile != tc.profile):
			t.Errorf("%s matched %+v, want entry %d", tc.host, m, tc.want)
		}
	}
	if ms.List[2].target == nil || ms.List[2].target.Region != "eu-west-1" || ms.List[2].target.AccountID != "210987654321" {
		t.Fatalf("registry target = %+v", ms.List[2].target)
	}
	if ms.List[3].Line != 9 || ms.List[3].RoleARN != "arn:aws:iam::999999999999:role/pull" || ms.List[3].ExternalID != "optional" {
		t.Fatalf("entry 4 = %+v", ms.List[3])
	}
}

func TestLoadMappingsErrorsNameFileAndLine(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"unknown top key", "registry:\n  - match: x\n", ":1: unknown key \"registry\""},
		{"unknown entry key", "registries:\n  - match: 123456789012.dkr.ecr.us-east-1.amazonaws.com\n    profle: prod\n", ":3: unknown key \"profle\""},
		{"bad glob", "registries:\n  - match: \"[.dkr.ecr.us-east-1.amazonaws.com\"\n    profile: p\n", ":2: match"},
		{"glob with path", "registries:\n  - match: host/path\n    profile: p\n", ":2: match"},
		{"registry not ECR", "registries:\n  - match: registry.example.com\n    registry: docker.io\n", ":2: registry \"docker.io\" is not an Amazon ECR registry"},
		{"non-ECR match without registry", "registries:\n  - match: registry.example.com\n    profile: p\n", "needs `registry:`"},
		{"no match", "registries:\n  - profile: p\n", ":2: entry has no `match:`"},
		{"bad role", "registries:\n  - match: 123456789012.dkr.ecr.us-east-1.amazonaws.com\n    role_arn: pull\n", "not an IAM role ARN"},
		{"external id alone", "registries:\n  - match: 123456789012.dkr.ecr.us-east-1.amazonaws.com\n    profile: p\n    external_id: x\n", "external_id needs role_arn"},
		{"nothing to do", "registries:\n  - match: 123456789012.dkr.ecr.us-east-1.amazonaws.com\n", "sets none of"},
		{"not yaml", "registries: [\n", "config.yaml"},
		{"list at top", "- match: x\n", ":1: the top level"},
		{"duplicate key", "registries:\n  - match: 123456789012.dkr.ecr.us-east-1.amazonaws.com\n    profile: a\n    profile: b\n", "config.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeConfig(t, tc.body)
			_, err := LoadMappings(p, true)
			if err == nil || !errors.Is(err, ErrMappingConfig) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v; want %q naming %s", err, tc.want, p)
			}
		})
	}
	if ms, err := LoadMappings(filepath.Join(t.TempDir(), "missing.yaml"), false); err != nil || len(ms.List) != 0 {
		t.Fatalf("missing optional file: %v, %v", ms, err)
	}
	if _, err := LoadMappings(filepath.Join(t.TempDir(), "missing.yaml"), true); err == nil {
		t.Fatal("a named file that is missing must be an error")
	}
}

func TestHelperRoutesByMapping(t *testing.T) {
	home := t.TempDir()
	cfgPath := filepath.Join(home, "aws-config")
	awsCfg := "[profile prod]\naws_access_key_id = AKIDPROD00000001\naws_secret_access_key = s\n\n[profile dev]\naws_access_key_id = AKIDDEV000000001\naws_secret_access_key = s\n\n[profile ci]\naws_access_key_id = AKIDCI0000000001\naws_secret_access_key = s\n"
	if err := os.WriteFile(cfgPath, []byte(awsCfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ms, err := LoadMappings(writeConfig(t, exampleConfig), true)
	if err != nil {
		t.Fatal(err)
	}
	env := testEnv(t, map[string]string{"HOME": home, "AWS_CONFIG_FILE": cfgPath})
	c := testenv.NewClock(t0)
	f := okFetcher(c, 12*time.Hour)
	h, _ := newTestHelper(t, env, f, c, func(cfg *Config) { cfg.Mappings = ms })

	for _, tc := range []struct {
		in, region string
		via        Access
	}{
		{"https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/", "us-east-1", Access{Profile: "prod"}},
		{"111111111111.dkr.ecr.eu-west-1.amazonaws.com", "eu-west-1", Access{Profile: "dev"}},
		{"registry.example.com", "eu-west-1", Access{Profile: "ci"}},
		{"999999999999.dkr.ecr.us-west-2.amazonaws.com", "us-west-2", Access{RoleARN: "arn:aws:iam::999999999999:role/pull", ExternalID: "optional"}},
		{"123456789012.dkr.ecr.us-east-2.amazonaws.com", "us-east-2", Access{}},
	} {
		before := f.count()
		if _, _, err := h.Get(tc.in); err != nil {
			t.Fatalf("Get(%s): %v", tc.in, err)
		}
		if f.count() != before+1 {
			t.Fatalf("Get(%s): no fetch (an entry was shared)", tc.in)
		}
		f.mu.Lock()
		reg, via := f.calls[len(f.calls)-1], f.vias[len(f.vias)-1]
		f.mu.Unlock()
		if reg.Region != tc.region || via != tc.via {
			t.Errorf("Get(%s) fetched %s with %+v, want %s with %+v", tc.in, reg.Region, via, tc.region, tc.via)
		}
	}
	// The name in front of ECR answers with the name asked for.
	if user, secret, err := h.Get("registry.example.com"); err != nil || user == "" || secret == "" {
		t.Fatalf("get registry.example.com: %q, %v", user, err)
	}
	// A host no mapping covers and that is not ECR is still not-found.
	if _, _, err := h.Get("other.example.com"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unmapped non-ECR host: %v", err)
	}
}

func TestMappingWithMissingProfileFailsWithoutFallback(t *testing.T) {
	ms, err := LoadMappings(writeConfig(t, "registries:\n  - match: 123456789012.dkr.ecr.us-east-1.amazonaws.com\n    profile: nope\n"), true)
	if err != nil {
		t.Fatal(err)
	}
	c := testenv.NewClock(t0)
	f := &fakeFetcher{fetch: func(context.Context, Registry) (Token, error) {
		t.Error("fetched with other credentials")
		return Token{}, errors.New("no")
	}}
	h, _ := newTestHelper(t, testEnv(t, nil), f, c, func(cfg *Config) { cfg.Mappings = ms })
	_, _, err = h.Get(hostA)
	if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), `profile "nope"`) || !strings.Contains(err.Error(), ms.Path+":2") {
		t.Fatalf("err = %v", err)
	}
}
