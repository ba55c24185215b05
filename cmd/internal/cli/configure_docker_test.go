//go:build unix

// File modes, umask and symlinks are Unix notions; on Windows these tests
// would test nothing the code does there.

package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

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
