package fast

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/cmd/internal/cli"
	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// rootLoads counts loadRoots calls: no test here loads the real roots.
var rootLoads atomic.Int32

func init() { loadRoots = func() { rootLoads.Add(1) } }

// loadsRoots runs the fast path and says whether it started loading the
// system roots (once warm's goroutine is done).
func loadsRoots(t *testing.T, provider bool, env []string, stdin string) bool {
	t.Helper()
	before := rootLoads.Load()
	var args []string
	if !provider {
		args = []string{"get"}
	}
	quick(t, provider, env, args, stdin)
	warming.Wait()
	return rootLoads.Load() != before
}

// A miss that main will send to AWS over TLS starts loading the system
// roots; nothing else does.
func TestMissLoadsSystemRootsAhead(t *testing.T) {
	env := baseEnv(t)
	ann := map[string]string{cli.AnnotationECRRole: role}
	cart := providerRequest(ecrtest.ServiceAccountToken(issuer, "shop", "cart", []string{"sts.amazonaws.com"}, t0.Add(time.Hour)), ann)
	node := providerRequest("", nil)
	noCreds := []string{"HOME=" + t.TempDir(), "AWS_EC2_METADATA_DISABLED=true", "AWS_ECR_CACHE_DIR=" + t.TempDir(),
		"AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent"}
	for _, tc := range []struct {
		name     string
		provider bool
		env      []string
		stdin    string
		want     bool
	}{
		{"a get that misses", false, env, host, true},
		{"a node request that misses", true, env, node, true},
		{"a pod request that misses", true, env, cart, true},
		{"an HTTPS endpoint", false, with(env, "AWS_ENDPOINT_URL_ECR=https://ecr.example"), host, true},
		{"a plain-HTTP endpoint", false, with(env, "AWS_ENDPOINT_URL_ECR=http://127.0.0.1:1"), host, false},
		{"a CA bundle", true, with(env, "AWS_CA_BUNDLE=/etc/corp-ca.pem"), node, false},
		{"not ECR", false, env, "registry.example.com", false},
		{"an anonymous ECR Public pull", false, noCreds, "public.ecr.aws", false},
		{"empty stdin", false, env, "", false},
	} {
		if got := loadsRoots(t, tc.provider, tc.env, tc.stdin); got != tc.want {
			t.Errorf("%s: started loading the roots: %v, want %v", tc.name, got, tc.want)
		}
	}

	f := &fetcher{}
	full(t, false, f, env, []string{"get"}, host)
	full(t, true, f, env, nil, node)
	if loadsRoots(t, false, env, host) || loadsRoots(t, true, env, node) {
		t.Error("a hit started loading the roots")
	}
}
