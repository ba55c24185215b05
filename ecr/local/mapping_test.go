package local

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecr-login/ecr-login/internal/testenv"
)

func TestLoadMappingsExample(t *testing.T) {
	ms, err := LoadMappings(testenv.ConfigFile(t, testenv.ExampleMappings), true)
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
			p := testenv.ConfigFile(t, tc.body)
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
