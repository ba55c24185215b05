package cli

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The README's Go version is go.mod's `go` line (the oldest toolchain that
// builds the module), and the licence the README names is the LICENSE file's.
func TestDocsAgreeWithTheRepository(t *testing.T) {
	read := func(path string) string {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	gomod, readme, license := read("../../../go.mod"), read("../../../README.md"), read("../../../LICENSE")
	m := regexp.MustCompile(`(?m)^go ([0-9.]+)$`).FindStringSubmatch(gomod)
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	if want := "with Go " + m[1] + " or newer"; !strings.Contains(readme, want) {
		t.Errorf("README.md does not say %q (go.mod: go %s)", want, m[1])
	}
	for _, v := range regexp.MustCompile(`Go (1\.[0-9]+(?:\.[0-9]+)?) or newer`).FindAllStringSubmatch(readme, -1) {
		if v[1] != m[1] {
			t.Errorf("README.md says Go %s or newer; go.mod says go %s", v[1], m[1])
		}
	}
	if !strings.Contains(license, "Apache License\n                           Version 2.0, January 2004") ||
		!strings.Contains(license, "END OF TERMS AND CONDITIONS") {
		t.Error("LICENSE is not the full Apache License 2.0 text")
	}
	if !strings.Contains(readme, "Apache License, Version 2.0") || !strings.Contains(readme, "[LICENSE](LICENSE)") {
		t.Error("README.md does not carry the Apache-2.0 notice pointing at LICENSE")
	}
}
