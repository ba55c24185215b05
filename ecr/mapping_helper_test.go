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

func TestHelperRoutesByMapping(t *testing.T) {
	home := t.TempDir()
	cfgPath := filepath.Join(home, "aws-config")
	awsCfg := "[profile prod]\naws_access_key_id = AKIDPROD00000001\naws_secret_access_key = s\n\n[profile dev]\naws_access_key_id = AKIDDEV000000001\naws_secret_access_key = s\n\n[profile ci]\naws_access_key_id = AKIDCI0000000001\naws_secret_access_key = s\n"
	if err := os.WriteFile(cfgPath, []byte(awsCfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ms, err := LoadMappings(testenv.ConfigFile(t, testenv.ExampleMappings), true)
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
	ms, err := LoadMappings(testenv.ConfigFile(t, "registries:\n  - match: 123456789012.dkr.ecr.us-east-1.amazonaws.com\n    profile: nope\n"), true)
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
