// Helpers of the configure tests, on every platform.

package cli

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/ecr-login/ecr-login/ecr"
)

const (
	testReg1 = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	testReg2 = "210987654321.dkr-ecr-fips.us-gov-west-1.on.aws"
)

// mapEnv is an ecr.Getenv over m.
func mapEnv(m map[string]string) ecr.Getenv {
	return func(k string) string { return m[k] }
}

// runConfigure runs RunConfigure and returns its exit code and output.
func runConfigure(t *testing.T, env ecr.Getenv, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := RunConfigure(args, &stdout, &stderr, env)
	return code, stdout.String(), stderr.String()
}

// dockerEnv is an environment whose Docker config dir is dir.
func dockerEnv(dir string) ecr.Getenv {
	return mapEnv(map[string]string{"DOCKER_CONFIG": dir})
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path string, data []byte, perm fs.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, perm); err != nil {
		t.Fatal(err)
	}
}

// dirNames lists dir, to spot leftover temporary files.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// decodeTop decodes a JSON object keeping numbers as written.
func decodeTop(t testing.TB, data []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("output is not a JSON object: %v\n%s", err, data)
	}
	if dec.More() {
		t.Fatalf("output has data after the object:\n%s", data)
	}
	return m
}

// topKeys lists the top-level keys of a JSON object in file order.
func topKeys(t testing.TB, data []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %v %v", tok, err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func credHelpersOf(t testing.TB, data []byte) map[string]string {
	t.Helper()
	var c struct {
		CredHelpers map[string]string `json:"credHelpers"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatalf("credHelpers: %v\n%s", err, data)
	}
	return c.CredHelpers
}
