package cli

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// dockerStyle is a config file as Docker itself writes it (tab-indented), so
// that configure followed by configure --remove must give back the same bytes.
const dockerStyle = "{\n\t\"auths\": {\n\t\t\"ghcr.io\": {}\n\t},\n\t\"credsStore\": \"desktop\",\n" +
	"\t\"credHelpers\": {\n\t\t\"gcr.io\": \"gcloud\"\n\t},\n\t\"psFormat\": \"table\"\n}\n"

// configure then configure --remove gives back the file that was there, for
// every starting point: with and without a credHelpers object, Docker's own
// indentation or not.
func TestConfigureRemoveUndoesConfigure(t *testing.T) {
	t.Parallel()
	for name, old := range map[string]string{
		"docker style":   dockerStyle,
		"no credHelpers": "{\n\t\"auths\": {}\n}\n",
		"empty object":   "{}\n",
		"hand written":   `{"auths":{"x.example":{"auth":"eDp5"}}, "credHelpers": {"gcr.io":"gcloud"}, "n": 1e3}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "config.json")
			writeFile(t, path, []byte(old), 0o600)
			if code, stdout, stderr := runConfigure(t, dockerEnv(dir), "docker", testReg1, testReg2); code != 0 {
				t.Fatalf("configure: exit %d\n%s%s", code, stdout, stderr)
			}
			added := readFile(t, path)
			code, stdout, stderr := runConfigure(t, dockerEnv(dir), "docker", "--remove")
			if code != 0 || stderr != "" {
				t.Fatalf("configure --remove: exit %d\n%s%s", code, stdout, stderr)
			}
			got := readFile(t, path)
			if !reflect.DeepEqual(decodeTop(t, got), decodeTop(t, []byte(old))) {
				t.Errorf("after configure and --remove the file is\n%s\nwant the original\n%s\n(after configure:\n%s)", got, old, added)
			}
			if old == dockerStyle && string(got) != old {
				t.Errorf("a Docker-written file came back different:\n%q\nwant\n%q", got, old)
			}
			for _, h := range []string{testReg1, testReg2, "public.ecr.aws"} {
				if !strings.Contains(stdout, `removed   "`+h+`": "ecr-login"`) {
					t.Errorf("stdout does not list %s as removed:\n%s", h, stdout)
				}
			}
		})
	}
}

// Named registries: only their entries go; entries naming another helper are
// never removed, even when named.
func TestConfigureRemoveNamed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	writeFile(t, path, []byte(`{"credHelpers":{"gcr.io":"gcloud","`+testReg2+`":"desktop"}}`), 0o600)
	if code, stdout, stderr := runConfigure(t, dockerEnv(dir), "docker", testReg1); code != 0 {
		t.Fatalf("configure: exit %d\n%s%s", code, stdout, stderr)
	}
	// URL forms name the host configure wrote; gcr.io and testReg2 name other helpers.
	code, stdout, stderr := runConfigure(t, dockerEnv(dir), "docker", "--remove", "https://"+strings.ToUpper(testReg1)+"/", "gcr.io", testReg2)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	want := map[string]string{"gcr.io": "gcloud", testReg2: "desktop", "public.ecr.aws": "ecr-login"}
	if got := credHelpersOf(t, readFile(t, path)); !reflect.DeepEqual(got, want) {
		t.Errorf("credHelpers = %v, want %v", got, want)
	}
	for _, w := range []string{`removed   "` + testReg1 + `"`, `no "gcr.io" entry naming ecr-login; left alone`, `no "` + testReg2 + `" entry naming ecr-login`} {
		if !strings.Contains(stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, stdout)
		}
	}
	// Again: nothing left to remove, the file is not rewritten.
	before := readFile(t, path)
	code, stdout, _ = runConfigure(t, dockerEnv(dir), "docker", "--remove", testReg1)
	if code != 0 || !strings.Contains(stdout, "nothing to remove") || string(readFile(t, path)) != string(before) {
		t.Errorf("second --remove: exit %d, stdout %q", code, stdout)
	}
}

func TestConfigureRemoveDryRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	writeFile(t, path, []byte(dockerStyle), 0o600)
	if code, stdout, stderr := runConfigure(t, dockerEnv(dir), "docker", testReg1); code != 0 {
		t.Fatalf("configure: exit %d\n%s%s", code, stdout, stderr)
	}
	before := readFile(t, path)
	code, stdout, stderr := runConfigure(t, dockerEnv(dir), "docker", "--remove", "--dry-run")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, w := range []string{"Dry run: would change", "\n-\t\t\"" + testReg1 + "\": \"ecr-login\"", "\n-\t\t\"public.ecr.aws\": \"ecr-login\"", "Nothing written (--dry-run)."} {
		if !strings.Contains(stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, stdout)
		}
	}
	// gcr.io stays: its line changes only by the comma.
	if !strings.Contains(stdout, "\n+\t\t\"gcr.io\": \"gcloud\"\n") {
		t.Errorf("the diff does not keep gcr.io:\n%s", stdout)
	}
	if got := readFile(t, path); string(got) != string(before) {
		t.Errorf("--dry-run changed the file:\n%s", got)
	}
}

func TestConfigureRemoveNothingThere(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "config.json")
	code, stdout, stderr := runConfigure(t, dockerEnv(filepath.Dir(path)), "docker", "--remove")
	if code != 0 || !strings.Contains(stdout, "does not exist; nothing to remove") || stderr != "" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("--remove created %s (%v)", filepath.Dir(path), err)
	}
	// A broken file is an error and stays as it is.
	writeFile(t, path, []byte(`{"credHelpers":`), 0o600)
	code, _, stderr = runConfigure(t, dockerEnv(filepath.Dir(path)), "docker", "--remove")
	if code != 1 || !strings.Contains(stderr, "not valid JSON") || string(readFile(t, path)) != `{"credHelpers":` {
		t.Errorf("broken file: exit %d, stderr %q", code, stderr)
	}
	// So is a credHelpers entry that is not a string.
	writeFile(t, path, []byte(`{"credHelpers":{"a":1}}`), 0o600)
	if code, _, stderr = runConfigure(t, dockerEnv(filepath.Dir(path)), "docker", "--remove"); code != 1 || !strings.Contains(stderr, "not a string") {
		t.Errorf("non-string entry: exit %d, stderr %q", code, stderr)
	}
}

func TestConfigureRemovePodman(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.json")
	old := "{\n\t\"auths\": {\n\t\t\"quay.io\": {\n\t\t\t\"auth\": \"eDp5\"\n\t\t}\n\t}\n}\n"
	writeFile(t, path, []byte(old), 0o600)
	for _, cmd := range []string{"podman", "containers"} {
		if code, stdout, stderr := runConfigure(t, mapEnv(nil), cmd, "--authfile", path, testReg1); code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", cmd, code, stdout, stderr)
		}
		code, stdout, stderr := runConfigure(t, mapEnv(map[string]string{"REGISTRY_AUTH_FILE": path}), cmd, "--remove")
		if code != 0 {
			t.Fatalf("%s --remove: exit %d\n%s%s", cmd, code, stdout, stderr)
		}
		if got := readFile(t, path); string(got) != old {
			t.Errorf("%s: after configure and --remove:\n%s\nwant\n%s", cmd, got, old)
		}
	}
}

func TestConfigureRemoveUsage(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"docker", "podman"} {
		code, stdout, _ := runConfigure(t, mapEnv(nil), cmd, "--help")
		if code != 0 || !strings.Contains(stdout, "configure "+cmd+" --remove [") {
			t.Errorf("%s --help: exit %d, no --remove synopsis:\n%s", cmd, code, stdout)
		}
	}
	if code, _, stderr := runConfigure(t, mapEnv(nil), "kubelet", "--remove"); code != 2 || !strings.Contains(stderr, "flag provided but not defined: -remove") {
		t.Errorf("kubelet --remove: exit %d, stderr %q", code, stderr)
	}
}
