package ecr

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/internal/testenv"
)

// A pod's cached session is judged on the Helper's clock (NewHelper hands
// it to the SDK fetcher): past its refresh point by that clock, the next
// registry of the same service account asks STS again.
func TestPodSessionUsesTheInjectedClock(t *testing.T) {
	fake := podFake(t)
	c := testenv.NewClock(time.Now())
	h := NewHelper(Config{CacheDir: t.TempDir(), RefreshMargin: time.Hour, Timeout: 10 * time.Second, Env: os.Getenv}, WithClock(c.Now))
	tok := saToken("shop", "cart", c.Now().Add(24*time.Hour))
	ctx := context.Background()
	if _, err := h.PodCredentials(ctx, hostA, mustPod(t, podRole, tok)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.PodCredentials(ctx, hostW, mustPod(t, podRole, tok)); err != nil || fake.STSCallCount() != 1 {
		t.Fatalf("second region, same clock: %v, %d STS calls; want the cached session (1)", err, fake.STSCallCount())
	}
	c.Set(c.Now().Add(50 * time.Minute)) // a 1 h session refreshes at half its life
	if _, err := h.PodCredentials(ctx, "public.ecr.aws", mustPod(t, podRole, tok)); err != nil || fake.STSCallCount() != 2 {
		t.Fatalf("past the session's refresh point by the Helper's clock: %v, %d STS calls; want a new session (2)", err, fake.STSCallCount())
	}
}
