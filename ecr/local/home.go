package local

import (
	"os/user"
	"path/filepath"
	"runtime"
)

// UserHomeDir is the home directory as the AWS SDK finds it
// (aws-sdk-go-v2 internal/shareddefaults.UserHomeDir): os.UserHomeDir —
// $HOME, %USERPROFILE% on Windows, $home on Plan 9 — read from env, else the
// account's home from user.Current() (root with HOME unset, as kubelet runs
// plugins, gets /root). "" when neither names one; the SDK then reads
// ".aws/config" relative to the working directory.
//
// It is the one home of this rule: the identity (the shared config paths),
// the cache directory (~/.ecr) and the configuration file all use it.
func UserHomeDir(env Getenv) string {
	name := "HOME"
	switch runtime.GOOS {
	case "windows":
		name = "USERPROFILE"
	case "plan9":
		name = "home"
	}
	if h := env(name); h != "" {
		return h
	}
	if u, err := user.Current(); err == nil {
		return u.HomeDir
	}
	return ""
}

// SharedConfigPaths are the shared config and credentials files the SDK
// reads: AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE, else .aws/config
// and .aws/credentials under UserHomeDir. They are made absolute (against
// the working directory, as the SDK's open would resolve them), so two
// working directories never look like one set of files.
func SharedConfigPaths(env Getenv) (config, credentials string) {
	home := ""
	config, credentials = env("AWS_CONFIG_FILE"), env("AWS_SHARED_CREDENTIALS_FILE")
	if config == "" || credentials == "" {
		home = UserHomeDir(env)
	}
	if config == "" {
		config = filepath.Join(home, ".aws", "config")
	}
	if credentials == "" {
		credentials = filepath.Join(home, ".aws", "credentials")
	}
	return absPath(config), absPath(credentials)
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
