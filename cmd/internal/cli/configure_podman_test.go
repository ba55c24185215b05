//go:build unix

// File modes, umask and symlinks are Unix notions; on Windows these tests
// would test nothing the code does there.

package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestConfigurePodmanAuthFile checks where `configure podman` writes.
func TestConfigurePodmanAuthFile(t *testing.T) {
	root := t.TempDir()
	p := func(s string) string { return filepath.Join(root, s) }
	tests := []struct {
		name     string
		cmd      string
		flag     string
		env      map[string]string
		want     string
		volatile bool
	}{
		{"--authfile wins", "podman", p("flag.json"),
			map[string]string{"REGISTRY_AUTH_FILE": p("env.json"), "XDG_RUNTIME_DIR": p("run"), "HOME": p("home")}, p("flag.json"), false},
		{"REGISTRY_AUTH_FILE", "podman", "",
			map[string]string{"REGISTRY_AUTH_FILE": p("env.json"), "XDG_RUNTIME_DIR": p("run"), "HOME": p("home")}, p("env.json"), false},
		{"XDG_RUNTIME_DIR", "containers", "",
			map[string]string{"XDG_RUNTIME_DIR": p("run"), "XDG_CONFIG_HOME": p("cfg"), "HOME": p("home")}, p("run/containers/auth.json"), true},
		{"XDG_CONFIG_HOME", "podman", "",
			map[string]string{"XDG_CONFIG_HOME": p("cfg"), "HOME": p("home")}, p("cfg/containers/auth.json"), false},
		{"HOME", "containers", "",
			map[string]string{"HOME": p("home")}, p("home/.config/containers/auth.json"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "HOME", "USERPROFILE", "DOCKER_CONFIG"} {
				t.Setenv(k, tt.env[k])
			}
			args := []string{tt.cmd, testReg1}
			if tt.flag != "" {
				args = append(args, "--authfile", tt.flag)
			}
			code, stdout, stderr := runConfigure(t, os.Getenv, args...)
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			got := credHelpersOf(t, readFile(t, tt.want))
			if want := map[string]string{testReg1: "ecr-login", "public.ecr.aws": "ecr-login"}; !reflect.DeepEqual(got, want) {
				t.Errorf("%s: credHelpers %v", tt.want, got)
			}
			if err := os.Remove(tt.want); err != nil {
				t.Fatal(err)
			}
			if v := strings.Contains(stdout, "XDG_RUNTIME_DIR is usually cleared"); v != tt.volatile {
				t.Errorf("volatile note = %v:\n%s", v, stdout)
			}
			if strings.Contains(stderr, "credsStore") {
				t.Errorf("credsStore warning for podman: %s", stderr)
			}
		})
	}

	// Nothing to go on.
	for _, k := range []string{"REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "HOME", "USERPROFILE"} {
		t.Setenv(k, "")
	}
	if code, _, stderr := runConfigure(t, os.Getenv, "podman"); code != 1 || !strings.Contains(stderr, "--authfile") {
		t.Errorf("no paths: exit %d, stderr %q", code, stderr)
	}
}

func TestConfigurePodmanMerge(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "auth.json")
	old := `{"auths":{"quay.io":{"auth":"eDp5"}},"credsStore":"x"}`
	writeFile(t, path, []byte(old), 0o600)
	code, stdout, stderr := runConfigure(t, mapEnv(nil), "podman", "--authfile", path, testReg1)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	data := readFile(t, path)
	if keys := topKeys(t, data); !slices.Equal(keys, []string{"auths", "credsStore", "credHelpers"}) {
		t.Errorf("keys %v", keys)
	}
	if got := credHelpersOf(t, data); got[testReg1] != "ecr-login" || got["public.ecr.aws"] != "ecr-login" {
		t.Errorf("credHelpers %v", got)
	}
}
