package cli

import (
	"os/user"
	"path/filepath"
	"runtime"
	"testing"
)

// TestLoadConfigHomeUnset: with HOME unset (how kubelet runs plugins), the
// cache and the configuration file live under the account's home, as the
// AWS SDK finds it (root: /root/.ecr), instead of no cache at all.
func TestLoadConfigHomeUnset(t *testing.T) {
	u, err := user.Current()
	if err != nil || u.HomeDir == "" || runtime.GOOS == "windows" {
		t.Skip("no account home to compare with")
	}
	t.Setenv("HOME", "") // the process too, as under kubelet
	c, err := LoadConfig(Environ([]string{"PATH=/usr/bin"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Helper.CacheDisabled || c.Helper.CacheDir != filepath.Join(u.HomeDir, ".ecr") {
		t.Fatalf("cache dir %q (disabled %v), want %s", c.Helper.CacheDir, c.Helper.CacheDisabled, filepath.Join(u.HomeDir, ".ecr"))
	}
}

func TestLoadConfigKeyByCredentials(t *testing.T) {
	for v, want := range map[string]bool{"": false, "true": true, "1": true, "false": false} {
		c, err := LoadConfig(Environ([]string{"HOME=" + t.TempDir(), EnvKeyByCredentials + "=" + v}))
		if err != nil || c.Helper.KeyByCredentials != want {
			t.Errorf("%s=%q: got %v, %v", EnvKeyByCredentials, v, c.Helper.KeyByCredentials, err)
		}
	}
}
