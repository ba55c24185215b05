package ecr

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
	"github.com/ecr-login/ecr-login/ecr/local"
)

// The rule of env.go: the SDK reads the process environment, so a snapshot
// that disagrees with it is refused before the SDK runs. Here the snapshot
// names fake A while the process (what the SDK would use) names fake B:
// without checkSnapshot the SDK asks B for a token the cache would then key
// by A's endpoint.
func TestSDKFetcherRefusesSnapshotTheSDKWouldNotSee(t *testing.T) {
	w := newSDKWorld(t) // process: every endpoint at w.fake ("B")
	a := ecrtest.New()
	ts := httptest.NewServer(a)
	t.Cleanup(func() { a.Close(); ts.Close() })
	snap := getenvSnapshot()
	env := func(k string) string {
		switch k {
		case "AWS_ENDPOINT_URL_ECR":
			return ts.URL
		case "AWS_SECRET_ACCESS_KEY":
			return "other-" + sdkSecret
		}
		return snap(k)
	}
	for what, call := range map[string]func(f *SDKFetcher) error{
		"FetchToken": func(f *SDKFetcher) error {
			_, err := f.FetchToken(context.Background(), mustRegistry(t, hostA), Access{})
			return err
		},
		"ProbeCredentials": func(f *SDKFetcher) error {
			_, _, err := f.ProbeCredentials(context.Background(), "us-east-1", Access{})
			return err
		},
	} {
		err := call(NewSDKFetcher(WithEnv(env)))
		if err == nil || !strings.Contains(err.Error(), "AWS_ENDPOINT_URL_ECR") ||
			!strings.Contains(err.Error(), "AWS_SECRET_ACCESS_KEY") {
			t.Errorf("%s: err = %v, want the snapshot refused naming AWS_ENDPOINT_URL_ECR and AWS_SECRET_ACCESS_KEY", what, err)
		}
		if err != nil && (strings.Contains(err.Error(), ts.URL) || strings.Contains(err.Error(), sdkSecret)) {
			t.Errorf("%s: the error shows a value: %v", what, err)
		}
	}
	if n, m := w.fake.CallCount(), len(w.fake.STSCalls()); n != 0 || m != 0 {
		t.Errorf("the SDK ran against the process environment's endpoint: %d ECR, %d STS calls", n, m)
	}
	if n := a.CallCount(); n != 0 {
		t.Errorf("snapshot's fake got %d calls", n)
	}
	// The same fetcher with a snapshot that agrees (the default is the
	// process environment itself) reaches the process's endpoint.
	if _, err := NewSDKFetcher().FetchToken(context.Background(), mustRegistry(t, hostA), Access{}); err != nil {
		t.Fatal(err)
	}
	if n := w.fake.CallCount(); n != 1 {
		t.Errorf("%d calls with an agreeing snapshot, want 1", n)
	}
}

func TestDefaultRegion(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{nil, "us-east-1"},
		{map[string]string{"AWS_DEFAULT_REGION": "eu-west-1"}, "eu-west-1"},
		{map[string]string{"AWS_REGION": "ap-south-1", "AWS_DEFAULT_REGION": "eu-west-1"}, "ap-south-1"},
	} {
		if got := local.DefaultRegion(idEnv(tt.env)); got != tt.want {
			t.Errorf("%v: %q, want %q", tt.env, got, tt.want)
		}
	}
}
