package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/ecr-login/ecr-login/ecr"
)

// Where each client keeps the file configure edits.

// configureHome is $HOME, else %USERPROFILE%. Unlike ecr.UserHomeDir (the
// SDK's rule, which falls back to the account database for reading), it
// refuses to guess: configure writes another program's configuration, and a
// file written into a guessed home is worse than asking for HOME.
func configureHome(env ecr.Getenv) (string, error) {
	if h := env("HOME"); h != "" {
		return h, nil
	}
	if h := env("USERPROFILE"); h != "" {
		return h, nil
	}
	return "", errors.New("cannot find your home directory: HOME is not set")
}

// dockerConfigPath is where Docker reads its config file, and why.
func dockerConfigPath(env ecr.Getenv) (path, why string, err error) {
	if d := env("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json"), "from $DOCKER_CONFIG", nil
	}
	home, err := configureHome(env)
	if err != nil {
		return "", "", fmt.Errorf("%w; set DOCKER_CONFIG or HOME", err)
	}
	return filepath.Join(home, ".docker", "config.json"), "Docker's default; set DOCKER_CONFIG to choose another", nil
}

// containersAuthPath is the auth file podman, buildah and skopeo log in to, and why.
func containersAuthPath(flagPath string, env ecr.Getenv) (path, why string, err error) {
	switch {
	case flagPath != "":
		return flagPath, "from --authfile", nil
	case env("REGISTRY_AUTH_FILE") != "":
		return env("REGISTRY_AUTH_FILE"), "from $REGISTRY_AUTH_FILE", nil
	case env("XDG_RUNTIME_DIR") != "":
		return filepath.Join(env("XDG_RUNTIME_DIR"), "containers", "auth.json"), "$XDG_RUNTIME_DIR/containers/auth.json, podman's default", nil
	}
	p := persistentAuthPath(env)
	if p == "" {
		return "", "", errors.New("cannot find the auth file: set --authfile, REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR or HOME")
	}
	return p, "$XDG_RUNTIME_DIR is not set", nil
}

// persistentAuthPath is ${XDG_CONFIG_HOME:-$HOME/.config}/containers/auth.json,
// which the containers tools also read; "" if neither is set.
func persistentAuthPath(env ecr.Getenv) string {
	if d := env("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "containers", "auth.json")
	}
	if h, err := configureHome(env); err == nil {
		return filepath.Join(h, ".config", "containers", "auth.json")
	}
	return ""
}

// helperOnPath reports whether DockerHelperName is in a directory of
// env("PATH"); with PATH unset it says yes (nothing to check).
func helperOnPath(env ecr.Getenv) bool {
	path := env("PATH")
	if path == "" {
		return true
	}
	name := DockerHelperName
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			continue
		}
		fi, err := os.Stat(filepath.Join(d, name))
		if err == nil && fi.Mode().IsRegular() && (runtime.GOOS == "windows" || fi.Mode()&0o111 != 0) {
			return true
		}
	}
	return false
}
