//go:build unix

// File modes, umask and symlinks are Unix notions; on Windows these tests
// would test nothing the code does there.

package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fuzzDir is a temporary directory on tmpfs when there is one: every run
// fsyncs, and on a busy disk that stalls the fuzzer for seconds.
func fuzzDir(t *testing.T) string {
	dir, err := os.MkdirTemp("/dev/shm", "FuzzConfigureDocker")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// isCredHelpers is how encoding/json, and so Docker, matches the key.
func isCredHelpers(k string) bool { return strings.EqualFold(k, "credHelpers") }

// FuzzConfigureDocker feeds arbitrary bytes as an existing config.json.
// configure either refuses and leaves the file alone, or writes valid JSON
// with credHelpers["public.ecr.aws"] = "ecr-login" and every other top-level
// key and value, in order; a second run then changes nothing.
func FuzzConfigureDocker(f *testing.F) {
	f.Add([]byte(existingConfig))
	f.Add([]byte(`{"credHelpers":{"public.ecr.aws":"desktop","public.ecr.aws":"x"}}`))
	f.Fuzz(func(t *testing.T, old []byte) {
		dir := fuzzDir(t)
		path := filepath.Join(dir, "config.json")
		if err := os.WriteFile(path, old, 0o600); err != nil {
			t.Fatal(err)
		}
		env := dockerEnv(dir)
		// A dry run writes nothing and agrees with the real run.
		dryCode, dryOut, _ := runConfigure(t, env, "docker", "--dry-run")
		if got := readFile(t, path); !bytes.Equal(got, old) {
			t.Fatalf("dry run changed the file")
		}
		code, stdout, stderr := runConfigure(t, env, "docker")
		if dryCode != code {
			t.Fatalf("dry run exit %d, real run exit %d", dryCode, code)
		}
		if code == 0 && !strings.Contains(dryOut, "\n+\t\t") && !strings.Contains(dryOut, "already configured") {
			t.Fatalf("dry run shows no change:\n%s", dryOut)
		}
		data := readFile(t, path)
		if names := dirNames(t, dir); !slices.Equal(names, []string{"config.json"}) {
			t.Fatalf("dir holds %v", names)
		}
		switch code {
		case 1:
			if !bytes.Equal(data, old) {
				t.Fatalf("refused but changed the file:\n%q\n%q", old, data)
			}
			if !strings.Contains(stderr, path) {
				t.Fatalf("refusal does not name the file: %s", stderr)
			}
			return
		case 0:
		default:
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
		if !json.Valid(data) {
			t.Fatalf("wrote invalid JSON:\n%s", data)
		}
		if h := credHelpersOf(t, data); h["public.ecr.aws"] != "ecr-login" {
			t.Fatalf("credHelpers %v", h)
		}
		if len(bytes.TrimSpace(old)) > 0 {
			wantKeys := topKeys(t, old)
			if !slices.ContainsFunc(wantKeys, isCredHelpers) {
				wantKeys = append(wantKeys, "credHelpers")
			}
			if got := topKeys(t, data); !slices.Equal(got, wantKeys) {
				t.Fatalf("keys %q, want %q", got, wantKeys)
			}
			var before, after map[string]json.RawMessage
			if err := json.Unmarshal(old, &before); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &after); err != nil {
				t.Fatal(err)
			}
			for k, v := range before {
				if isCredHelpers(k) {
					continue
				}
				var a, b bytes.Buffer
				_ = json.Compact(&a, v)
				_ = json.Compact(&b, after[k])
				if !bytes.Equal(a.Bytes(), b.Bytes()) {
					t.Fatalf("%q: %s -> %s", k, v, after[k])
				}
			}
			var oldHelpers map[string]string
			for k, v := range before {
				if isCredHelpers(k) {
					_ = json.Unmarshal(v, &oldHelpers)
				}
			}
			newHelpers := credHelpersOf(t, data)
			for k, v := range oldHelpers {
				if k != "public.ecr.aws" && newHelpers[k] != v {
					t.Fatalf("credHelpers[%q]: %q -> %q", k, v, newHelpers[k])
				}
			}
		}
		// Idempotent.
		code, stdout, stderr = runConfigure(t, env, "docker")
		if code != 0 || !strings.Contains(stdout, "already configured") {
			t.Fatalf("second run: exit %d\n%s%s", code, stdout, stderr)
		}
		if again := readFile(t, path); !bytes.Equal(again, data) {
			t.Fatalf("second run changed the file")
		}
	})
}
