package cli

import (
	"fmt"
	"regexp"
	"runtime/debug"
	"sync"
)

// Set by the Makefile: -ldflags "-X github.com/ecr-login/ecr-login/cmd/internal/cli.version=v1.2.3 -X ...commit=abc".
// The Makefile's version is the release tag vX.Y.Z (git describe), or "dev"
// when there is none; the commit is always set.
var (
	version string
	commit  string
)

// Module is this project's module path.
const Module = "github.com/ecr-login/ecr-login"

// VersionInfo returns the version and commit, falling back to what the Go
// toolchain recorded in the binary when the Makefile's -ldflags were not used
// (go build, go install).
func VersionInfo() (ver, rev string) {
	bi, _ := debug.ReadBuildInfo()
	return versionFrom(version, commit, bi)
}

// pseudoVersion matches the versions the go command makes up for an untagged
// commit: v0.0.0-20261201144500-684e57a1b2c3 (and vX.Y.Z-0.2026...- after a tag).
var pseudoVersion = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+-(?:[0-9A-Za-z.]+\.)?(?:0\.)?[0-9]{14}-[0-9a-f]{12}(?:\+dirty)?$`)
}) // compiled when a version is asked for

// versionFrom picks the version and commit: the -ldflags values when set;
// else a release version the go command recorded (go install ...@v1.2.3, or
// go build on a tagged commit); else "dev". The commit comes from the VCS
// stamp of go build, shortened, with "-dirty" for uncommitted edits; "unknown"
// when there is none (go install ...@version, or -buildvcs=false).
func versionFrom(ldVersion, ldCommit string, bi *debug.BuildInfo) (ver, rev string) {
	ver, rev = ldVersion, ldCommit
	if bi != nil {
		if v := bi.Main.Version; ver == "" && v != "" && v != "(devel)" && !pseudoVersion().MatchString(v) {
			ver = v
		}
		if rev == "" {
			modified := false
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					rev = s.Value
				case "vcs.modified":
					modified = s.Value == "true"
				}
			}
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if rev != "" && modified {
				rev += "-dirty"
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
