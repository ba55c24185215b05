package cli

import (
	"runtime/debug"
	"testing"
)

func TestVersionFrom(t *testing.T) {
	const full = "684e57a1b2c3d4e5f60718293a4b5c6d7e8f9012"
	stamped := func(version, modified string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Path: Module, Version: version}}
		bi.Settings = []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: full}}
		if modified != "" {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: "vcs.modified", Value: modified})
		}
		return bi
	}
	for _, tc := range []struct {
		name                string
		ldVersion, ldCommit string
		bi                  *debug.BuildInfo
		ver, rev            string
	}{
		{"make, tagged", "v1.2.3", "684e57a1b2c3", stamped("(devel)", "false"), "v1.2.3", "684e57a1b2c3"},
		{"make, no tag", "dev", "684e57a1b2c3-dirty", stamped("(devel)", "true"), "dev", "684e57a1b2c3-dirty"},
		{"go build, no tag", "", "", stamped("v0.0.0-20261201144500-684e57a1b2c3", "false"), "dev", "684e57a1b2c3"},
		{"go build, no tag, edited", "", "", stamped("v0.0.0-20261201144500-684e57a1b2c3+dirty", "true"), "dev", "684e57a1b2c3-dirty"},
		{"go build, after a tag", "", "", stamped("v1.2.4-0.20261201144500-684e57a1b2c3", "false"), "dev", "684e57a1b2c3"},
		{"go build, after a pre-release tag", "", "", stamped("v1.3.0-rc.1.0.20261201144500-684e57a1b2c3", "false"), "dev", "684e57a1b2c3"},
		{"go build on a tag", "", "", stamped("v1.2.3", "false"), "v1.2.3", "684e57a1b2c3"},
		{"go build -buildvcs=false", "", "", &debug.BuildInfo{Main: debug.Module{Path: Module, Version: "(devel)"}}, "dev", "unknown"},
		{"go install @v1.2.3", "", "", &debug.BuildInfo{Main: debug.Module{Path: Module, Version: "v1.2.3"}}, "v1.2.3", "unknown"},
		{"go install @v1.3.0-rc.1", "", "", &debug.BuildInfo{Main: debug.Module{Path: Module, Version: "v1.3.0-rc.1"}}, "v1.3.0-rc.1", "unknown"},
		{"no build info", "", "", nil, "dev", "unknown"},
	} {
		ver, rev := versionFrom(tc.ldVersion, tc.ldCommit, tc.bi)
		if ver != tc.ver || rev != tc.rev {
			t.Errorf("%s: got %q %q, want %q %q", tc.name, ver, rev, tc.ver, tc.rev)
		}
	}
}
