//go:build unix

// File modes, umask and symlinks are Unix notions; on Windows these tests
// would test nothing the code does there.

package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

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

func TestConfigureDockerCreate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want map[string]string
	}{
		{"no registry", nil, map[string]string{"public.ecr.aws": "ecr-login"}},
		{"one registry", []string{testReg1}, map[string]string{testReg1: "ecr-login", "public.ecr.aws": "ecr-login"}},
		{"URL forms are normalised", []string{"https://" + strings.ToUpper(testReg1) + "/", "http://" + testReg2 + ":443/v2/"},
			map[string]string{testReg1: "ecr-login", testReg2: "ecr-login", "public.ecr.aws": "ecr-login"}},
		{"duplicates and public named", []string{testReg1, testReg1 + "/", "public.ecr.aws", "ecr-public.aws.com"},
			map[string]string{testReg1: "ecr-login", "public.ecr.aws": "ecr-login", "ecr-public.aws.com": "ecr-login"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "new", "docker")
			code, stdout, stderr := runConfigure(t, dockerEnv(dir), append([]string{"docker"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			data := readFile(t, filepath.Join(dir, "config.json"))
			if got := credHelpersOf(t, data); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("credHelpers = %v, want %v", got, tt.want)
			}
			if keys := topKeys(t, data); !slices.Equal(keys, []string{"credHelpers"}) {
				t.Errorf("top-level keys %v", keys)
			}
			if !strings.Contains(stdout, "Created") {
				t.Errorf("stdout does not say Created:\n%s", stdout)
			}
			hint := strings.Contains(stdout, "Hint: no registry was named, so only public.ecr.aws was added")
			if hint != (len(tt.args) == 0) {
				t.Errorf("hint shown = %v with %d registries:\n%s", hint, len(tt.args), stdout)
			}
			if !bytes.HasSuffix(data, []byte("}\n")) || !bytes.Contains(data, []byte("\n\t\"credHelpers\": {\n\t\t\"")) {
				t.Errorf("not tab-indented like Docker's own file:\n%s", data)
			}
			if names := dirNames(t, dir); !slices.Equal(names, []string{"config.json"}) {
				t.Errorf("dir holds %v", names)
			}
		})
	}
}

// TestConfigureDockerHome: without DOCKER_CONFIG the file is ~/.docker/config.json.
func TestConfigureDockerHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("DOCKER_CONFIG", "")
	t.Setenv("HOME", home)
	code, stdout, stderr := runConfigure(t, os.Getenv, "docker", testReg1)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	path := filepath.Join(home, ".docker", "config.json")
	if got := credHelpersOf(t, readFile(t, path)); got[testReg1] != "ecr-login" {
		t.Errorf("credHelpers = %v", got)
	}
	if !strings.Contains(stdout, path) {
		t.Errorf("stdout does not name %s:\n%s", path, stdout)
	}

	t.Setenv("HOME", "")
	t.Setenv("USERPROFILE", "")
	code, _, stderr = runConfigure(t, os.Getenv, "docker")
	if code != 1 || !strings.Contains(stderr, "DOCKER_CONFIG") {
		t.Errorf("no HOME: exit %d, stderr %q", code, stderr)
	}
}

// existingConfig has everything Docker and its plugins put in config.json,
// plus unknown keys and number forms a float64 round trip would change.
const existingConfig = `{
  "auths": {
    "https://index.docker.io/v1/": {"auth": "dXNlcjpwYXNz", "identitytoken": "tok"},
    "ghcr.io": {}
  },
  "credsStore": "desktop",
  "currentContext": "colima",
  "credHelpers": {"gcr.io": "gcloud", "` + testReg1 + `": "ecr-login"},
  "proxies": {"default": {"httpProxy": "http://proxy:3128", "noProxy": "localhost,127.0.0.1"}},
  "numbers": {"exp": 1e3, "big": 12345678901234567890, "neg": -0.000, "frac": 1.50},
  "x-unknown": {"nested": {"deeper": [1, "two", null, true, {"k": 1E+2}]}, "html": "<a&b>", "esc": "\u00e9\t"},
  "features": {"buildkit": "true"},
  "aliases": {"builder": "buildx"}
}
`

func TestConfigureDockerMerge(t *testing.T) {
	t.Parallel()
	withoutHelpers := `{"auths":{"r.example":{"auth":"eDp5"}},"psFormat":"table {{.ID}}","detachKeys":"ctrl-e,e","n":1e3,"big":12345678901234567890}`
	tests := []struct {
		name     string
		old      string
		args     []string
		wantKeys []string // top-level keys after, in order
	}{
		{"credHelpers in the middle", existingConfig, []string{testReg2},
			[]string{"auths", "credsStore", "currentContext", "credHelpers", "proxies", "numbers", "x-unknown", "features", "aliases"}},
		{"no credHelpers yet", withoutHelpers, []string{testReg1},
			[]string{"auths", "psFormat", "detachKeys", "n", "big", "credHelpers"}},
		{"credHelpers null", `{"a":1,"credHelpers":null,"b":2}`, nil, []string{"a", "credHelpers", "b"}},
		// Docker matches keys case-insensitively: edit that one, add no other.
		{"credHelpers in another case", `{"CredHelpers":{"gcr.io":"gcloud"},"b":2}`, nil, []string{"CredHelpers", "b"}},
		{"empty file", "", nil, []string{"credHelpers"}},
		{"blank file", " \n\t\n", nil, []string{"credHelpers"}},
		{"empty object", "{}", nil, []string{"credHelpers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "config.json")
			writeFile(t, path, []byte(tt.old), 0o600)
			code, stdout, stderr := runConfigure(t, dockerEnv(dir), append([]string{"docker"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			data := readFile(t, path)
			if keys := topKeys(t, data); !slices.Equal(keys, tt.wantKeys) {
				t.Errorf("top-level keys\n got %v\nwant %v", keys, tt.wantKeys)
			}
			var before map[string]any
			if strings.TrimSpace(tt.old) != "" {
				before = decodeTop(t, []byte(tt.old))
			}
			after := decodeTop(t, data)
			for k, v := range before {
				if isCredHelpers(k) {
					continue
				}
				if !reflect.DeepEqual(after[k], v) {
					t.Errorf("%q changed:\n got %#v\nwant %#v", k, after[k], v)
				}
			}
			// Other credHelpers entries are kept; ours are added.
			oldHelpers := map[string]any{}
			for k, v := range before {
				if h, ok := v.(map[string]any); ok && isCredHelpers(k) {
					oldHelpers = h
				}
			}
			helpers := credHelpersOf(t, data)
			for k, v := range oldHelpers {
				if helpers[k] != v {
					t.Errorf("credHelpers[%q] = %q, was %q", k, helpers[k], v)
				}
			}
			for _, r := range append(tt.args, "public.ecr.aws") {
				if helpers[r] != "ecr-login" {
					t.Errorf("credHelpers[%q] = %q", r, helpers[r])
				}
			}
			// Numbers and strings are kept as written, not re-encoded.
			for _, lit := range []string{"1e3", "12345678901234567890", "-0.000", "1.50", "1E+2", `"<a&b>"`, `"\u00e9\t"`} {
				if strings.Contains(tt.old, lit) && !bytes.Contains(data, []byte(lit)) {
					t.Errorf("%s not kept as written:\n%s", lit, data)
				}
			}
			wantWarn := strings.Contains(tt.old, "credsStore")
			if gotWarn := strings.Contains(stderr, `"credsStore": "desktop"`) && strings.Contains(stderr, "precedence") ||
				strings.Contains(stderr, "credsStore") && strings.Contains(stderr, "before credsStore"); gotWarn != wantWarn {
				t.Errorf("credsStore warning = %v, want %v; stderr:\n%s", gotWarn, wantWarn, stderr)
			}
		})
	}
}

func TestConfigureDockerIdempotent(t *testing.T) {
	t.Parallel()
	for _, old := range []string{"", existingConfig} {
		dir := t.TempDir()
		path := filepath.Join(dir, "config.json")
		if old != "" {
			writeFile(t, path, []byte(old), 0o600)
		}
		args := []string{"docker", testReg1, testReg2}
		if code, stdout, stderr := runConfigure(t, dockerEnv(dir), args...); code != 0 {
			t.Fatalf("first run: exit %d\n%s%s", code, stdout, stderr)
		}
		first := readFile(t, path)
		past := time.Now().Add(-time.Hour).Truncate(time.Second)
		if err := os.Chtimes(path, past, past); err != nil {
			t.Fatal(err)
		}
		fi1, _ := os.Stat(path)

		for _, again := range [][]string{args, {"docker", testReg2}, {"docker"}} {
			code, stdout, stderr := runConfigure(t, dockerEnv(dir), again...)
			if code != 0 || !strings.Contains(stdout, "already configured") {
				t.Errorf("%v: exit %d, stdout %q, stderr %q", again, code, stdout, stderr)
			}
			if got := readFile(t, path); !bytes.Equal(got, first) {
				t.Errorf("%v rewrote the file:\n%s", again, got)
			}
			fi2, _ := os.Stat(path)
			if !fi2.ModTime().Equal(fi1.ModTime()) || !os.SameFile(fi1, fi2) {
				t.Errorf("%v touched the file: mtime %v -> %v", again, fi1.ModTime(), fi2.ModTime())
			}
		}
		if names := dirNames(t, dir); !slices.Equal(names, []string{"config.json"}) {
			t.Errorf("dir holds %v", names)
		}
	}
}

func TestConfigureDockerReplace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	old := `{"credHelpers":{"public.ecr.aws":"desktop","` + testReg1 + `":"ecr-login-old","gcr.io":"gcloud"}}`
	writeFile(t, path, []byte(old), 0o600)
	code, stdout, stderr := runConfigure(t, dockerEnv(dir), "docker", testReg1)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	want := map[string]string{"public.ecr.aws": "ecr-login", testReg1: "ecr-login", "gcr.io": "gcloud"}
	if got := credHelpersOf(t, readFile(t, path)); !reflect.DeepEqual(got, want) {
		t.Errorf("credHelpers = %v, want %v", got, want)
	}
	for _, s := range []string{`replaced  "public.ecr.aws": "ecr-login" (was "desktop")`, `(was "ecr-login-old")`} {
		if !strings.Contains(stdout, s) {
			t.Errorf("stdout lacks %q:\n%s", s, stdout)
		}
	}
	// Entries keep their place.
	var order []string
	dec := json.NewDecoder(bytes.NewReader(readFile(t, path)))
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if s, ok := tok.(string); ok && s != "ecr-login" && s != "gcloud" {
			order = append(order, s)
		}
	}
	if want := []string{"credHelpers", "public.ecr.aws", testReg1, "gcr.io"}; !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
}

func TestConfigureDockerRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		old  string
		want []string // in stderr, besides the file name
	}{
		{"truncated", `{"auths": {`, []string{"not valid JSON", "line 1, column 12"}},
		{"trailing comma", "{\n  \"auths\": {},\n}", []string{"not valid JSON", "line 3, column 1"}},
		{"bad literal", "{\n\t\"a\": tru\n}", []string{"not valid JSON", "line 2, column 10", "literal true"}},
		{"garbage after", `{"a":1} x`, []string{"not valid JSON", "line 1, column 9"}},
		{"second object", "{}\n{}", []string{"not valid JSON", "line 2, column 1"}},
		{"BOM", "\xef\xbb\xbf{}", []string{"byte-order mark"}},
		{"single quotes", `{'a': 1}`, []string{"not valid JSON"}},
		{"top-level array", `[{"credHelpers": {}}]`, []string{"top level is an array"}},
		{"top-level string", `"x"`, []string{"top level is a string"}},
		{"top-level null", `null`, []string{"top level is null"}},
		{"credHelpers array", `{"credHelpers": ["public.ecr.aws"]}`, []string{`"credHelpers" is an array`}},
		{"credHelpers string", `{"credHelpers": "ecr-login"}`, []string{`"credHelpers" is a string`}},
		{"credHelpers number value", `{"credHelpers": {"gcr.io": 1}}`, []string{`entry "gcr.io" is a number`}},
		{"credHelpers object value", `{"credHelpers": {"public.ecr.aws": {"x": 1}}}`, []string{`entry "public.ecr.aws" is an object`}},
		{"credHelpers null value", `{"credHelpers": {"gcr.io": null}}`, []string{`entry "gcr.io" is null`}},
		{"credHelpers twice", `{"credHelpers": {}, "credHelpers": {}}`, []string{"more than once"}},
		{"credHelpers twice, case folded", `{"CredHelpers": {}, "credhelpers": {}}`, []string{`as "CredHelpers" and "credhelpers"`}},
		{"case-folded credHelpers array", `{"CREDHELPERS": []}`, []string{`"CREDHELPERS" is an array`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, dryRun := range []bool{false, true} {
				dir := t.TempDir()
				path := filepath.Join(dir, "config.json")
				writeFile(t, path, []byte(tt.old), 0o644)
				args := []string{"docker", testReg1}
				if dryRun {
					args = append(args, "--dry-run")
				}
				code, stdout, stderr := runConfigure(t, dockerEnv(dir), args...)
				if code != 1 {
					t.Errorf("exit %d, want 1\nstdout: %s\nstderr: %s", code, stdout, stderr)
				}
				for _, w := range append(tt.want, path, "nothing was changed") {
					if !strings.Contains(stderr, w) {
						t.Errorf("stderr lacks %q:\n%s", w, stderr)
					}
				}
				if got := readFile(t, path); !bytes.Equal(got, []byte(tt.old)) {
					t.Errorf("file changed:\n%q", got)
				}
				if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
					t.Errorf("mode changed to %v", fi.Mode())
				}
				if names := dirNames(t, dir); !slices.Equal(names, []string{"config.json"}) {
					t.Errorf("dir holds %v", names)
				}
			}
		})
	}
}

func TestConfigureDockerBadRegistry(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"example.com", "docker.io", testReg1 + ".evil.example", "12345.dkr.ecr.us-east-1.amazonaws.com",
		"123456789012.dkr.ecr.cn-north-1.amazonaws.com", "https://user:pw@" + testReg1, "", "[::1]:443"} {
		t.Run(bad, func(t *testing.T) {
			t.Parallel()
			for _, existing := range []bool{false, true} {
				dir := filepath.Join(t.TempDir(), "docker")
				path := filepath.Join(dir, "config.json")
				if existing {
					writeFile(t, path, []byte(existingConfig), 0o600)
				}
				code, stdout, stderr := runConfigure(t, dockerEnv(dir), "docker", testReg1, bad)
				if code != 2 {
					t.Errorf("exit %d, want 2", code)
				}
				if !strings.Contains(stderr, strconv.Quote(bad)) || !strings.Contains(stderr, "not an Amazon ECR registry") {
					t.Errorf("stderr does not name %q:\n%s", bad, stderr)
				}
				if stdout != "" {
					t.Errorf("stdout: %s", stdout)
				}
				if !existing {
					if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
						t.Errorf("%s was created (%v)", dir, err)
					}
				} else if got := readFile(t, path); string(got) != existingConfig {
					t.Errorf("file changed:\n%s", got)
				}
			}
		})
	}
}

func TestConfigureDockerDryRun(t *testing.T) {
	t.Parallel()
	for _, old := range []string{"", `{"auths":{},"credHelpers":{"public.ecr.aws":"desktop"}}`, existingConfig} {
		dir := t.TempDir()
		path := filepath.Join(dir, "config.json")
		if old != "" {
			writeFile(t, path, []byte(old), 0o644)
		}
		// Flags may follow registries.
		code, stdout, stderr := runConfigure(t, dockerEnv(dir), "docker", testReg2, "--dry-run")
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
		for _, want := range []string{
			"--- ", "+++ ", "@@ ",
			"\n+\t\t\"" + testReg2 + "\": \"ecr-login\"",
			"Nothing written (--dry-run).",
		} {
			if !strings.Contains(stdout, want) {
				t.Errorf("stdout lacks %q:\n%s", want, stdout)
			}
		}
		if strings.Contains(old, `"public.ecr.aws":"desktop"`) {
			if !strings.Contains(stdout, "\n-\t\t\"public.ecr.aws\": \"desktop\"") ||
				!strings.Contains(stdout, "\n+\t\t\"public.ecr.aws\": \"ecr-login\"") {
				t.Errorf("diff does not show the replacement:\n%s", stdout)
			}
		}
		// Only credHelpers lines change: no +/- line mentions another key.
		for _, l := range strings.Split(stdout, "\n") {
			if (strings.HasPrefix(l, "+\t") || strings.HasPrefix(l, "-\t")) &&
				!strings.Contains(l, "ecr-login") && !strings.Contains(l, "credHelpers") && !strings.Contains(l, "desktop") &&
				strings.TrimSpace(l[1:]) != "}" && strings.TrimSpace(l[1:]) != "}," {
				t.Errorf("unexpected diff line %q", l)
			}
		}
		if old == "" {
			if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("dry run created the file (%v)", err)
			}
		} else {
			if got := readFile(t, path); string(got) != old {
				t.Errorf("dry run changed the file:\n%s", got)
			}
			if names := dirNames(t, dir); !slices.Equal(names, []string{"config.json"}) {
				t.Errorf("dir holds %v", names)
			}
		}
	}
}

func TestConfigureDockerSymlink(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	real := filepath.Join(root, "dotfiles", "docker-config.json")
	writeFile(t, real, []byte(`{"auths":{"x":{}}}`), 0o600)
	dockerDir := filepath.Join(root, "home", ".docker")
	if err := os.MkdirAll(dockerDir, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dockerDir, "config.json")
	if err := os.Symlink("../../dotfiles/docker-config.json", link); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runConfigure(t, dockerEnv(dockerDir), "docker", testReg1)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("the symlink was replaced: %v %v", fi.Mode(), err)
	}
	data := readFile(t, real)
	if got := credHelpersOf(t, data); got[testReg1] != "ecr-login" {
		t.Errorf("target credHelpers = %v", got)
	}
	if decodeTop(t, data)["auths"] == nil {
		t.Errorf("auths lost:\n%s", data)
	}
	if !strings.Contains(stdout, "resolves to "+real) {
		t.Errorf("stdout does not name the target:\n%s", stdout)
	}
	for dir, want := range map[string]string{filepath.Dir(real): "docker-config.json", dockerDir: "config.json"} {
		if names := dirNames(t, dir); !slices.Equal(names, []string{want}) {
			t.Errorf("%s holds %v", dir, names)
		}
	}

	// A dangling symlink is refused, not replaced by a file.
	dangling := filepath.Join(root, "dangling")
	if err := os.MkdirAll(dangling, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../nowhere/config.json", filepath.Join(dangling, "config.json")); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runConfigure(t, dockerEnv(dangling), "docker")
	if code != 1 || !strings.Contains(stderr, "symlink") {
		t.Errorf("dangling symlink: exit %d, stderr %q", code, stderr)
	}
	if fi, err := os.Lstat(filepath.Join(dangling, "config.json")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("dangling symlink replaced")
	}
}

// TestConfigureModes is not parallel: it sets the process umask.
func TestConfigureModes(t *testing.T) {
	for _, mask := range []int{0, 0o022} {
		old := syscall.Umask(mask)
		func() {
			defer syscall.Umask(old)
			root := t.TempDir()
			dir := filepath.Join(root, "a", "docker")
			if code, stdout, stderr := runConfigure(t, dockerEnv(dir), "docker"); code != 0 {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			checkMode(t, dir, 0o700)
			checkMode(t, filepath.Join(dir, "config.json"), 0o600)

			// An existing, looser file becomes 0600 and says so.
			path := filepath.Join(root, "loose", "config.json")
			writeFile(t, path, []byte("{}"), 0o644)
			if err := os.Chmod(path, 0o666); err != nil {
				t.Fatal(err)
			}
			code, stdout, _ := runConfigure(t, dockerEnv(filepath.Dir(path)), "docker")
			if code != 0 || !strings.Contains(stdout, "0666 to 0600") {
				t.Errorf("exit %d, stdout:\n%s", code, stdout)
			}
			checkMode(t, path, 0o600)
		}()
	}
}

func checkMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %04o, want %04o", path, got, want)
	}
}

func TestConfigureWriteAtomicCleansUp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Renaming a file over a non-empty directory fails.
	target := filepath.Join(dir, "config.json")
	writeFile(t, filepath.Join(target, "x"), nil, 0o600)
	if err := writeConfigAtomic(target, []byte("{}\n")); err == nil {
		t.Fatal("no error")
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"config.json"}) {
		t.Errorf("temporary file left: %v", names)
	}
	// A directory that does not exist: nothing to clean, an error.
	if err := writeConfigAtomic(filepath.Join(dir, "nope", "config.json"), nil); err == nil {
		t.Fatal("no error")
	}
}

// TestConfigurePodmanAuthFile checks where `configure podman` writes.
func TestConfigurePodmanAuthFile(t *testing.T) {
	root := t.TempDir()
	p := func(s string) string { return filepath.Join(root, s) }
	tests := []struct {
		name     string
		cmd      string
		flag     string
		env      map[string]string
		want     string
		volatile bool
	}{
		{"--authfile wins", "podman", p("flag.json"),
			map[string]string{"REGISTRY_AUTH_FILE": p("env.json"), "XDG_RUNTIME_DIR": p("run"), "HOME": p("home")}, p("flag.json"), false},
		{"REGISTRY_AUTH_FILE", "podman", "",
			map[string]string{"REGISTRY_AUTH_FILE": p("env.json"), "XDG_RUNTIME_DIR": p("run"), "HOME": p("home")}, p("env.json"), false},
		{"XDG_RUNTIME_DIR", "containers", "",
			map[string]string{"XDG_RUNTIME_DIR": p("run"), "XDG_CONFIG_HOME": p("cfg"), "HOME": p("home")}, p("run/containers/auth.json"), true},
		{"XDG_CONFIG_HOME", "podman", "",
			map[string]string{"XDG_CONFIG_HOME": p("cfg"), "HOME": p("home")}, p("cfg/containers/auth.json"), false},
		{"HOME", "containers", "",
			map[string]string{"HOME": p("home")}, p("home/.config/containers/auth.json"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "HOME", "USERPROFILE", "DOCKER_CONFIG"} {
				t.Setenv(k, tt.env[k])
			}
			args := []string{tt.cmd, testReg1}
			if tt.flag != "" {
				args = append(args, "--authfile", tt.flag)
			}
			code, stdout, stderr := runConfigure(t, os.Getenv, args...)
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			got := credHelpersOf(t, readFile(t, tt.want))
			if want := map[string]string{testReg1: "ecr-login", "public.ecr.aws": "ecr-login"}; !reflect.DeepEqual(got, want) {
				t.Errorf("%s: credHelpers %v", tt.want, got)
			}
			if err := os.Remove(tt.want); err != nil {
				t.Fatal(err)
			}
			if v := strings.Contains(stdout, "XDG_RUNTIME_DIR is usually cleared"); v != tt.volatile {
				t.Errorf("volatile note = %v:\n%s", v, stdout)
			}
			if strings.Contains(stderr, "credsStore") {
				t.Errorf("credsStore warning for podman: %s", stderr)
			}
		})
	}

	// Nothing to go on.
	for _, k := range []string{"REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "HOME", "USERPROFILE"} {
		t.Setenv(k, "")
	}
	if code, _, stderr := runConfigure(t, os.Getenv, "podman"); code != 1 || !strings.Contains(stderr, "--authfile") {
		t.Errorf("no paths: exit %d, stderr %q", code, stderr)
	}
}

func TestConfigurePodmanMerge(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "auth.json")
	old := `{"auths":{"quay.io":{"auth":"eDp5"}},"credsStore":"x"}`
	writeFile(t, path, []byte(old), 0o600)
	code, stdout, stderr := runConfigure(t, mapEnv(nil), "podman", "--authfile", path, testReg1)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	data := readFile(t, path)
	if keys := topKeys(t, data); !slices.Equal(keys, []string{"auths", "credsStore", "credHelpers"}) {
		t.Errorf("keys %v", keys)
	}
	if got := credHelpersOf(t, data); got[testReg1] != "ecr-login" || got["public.ecr.aws"] != "ecr-login" {
		t.Errorf("credHelpers %v", got)
	}
}

func TestConfigureUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{nil, 2, "", "usage: docker-credential-ecr-login configure <command>"},
		{[]string{"nope"}, 2, "", `unknown command "nope"`},
		{[]string{"-h"}, 0, "usage: docker-credential-ecr-login configure <command>", ""},
		{[]string{"--help"}, 0, "Commands:", ""},
		{[]string{"docker", "-h"}, 0, "configure docker [--dry-run]", ""},
		{[]string{"podman", "--help"}, 0, "--authfile PATH", ""},
		{[]string{"containers", "-h"}, 0, "configure containers [--authfile PATH]", ""},
		{[]string{"kubelet", "-h"}, 0, "--api-version", ""},
		{[]string{"docker", "--bogus"}, 2, "", "flag provided but not defined: -bogus"},
		{[]string{"podman", "--authfile"}, 2, "", "flag needs an argument"},
		{[]string{"docker", "--dry-run=maybe"}, 2, "", "invalid boolean value"},
		{[]string{"kubelet", "extra"}, 2, "", `unexpected argument "extra"`},
		{[]string{"kubelet", "--api-version", "v2"}, 2, "", "want v1, v1beta1 or v1alpha1"},
		{[]string{"kubelet", "--cache-duration", "soon"}, 2, "", "--cache-duration"},
		{[]string{"kubelet", "--cache-duration", "-1h"}, 2, "", "--cache-duration"},
		{[]string{"kubelet", "--authfile", "x"}, 2, "", "flag provided but not defined"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runConfigure(t, mapEnv(nil), tt.args...)
		if code != tt.code {
			t.Errorf("%q: exit %d, want %d", tt.args, code, tt.code)
		}
		if tt.stdout == "" && stdout != "" || !strings.Contains(stdout, tt.stdout) {
			t.Errorf("%q: stdout %q, want %q", tt.args, stdout, tt.stdout)
		}
		if tt.stderr == "" && stderr != "" || !strings.Contains(stderr, tt.stderr) {
			t.Errorf("%q: stderr %q, want %q", tt.args, stderr, tt.stderr)
		}
	}
}

func TestConfigureHelperNotOnPath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	env := map[string]string{"DOCKER_CONFIG": filepath.Join(dir, "d"), "PATH": bin}
	_, _, stderr := runConfigure(t, mapEnv(env), "docker")
	if !strings.Contains(stderr, "not in any directory on $PATH") {
		t.Errorf("no PATH warning: %q", stderr)
	}
	writeFile(t, filepath.Join(bin, DockerHelperName), []byte("#!/bin/sh\n"), 0o755)
	_, _, stderr = runConfigure(t, mapEnv(env), "docker")
	if strings.Contains(stderr, "PATH") {
		t.Errorf("PATH warning with the helper installed: %q", stderr)
	}
}

func TestConfigureUnifiedDiff(t *testing.T) {
	t.Parallel()
	a := []byte("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n")
	b := []byte("a\nb\nc\nd\nE\nf\ng\nh\ni\nj\nk\nl\n")
	want := "--- x\n+++ y\n@@ -2,10 +2,11 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n i\n j\n k\n+l\n"
	if got := unifiedDiff("x", "y", a, b); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	far := []byte("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n")
	far2 := []byte("0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n")
	want = "--- x\n+++ y\n@@ -1,3 +1,4 @@\n+0\n 1\n 2\n 3\n@@ -9,4 +10,3 @@\n 9\n 10\n 11\n-12\n"
	if got := unifiedDiff("x", "y", far, far2); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := unifiedDiff("x", "y", nil, []byte("{}\n")); got != "--- x\n+++ y\n@@ -0,0 +1,1 @@\n+{}\n" {
		t.Errorf("from nothing: %q", got)
	}
}

// Kubelet.

// kubeletURLsMatch is kubelet's URLsMatchStr (pkg/credentialprovider/
// keyring.go): both sides parsed as scheme-less URLs; same port; the glob's
// path a prefix of the image's; the same number of host labels, each
// matched with filepath.Match.
func kubeletURLsMatch(glob, image string) bool {
	g, err1 := url.Parse("https://" + glob)
	i, err2 := url.Parse("https://" + image)
	if err1 != nil || err2 != nil {
		return false
	}
	split := func(u *url.URL) ([]string, string) {
		host, port, err := net.SplitHostPort(u.Host)
		if err != nil {
			host, port = u.Host, ""
		}
		return strings.Split(host, "."), port
	}
	gParts, gPort := split(g)
	iParts, iPort := split(i)
	if gPort != iPort || len(gParts) != len(iParts) || !strings.HasPrefix(i.Path, g.Path) {
		return false
	}
	for k := range gParts {
		if ok, err := filepath.Match(gParts[k], iParts[k]); err != nil || !ok {
			return false
		}
	}
	return true
}

func matchesAny(globs []string, image string) bool {
	for _, g := range globs {
		if kubeletURLsMatch(g, image) {
			return true
		}
	}
	return false
}

func TestConfigureKubeletURLsMatch(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		glob, image string
		want        bool
	}{
		{"*.dkr.ecr.*.amazonaws.com", testReg1 + "/app:1", true},
		{"*.dkr.ecr.*.amazonaws.com", testReg1, true},
		{"*.dkr.ecr.*.amazonaws.com", "a.b.dkr.ecr.us-east-1.amazonaws.com/x", false},
		{"*.dkr.ecr.*.amazonaws.com", testReg1 + ":443/x", false},
		{"*.dkr.ecr.*.amazonaws.com", testReg1 + ".cn/x", false},
		{"public.ecr.aws", "public.ecr.aws/nginx/nginx:latest", true},
		{"public.ecr.aws/team", "public.ecr.aws/other/x", false},
		{"*.io", "quay.io/x", true},
	} {
		if got := kubeletURLsMatch(tt.glob, tt.image); got != tt.want {
			t.Errorf("match(%q, %q) = %v", tt.glob, tt.image, got)
		}
	}
}

// parseKubeletYAML checks the printed config line by line (it is a fixed,
// simple shape) and returns the comment lines and the matchImages globs.
func parseKubeletYAML(t *testing.T, y, apiVersion, cache string) (comments, globs []string) {
	t.Helper()
	if strings.Contains(y, "\t") {
		t.Errorf("YAML has tabs")
	}
	var body []string
	for _, l := range strings.Split(strings.TrimSuffix(y, "\n"), "\n") {
		switch {
		case len(body) == 0 && strings.HasPrefix(l, "#"):
			comments = append(comments, l)
		case strings.HasPrefix(l, `      - "`):
			g, err := strconv.Unquote(strings.TrimPrefix(l, "      - "))
			if err != nil {
				t.Errorf("glob line %q: %v", l, err)
			}
			globs = append(globs, g)
		default:
			body = append(body, l)
		}
	}
	want := []string{
		"apiVersion: kubelet.config.k8s.io/" + apiVersion,
		"kind: CredentialProviderConfig",
		"providers:",
		"  - name: ecr-credential-provider",
		"    matchImages:",
		`    defaultCacheDuration: "` + cache + `"`,
		"    apiVersion: credentialprovider.kubelet.k8s.io/" + apiVersion,
		"    # env:",
		"    #   - name: AWS_PROFILE",
		"    #     value: default",
	}
	if !slices.Equal(body, want) {
		t.Errorf("YAML body\n%s\nwant\n%s", strings.Join(body, "\n"), strings.Join(want, "\n"))
	}
	// The globs sit right after matchImages:.
	if i := strings.Index(y, "    matchImages:\n"); i < 0 || !strings.HasPrefix(y[i+len("    matchImages:\n"):], `      - "`) {
		t.Errorf("globs do not follow matchImages")
	}
	return comments, globs
}

func TestConfigureKubelet(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args                []string
		apiVersion, cache   string
		warn                bool
		stderrMustBeEmpty   bool
		providerNameMatches bool
	}{
		{nil, "v1", "12h", false, true, true},
		{[]string{"--api-version", "v1beta1"}, "v1beta1", "12h", false, true, true},
		{[]string{"--api-version=v1alpha1", "--cache-duration", "6h"}, "v1alpha1", "6h", false, true, true},
		{[]string{"--cache-duration", "90m"}, "v1", "90m", false, true, true},
		{[]string{"--cache-duration", "360m"}, "v1", "6h", false, true, true},
		{[]string{"--cache-duration", "0"}, "v1", "0s", false, true, true},
		{[]string{"--cache-duration", "24h"}, "v1", "24h", true, false, true},
	} {
		code, stdout, stderr := runConfigure(t, mapEnv(nil), append([]string{"kubelet"}, tt.args...)...)
		if code != 0 {
			t.Fatalf("%q: exit %d, %s", tt.args, code, stderr)
		}
		if tt.warn != strings.Contains(stderr, "longer than the 12h") || tt.stderrMustBeEmpty && stderr != "" {
			t.Errorf("%q: stderr %q", tt.args, stderr)
		}
		comments, globs := parseKubeletYAML(t, stdout, tt.apiVersion, tt.cache)
		c := strings.Join(comments, "\n")
		for _, want := range []string{
			"--image-credential-provider-config=/etc/kubernetes/ecr-credential-provider.yaml",
			"--image-credential-provider-bin-dir=/usr/local/bin",
		} {
			if !strings.Contains(c, want) {
				t.Errorf("comments lack %q", want)
			}
		}
		if !slices.Equal(globs, kubeletMatchImages()) {
			t.Errorf("globs %v", globs)
		}
		for _, want := range []string{
			"*.dkr.ecr.*.amazonaws.com", "*.dkr.ecr-fips.*.amazonaws.com", "*.dkr.ecr.*.amazonaws.com.cn",
			"*.dkr-ecr.*.on.aws", "*.dkr-ecr-fips.*.on.aws", "*.dkr-ecr.*.on.amazonwebservices.com.cn",
			"*.dkr.ecr.*.c2s.ic.gov", "*.dkr.ecr.*.sc2s.sgov.gov", "*.dkr.ecr.*.cloud.adc-e.uk",
			"*.dkr.ecr.*.csp.hci.ic.gov", "*.dkr.ecr.*.amazonaws.eu", "*.dkr.ecr-fips.*.amazonaws.eu",
			"public.ecr.aws", "ecr-public.aws.com",
		} {
			if !strings.Contains(stdout, strconv.Quote(want)) {
				t.Errorf("YAML lacks %q", want)
			}
		}
		if !strings.Contains(stdout, "  - name: "+ProviderName+"\n") {
			t.Errorf("provider is not %s", ProviderName)
		}
	}
}

// ecrFacts reads the DNS suffixes (with their dual-stack flag) and the ECR
// Public hosts from ecr/registry.go, so a suffix added there without a glob
// here fails this test instead of silently missing from kubelet's config.
func ecrFacts(t *testing.T) (suffixes map[string]bool, public []string) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "..", "..", "ecr", "registry.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	lit := func(name string) *ast.CompositeLit {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, s := range g.Specs {
				if vs, ok := s.(*ast.ValueSpec); ok && len(vs.Names) == 1 && vs.Names[0].Name == name && len(vs.Values) == 1 {
					if cl, ok := vs.Values[0].(*ast.CompositeLit); ok {
						return cl
					}
				}
			}
		}
		t.Fatalf("ecr/registry.go: no composite literal %s; update ecrFacts and ecrSuffixes in configure.go", name)
		return nil
	}
	key := func(e ast.Expr) string {
		bl, ok := e.(*ast.KeyValueExpr).Key.(*ast.BasicLit)
		if !ok {
			t.Fatalf("non-literal key %T", e)
		}
		s, err := strconv.Unquote(bl.Value)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	suffixes = map[string]bool{}
	for _, e := range lit("dnsSuffixes").Elts {
		v := e.(*ast.KeyValueExpr).Value.(*ast.CompositeLit)
		id, ok := v.Elts[0].(*ast.Ident)
		if !ok || (id.Name != "true" && id.Name != "false") {
			t.Fatalf("dnsSuffixes[%q]: first field is not true/false", key(e))
		}
		suffixes[key(e)] = id.Name == "true"
	}
	for _, e := range lit("publicHosts").Elts {
		public = append(public, key(e))
	}
	if len(suffixes) < 5 || len(public) < 1 {
		t.Fatalf("read too little from ecr/registry.go: %v %v", suffixes, public)
	}
	return suffixes, public
}

// sampleRegions has a region of every partition ecr knows.
var sampleRegions = []string{
	"us-east-1", "eu-west-3", "ap-southeast-5", "us-gov-west-1", "cn-north-1", "cn-northwest-1",
	"us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1", "us-isof-south-1", "eusc-de-east-1",
}

// TestConfigureKubeletGlobsMatchParseRegistry ties the kubelet globs to ecr.ParseRegistry.
func TestConfigureKubeletGlobsMatchParseRegistry(t *testing.T) {
	t.Parallel()
	suffixes, public := ecrFacts(t)
	got := map[string]bool{}
	for _, s := range ecrSuffixes {
		got[s.suffix] = s.dualStack
	}
	if !reflect.DeepEqual(got, suffixes) {
		t.Errorf("ecrSuffixes in configure.go = %v\necr/registry.go dnsSuffixes = %v", got, suffixes)
	}
	if !slices.Equal(slices.Sorted(slices.Values(ecrPublicHosts)), slices.Sorted(slices.Values(public))) {
		t.Errorf("ecrPublicHosts %v, ecr/registry.go publicHosts %v", ecrPublicHosts, public)
	}

	globs := kubeletMatchImages()
	if len(globs) != len(slices.Compact(slices.Sorted(slices.Values(globs)))) {
		t.Errorf("duplicate globs: %v", globs)
	}

	// Every host ParseRegistry accepts, over every endpoint label it might
	// accept, every suffix and a region of every partition, matches a glob.
	endpoints := []string{"dkr.ecr", "dkr.ecr-fips", "dkr-ecr", "dkr-ecr-fips",
		"dkr.ecr-dualstack", "dkr-ecr-dualstack", "dkr", "ecr", "api.ecr", "dkr.ecr.fips"}
	allSuffixes := append(slices.Sorted(func(yield func(string) bool) {
		for s := range suffixes {
			if !yield(s) {
				return
			}
		}
	}), "amazonaws.org", "aws.dev", "on.aws.cn", "com")
	accepted := 0
	globUsed := map[string]bool{}
	for _, ep := range endpoints {
		for _, sfx := range allSuffixes {
			for _, region := range sampleRegions {
				host := "123456789012." + ep + "." + region + "." + sfx
				_, err := ecr.ParseRegistry(host)
				for _, image := range []string{host, host + "/team/app:v1", host + "/app@sha256:" + strings.Repeat("a", 64)} {
					matched := false
					for _, g := range globs {
						if kubeletURLsMatch(g, image) {
							matched = true
							if err == nil {
								globUsed[g] = true
							}
						}
					}
					if err == nil && !matched {
						t.Errorf("%s is ECR but matches no glob", image)
					}
				}
				if err == nil {
					accepted++
				}
			}
		}
	}
	if accepted < 20 {
		t.Errorf("only %d sample hosts parsed; the samples are wrong", accepted)
	}
	for _, h := range public {
		for _, image := range []string{h, h + "/nginx/nginx:latest"} {
			if !matchesAny(globs, image) {
				t.Errorf("%s matches no glob", image)
			}
		}
		globUsed[h] = true
	}
	// And every glob stands for hosts ParseRegistry accepts.
	for _, g := range globs {
		if !globUsed[g] {
			t.Errorf("glob %q matches no host ParseRegistry accepts", g)
		}
		if strings.Contains(g, "*") {
			// Replace the stars with an account and a region of the
			// glob's partition; one of them must parse.
			ok := false
			for _, region := range sampleRegions {
				host := strings.Replace(strings.Replace(g, "*", "123456789012", 1), "*", region, 1)
				if _, err := ecr.ParseRegistry(host); err == nil {
					ok = true
				}
			}
			if !ok {
				t.Errorf("glob %q: no sample instance parses", g)
			}
		} else if _, err := ecr.ParseRegistry(g); err != nil {
			t.Errorf("glob %q: %v", g, err)
		}
	}

	// Representative images, as a kubelet sees them.
	for _, image := range []string{
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.0",
		"123456789012.dkr.ecr.eu-central-2.amazonaws.com/a/b/c@sha256:" + strings.Repeat("0", 64),
		"123456789012.dkr.ecr-fips.us-gov-east-1.amazonaws.com/app",
		"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app",
		"123456789012.dkr-ecr.cn-northwest-1.on.amazonwebservices.com.cn/app",
		"123456789012.dkr-ecr.us-west-2.on.aws/app",
		"123456789012.dkr-ecr-fips.us-east-1.on.aws/app",
		"123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov/app",
		"123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov/app",
		"123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk/app",
		"123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov/app",
		"123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu/app",
		"public.ecr.aws/docker/library/nginx:latest",
		"ecr-public.aws.com/x/y",
	} {
		host, _, _ := strings.Cut(image, "/")
		if _, err := ecr.ParseRegistry(host); err != nil {
			t.Errorf("sample %s: %v", image, err)
		}
		if !matchesAny(globs, image) {
			t.Errorf("%s matches no glob", image)
		}
	}
	// Look-alikes match nothing.
	for _, image := range []string{
		"docker.io/library/nginx",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example/app",
		"evil.example/123456789012.dkr.ecr.us-east-1.amazonaws.com/app",
		"x.123456789012.dkr.ecr.us-east-1.amazonaws.com/app",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com:5000/app",
		"public.ecr.aws.evil.example/app",
		"123456789012.ecr.us-east-1.amazonaws.com/app",
	} {
		if matchesAny(globs, image) {
			t.Errorf("%s matches a glob", image)
		}
	}
}

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

func TestConfigureDockerAddsMappedNames(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "ecr.yaml")
	writeFile(t, cfgFile, []byte("registries:\n"+
		"  - match: registry.example.com\n    registry: 210987654321.dkr.ecr.eu-west-1.amazonaws.com\n    profile: ci\n"+
		"  - match: \"*.dkr.ecr.eu-west-1.amazonaws.com\"\n    profile: dev\n"), 0o600)
	env := mapEnv(map[string]string{"DOCKER_CONFIG": dir, "HOME": dir, "AWS_ECR_CONFIG": cfgFile})
	if code, _, stderr := runConfigure(t, env, "docker", "123456789012.dkr.ecr.us-east-1.amazonaws.com"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := credHelpersOf(t, readFile(t, filepath.Join(dir, "config.json")))
	for _, h := range []string{"registry.example.com", "123456789012.dkr.ecr.us-east-1.amazonaws.com", "public.ecr.aws"} {
		if got[h] != "ecr-login" {
			t.Errorf("credHelpers[%s] = %q; all: %v", h, got[h], got)
		}
	}
	if len(got) != 3 {
		t.Fatalf("credHelpers = %v: a glob must not become a key", got)
	}
	// A broken configuration file is refused, naming it.
	writeFile(t, cfgFile, []byte("registries:\n  - match: x\n    bogus: 1\n"), 0o600)
	if code, _, stderr := runConfigure(t, env, "docker"); code != 1 || !strings.Contains(stderr, cfgFile+":3") {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
}
