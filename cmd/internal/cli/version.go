package cli

import (
	"fmt"
	"runtime/debug"
)

// Set by the Makefile: -ldflags "-X github.com/ecr-login/ecr-login/cmd/internal/cli.version=v1.2.3 -X ...commit=abc".
var (
	version string
	commit  string
)

// Module is this project's module path.
const Module = "github.com/ecr-login/ecr-login"

// VersionInfo returns the version and commit, falling back to what the Go
// toolchain recorded in the binary when the Makefile's -ldflags were not used.
func VersionInfo() (ver, rev string) {
	ver, rev = version, commit
	if bi, ok := debug.ReadBuildInfo(); ok {
		if ver == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			ver = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && rev == "" {
				rev = s.Value
			}
		}
	}
	if ver == "" {
		ver = "dev"
	}
	if rev == "" {
		rev = "unknown"
	}
	return ver, rev
}

// VersionLine is what `version` prints.
func VersionLine(name string) string {
	ver, rev := VersionInfo()
	return fmt.Sprintf("%s (%s) %s commit %s", name, Module, ver, rev)
}
