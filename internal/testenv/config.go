package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// ExampleMappings is a ~/.ecr/config.yaml with one mapping of each kind,
// shared by the parser's tests (ecr/local) and the Helper's routing tests
// (ecr).
const ExampleMappings = `registries:
  - match: 123456789012.dkr.ecr.us-east-1.amazonaws.com
    profile: prod
  - match: "*.dkr.ecr.eu-west-1.amazonaws.com"       # one label per *, like kubelet globs
    profile: dev
  - match: registry.example.com                       # a name in front of ECR
    registry: 210987654321.dkr.ecr.eu-west-1.amazonaws.com
    profile: ci
  - match: 999999999999.dkr.ecr.us-west-2.amazonaws.com
    role_arn: arn:aws:iam::999999999999:role/pull
    external_id: optional
`

// ConfigFile writes body to config.yaml in a new temporary directory and
// returns its path.
func ConfigFile(t testing.TB, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
