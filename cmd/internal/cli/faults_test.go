package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/cmd/internal/proto"
)

func TestProviderHasItsOwnDefaultDeadlineInsideKubeletsLimit(t *testing.T) {
	cfg, err := LoadConfig(Environ(proto.WithProviderTimeout([]string{"HOME=" + t.TempDir()})))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Helper.Timeout != ProviderTimeout || ProviderTimeout >= time.Minute {
		t.Fatalf("timeout %s, want %s (under kubelet's minute)", cfg.Helper.Timeout, ProviderTimeout)
	}
	// AWS_ECR_TIMEOUT from the CredentialProviderConfig env: wins.
	cfg, err = LoadConfig(Environ(proto.WithProviderTimeout([]string{"HOME=" + t.TempDir(), "AWS_ECR_TIMEOUT=5s"})))
	if err != nil || cfg.Helper.Timeout != 5*time.Second {
		t.Fatalf("%v %s", err, cfg.Helper.Timeout)
	}
}

func TestStoreInputGetsASentence(t *testing.T) {
	for in, want := range map[string]string{
		"":                  "stdin is empty",
		"   \n":             "stdin is empty",
		"{":                 "not the JSON credentials",
		`{"ServerURL": 12}`: "not the JSON credentials",
		`{"Username":"a","Secret":"sekrit-value"}`:      "no ServerURL",
		`{"ServerURL":"h","Username":"a","Secret":"x"}`: "",
		"{\"ServerURL\":\"h\",\n\"Secret\":\"x\"}":      "",
	} {
		err := proto.CheckStoreInput([]byte(in))
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", in, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "sekrit")):
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}
