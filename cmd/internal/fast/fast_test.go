package fast

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/cache"
	"github.com/ecr-login/ecr-login/cmd/internal/cli"
	"github.com/ecr-login/ecr-login/cmd/internal/proto"
	"github.com/ecr-login/ecr-login/ecr"
	"github.com/ecr-login/ecr-login/ecr/ecrtest"
	"github.com/ecr-login/ecr-login/ecr/local"
)

const (
	host    = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	role    = "arn:aws:iam::123456789012:role/app-pull"
	issuer  = "https://oidc.example/id/CLUSTER"
	keyNode = "AKIDNODE0000000000"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return t0 }

// fetcher issues a token per identity (the password names it), valid 12 h,
// and counts its calls.
type fetcher struct{ calls int }

func (f *fetcher) FetchToken(_ context.Context, reg ecr.Registry, via ecr.Access) (ecr.Token, error) {
	f.calls++
	pw := "password-of-node"
	if via.WebIdentity != nil {
		pw = "password-of-" + via.WebIdentity.ServiceAccount()
	}
	return ecr.Token{Username: "AWS", Password: pw, ExpiresAt: t0.Add(12 * time.Hour), Endpoint: "https://" + reg.Host}, nil
}

func baseEnv(t *testing.T) []string {
	home := t.TempDir()
	return []string{"HOME=" + home, "AWS_ACCESS_KEY_ID=" + keyNode, "AWS_SECRET_ACCESS_KEY=SENTINEL-secret",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_ECR_CACHE_DIR=" + filepath.Join(home, "cache"),
		"AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none")}
}

func with(env []string, kv ...string) []string { return append(append([]string(nil), env...), kv...) }

// full runs the full path (cli, the SDK fetcher replaced by f).
func full(t *testing.T, provider bool, f *fetcher, env []string, args []string, stdin string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	opts := []ecr.Option{ecr.WithFetcher(f), ecr.WithClock(clock)}
	var code int
	if provider {
		code = cli.RunProvider(context.Background(), args, strings.NewReader(stdin), &out, &errOut, env, opts...)
	} else {
		code = cli.RunDocker(context.Background(), args, strings.NewReader(stdin), &out, &errOut, env, opts...)
	}
	return code, out.String()
}

// quick runs the fast path; it also checks that Stdin gives main back
// exactly what was on stdin when it does not answer.
func quick(t *testing.T, provider bool, env []string, args []string, stdin string) (bool, string) {
	t.Helper()
	consumed, rest = nil, nil
	t.Cleanup(func() { consumed, rest = nil, nil })
	var out bytes.Buffer
	var served bool
	in := &terminal{data: stdin}
	if provider {
		var err error
		if served, err = serveProvider(args, in, &out, env, clock); err != nil {
			t.Fatalf("writing the answer: %v", err)
		}
	} else {
		served = serveDocker(args, in, &out, env, clock)
	}
	if !served {
		if out.Len() != 0 {
			t.Fatalf("not served, yet wrote %q", out.String())
		}
		if consumed != nil {
			if got, err := io.ReadAll(Stdin()); string(got) != stdin || err != nil {
				t.Fatalf("main would read %q (%v), want %q", got, err, stdin)
			}
		}
	}
	return served, out.String()
}

// terminal is stdin as a terminal gives it: its data, then EOF once (^D);
// reading after that is an error here (a terminal would wait for more).
type terminal struct {
	data   string
	eofs   int
	offset int
}

func (r *terminal) Read(p []byte) (int, error) {
	if r.offset < len(r.data) {
		n := copy(p, r.data[r.offset:])
		r.offset += n
		return n, nil
	}
	if r.eofs++; r.eofs > 1 {
		return 0, errors.New("read again after EOF: a terminal would wait for a second ^D")
	}
	return 0, io.EOF
}

// An oversize stdin is handed on whole: main reads the rest and refuses it.
func TestOversizeStdinIsHandedOnWhole(t *testing.T) {
	big := strings.Repeat("a", proto.MaxStdin+10)
	if served, _ := quick(t, false, baseEnv(t), []string{"get"}, big); served {
		t.Fatal("served an oversize input")
	}
	if rest == nil {
		t.Fatal("the rest of stdin was dropped")
	}
}

// A hit is answered byte for byte as the full path answers it.
func TestDockerHitIsTheFullPathsAnswer(t *testing.T) {
	f := &fetcher{}
	env := baseEnv(t)
	if code, _ := full(t, false, f, env, []string{"get"}, host+"\n"); code != 0 || f.calls != 1 {
		t.Fatalf("filling the cache: exit %d, %d fetches", code, f.calls)
	}
	_, want := full(t, false, f, env, []string{"get"}, host+"\n")
	if f.calls != 1 {
		t.Fatal("the full path's second get was not a hit")
	}
	served, got := quick(t, false, env, []string{"get"}, host+"\n")
	if !served || got != want {
		t.Fatalf("fast path: served %v, %q; the full path answers %q", served, got, want)
	}
}

// Everything but a plain hit is left to the full path, with stdin intact.
// Above all, a token cached for one identity is never served to another.
func TestDockerLeavesAllButAPlainHitToMain(t *testing.T) {
	f := &fetcher{}
	env := baseEnv(t)
	if code, _ := full(t, false, f, env, []string{"get"}, host); code != 0 {
		t.Fatal("filling the cache failed")
	}
	if served, _ := quick(t, false, env, []string{"get"}, host); !served {
		t.Fatal("the plain hit was not served: the cases below would prove nothing")
	}
	for _, tc := range []struct {
		name  string
		env   []string
		args  []string
		stdin string
	}{
		{"another access key", with(env, "AWS_ACCESS_KEY_ID=AKIDOTHER000000000"), nil, host},
		{"a profile", with(env, "AWS_PROFILE=other"), nil, host},
		{"an endpoint override", with(env, "AWS_ENDPOINT_URL_ECR=http://127.0.0.1:1"), nil, host},
		{"another region", env, nil, "123456789012.dkr.ecr.us-west-2.amazonaws.com"},
		{"an empty cache", with(env, "AWS_ECR_CACHE_DIR="+t.TempDir()), nil, host},
		{"a log file", with(env, "AWS_ECR_LOG_FILE="+filepath.Join(t.TempDir(), "log")), nil, host},
		{"debug logging", with(env, "AWS_ECR_LOG_LEVEL=debug"), nil, host},
		{"keyed by credentials", with(env, "AWS_ECR_KEY_BY_CREDENTIALS=true"), nil, host},
		{"cache disabled", with(env, "AWS_ECR_DISABLE_CACHE=1"), nil, host},
		{"a bad setting", with(env, "AWS_ECR_TIMEOUT=soon"), nil, host},
		{"not ECR", env, nil, "registry.example.com"},
		{"two lines", env, nil, host + "\n" + host},
		{"empty stdin", env, nil, ""},
		{"store", env, []string{"store"}, `{"ServerURL":"` + host + `"}`},
		{"list", env, []string{"list"}, ""},
		{"an extra argument", env, []string{"get", "x"}, host},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if args == nil {
				args = []string{"get"}
			}
			if served, out := quick(t, false, tc.env, args, tc.stdin); served {
				t.Fatalf("served %q", out)
			}
		})
	}
}

func providerRequest(token string, annotations map[string]string) string {
	req := map[string]any{"apiVersion": "credentialprovider.kubelet.k8s.io/v1", "kind": "CredentialProviderRequest",
		"image": host + "/app:1"}
	if token != "" {
		req["serviceAccountToken"], req["serviceAccountAnnotations"] = token, annotations
	}
	b, _ := json.Marshal(req)
	return string(b)
}

// The provider's hits, as the node and as a pod, are the full path's
// answers; a pod never gets the node's token or another pod's.
func TestProviderHitsAreTheFullPathsAnswers(t *testing.T) {
	f := &fetcher{}
	env := baseEnv(t)
	ann := map[string]string{cli.AnnotationECRRole: role}
	cart := ecrtest.ServiceAccountToken(issuer, "shop", "cart", []string{"sts.amazonaws.com"}, t0.Add(time.Hour))
	cartAgain := ecrtest.ServiceAccountToken(issuer, "shop", "cart", []string{"sts.amazonaws.com"}, t0.Add(2*time.Hour))
	pay := ecrtest.ServiceAccountToken(issuer, "shop", "pay", []string{"sts.amazonaws.com"}, t0.Add(time.Hour))
	node, cartReq := providerRequest("", nil), providerRequest(cart, ann)

	if served, _ := quick(t, true, env, nil, node); served {
		t.Fatal("served from an empty cache")
	}
	full(t, true, f, env, nil, node)
	if served, _ := quick(t, true, env, nil, cartReq); served {
		t.Fatal("a pod was served the node's token")
	}
	full(t, true, f, env, nil, cartReq)
	if f.calls != 2 {
		t.Fatalf("%d fetches filling the cache, want 2", f.calls)
	}
	for _, req := range []string{node, cartReq, providerRequest(cartAgain, ann)} {
		_, want := full(t, true, f, env, nil, req)
		served, got := quick(t, true, env, nil, req)
		if !served || got != want {
			t.Fatalf("fast path: served %v, %q; the full path answers %q", served, got, want)
		}
	}
	if f.calls != 2 {
		t.Fatalf("the full path fetched again (%d fetches): not hits", f.calls)
	}
	if served, out := quick(t, true, env, nil, providerRequest(pay, ann)); served {
		t.Fatalf("another service account was served %q", out)
	}
	if served, _ := quick(t, true, env, []string{"--x"}, node); served {
		t.Fatal("served with arguments, which the full path warns about")
	}
}

// ECR Public with no AWS credentials at all is pulled anonymously (the full
// path answers not-found): even an entry at that plan's key, which the full
// path never writes, is not served.
func TestPublicWithoutCredentialsIsNeverAHit(t *testing.T) {
	home := t.TempDir()
	env := []string{"HOME=" + home, "AWS_EC2_METADATA_DISABLED=true", "AWS_ECR_CACHE_DIR=" + filepath.Join(home, "cache"),
		"AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none")}
	p, err := local.PlanFor(proto.Environ(env), nil, "public.ecr.aws", nil)
	if err != nil || !p.Anonymous() {
		t.Fatalf("plan %+v, %v: want an anonymous one", p, err)
	}
	e := cache.Entry{Service: string(p.Reg.Service), Region: p.Reg.Region, IdentityID: p.ID.ID, Identity: p.ID.Description,
		Endpoint: "https://public.ecr.aws", Username: "AWS", Password: "planted", RequestedAt: t0, ExpiresAt: t0.Add(12 * time.Hour)}
	if err := cache.Open(filepath.Join(home, "cache")).Put(context.Background(), p.Key, e, t0); err != nil {
		t.Fatal(err)
	}
	if served, out := quick(t, false, env, []string{"get"}, "public.ecr.aws"); served {
		t.Fatalf("served %q", out)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// A provider answer that cannot be written fails as the full path fails:
// exit 1 and the same line on stderr.
func TestProviderWriteFailureIsTheFullPathsFailure(t *testing.T) {
	f := &fetcher{}
	env := baseEnv(t)
	node := providerRequest("", nil)
	full(t, true, f, env, nil, node) // fills the cache
	var wantErr bytes.Buffer
	wantCode := cli.RunProvider(context.Background(), nil, strings.NewReader(node), failWriter{}, &wantErr, env,
		ecr.WithFetcher(f), ecr.WithClock(clock))
	served, err := serveProvider(nil, strings.NewReader(node), failWriter{}, env, clock)
	if !served || err == nil {
		t.Fatalf("served %v, err %v: want a hit whose write failed", served, err)
	}
	var gotErr bytes.Buffer
	if code := proto.ProviderFailed(&gotErr, err); code != wantCode || gotErr.String() != wantErr.String() {
		t.Fatalf("fast path: exit %d, stderr %q; full path: exit %d, stderr %q", code, gotErr.String(), wantCode, wantErr.String())
	}
}

// errOnce fails one read (with data), then reads EOF: a socket after a reset.
type errOnce struct{ reads int }

func (r *errOnce) Read(p []byte) (int, error) {
	if r.reads++; r.reads == 1 {
		return copy(p, host), errors.New("connection reset by peer")
	}
	return 0, io.EOF
}

// A read error reaches main as the full path alone would have met it, even
// when reading again would find EOF.
func TestStdinReadErrorReachesMain(t *testing.T) {
	consumed, rest = nil, nil
	t.Cleanup(func() { consumed, rest = nil, nil })
	if served := serveDocker([]string{"get"}, &errOnce{}, io.Discard, baseEnv(t), clock); served {
		t.Fatal("served after a read error")
	}
	got, err := io.ReadAll(Stdin())
	if string(got) != host || err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("main reads %q, %v; want what was read, then the error", got, err)
	}
}
