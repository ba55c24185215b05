package cli

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// .ci/run starts on a fresh Debian 12 machine with only Go installed and runs
// .ci/install-e2e-deps.sh first, so that script must install every tool the
// later steps call that is not in Debian's essential set: make (every step
// after the install is a make target), a C compiler and libc headers (make
// test's -race needs cgo; without them the race detector is silently
// skipped), git (scripts/release.sh and .ci/release-check.sh read the
// commit), and the tools named in the script's own header.
func TestCIInstallsWhatCIRuns(t *testing.T) {
	data, err := os.ReadFile("../../../.ci/install-e2e-deps.sh")
	if err != nil {
		t.Fatal(err)
	}
	installed := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^APT_PKGS\+?=\(([^)]*)\)`).FindAllStringSubmatch(string(data), -1) {
		for _, line := range strings.Split(m[1], "\n") {
			line, _, _ = strings.Cut(line, "#")
			for _, p := range strings.Fields(line) {
				installed[p] = true
			}
		}
	}
	if len(installed) == 0 {
		t.Fatal("no APT_PKGS=( ... ) list found in .ci/install-e2e-deps.sh")
	}
	for pkg, why := range map[string]string{
		"make":      ".ci/run runs make test, make fuzz, make demo, make e2e, make bench",
		"gcc":       "make test's -race needs cgo and a C compiler",
		"libc6-dev": "cgo needs the libc headers (gcc only recommends them; the script installs without recommends)",
		"git":       "scripts/release.sh and .ci/release-check.sh read the commit with git",
		"jq":        "the e2e scripts and the nerdctl build",
		"rpm":       ".ci/release-check.sh lists the .rpm files",
		"unzip":     ".ci/release-check.sh lists the .zip archives",
		"iproute2":  "e2e/run.sh (ip, ss)",
	} {
		if !installed[pkg] {
			t.Errorf(".ci/install-e2e-deps.sh does not install %s: %s", pkg, why)
		}
	}
}
