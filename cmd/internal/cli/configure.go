package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/ecr-login/ecr-login/ecr"
	"github.com/ecr-login/ecr-login/internal/atomicfile"
	"github.com/ecr-login/ecr-login/internal/jsonedit"
	"github.com/ecr-login/ecr-login/internal/textdiff"
)

// credHelperName is the credHelpers value that makes Docker, podman, buildah and
// skopeo run DockerHelperName.
var credHelperName = strings.TrimPrefix(DockerHelperName, "docker-credential-")

// configureAlwaysHost is added to credHelpers by every `configure docker|podman`.
const configureAlwaysHost = "public.ecr.aws"

// maxConfigFileSize bounds the config file configure reads; real ones are a few KiB.
const maxConfigFileSize = 8 << 20

// configureExitUsage is the exit code for a bad command line.
const configureExitUsage = 2

const configureUsage = `usage: %[1]s configure <command> [flags] [REGISTRY...]

Commands:
  docker       add "credHelpers" entries to Docker's config.json
               ($DOCKER_CONFIG/config.json, else ~/.docker/config.json);
               with --remove, take them out again
  podman       add (or --remove) "credHelpers" entries in the containers
               auth.json (read by podman, buildah and skopeo)
  containers   same as podman
  kubelet      print a kubelet CredentialProviderConfig for ECR

Run '%[1]s configure <command> -h' for a command's flags.
`

const dockerUsage = `usage: %[1]s configure docker [--dry-run] [REGISTRY...]
       %[1]s configure docker --remove [--dry-run] [REGISTRY...]

Adds "credHelpers": {"REGISTRY": "%[2]s"} to $DOCKER_CONFIG/config.json (or
~/.docker/config.json) for each REGISTRY and for public.ecr.aws. Private ECR
registries are per account and region and credHelpers has no wildcards, so
name each one, for example 123456789012.dkr.ecr.us-east-1.amazonaws.com.
Every other setting in the file is kept.

--remove takes out the entries that name %[2]s: those for each REGISTRY, or
all of them when none is named. Nothing else changes (an entry configure
replaced is removed, not restored: its old value was not kept).

Flags:
  --dry-run   print the change as a diff and write nothing
  --remove    remove entries instead of adding them
`

const podmanUsage = `usage: %[1]s configure %[3]s [--authfile PATH] [--dry-run] [REGISTRY...]
       %[1]s configure %[3]s --remove [--authfile PATH] [--dry-run] [REGISTRY...]

Adds "credHelpers": {"REGISTRY": "%[2]s"} to the containers auth.json read by
podman, buildah and skopeo, for each REGISTRY and for public.ecr.aws. The file
is --authfile, else $REGISTRY_AUTH_FILE, else
$XDG_RUNTIME_DIR/containers/auth.json, else
${XDG_CONFIG_HOME:-$HOME/.config}/containers/auth.json.

--remove takes out the entries that name %[2]s: those for each REGISTRY, or
all of them when none is named. Nothing else changes.

Flags:
  --authfile PATH   the auth file to edit
  --dry-run         print the change as a diff and write nothing
  --remove          remove entries instead of adding them
`

const kubeletUsage = `usage: %[1]s configure kubelet [--api-version v1|v1beta1|v1alpha1] [--cache-duration 12h] [--service-account-tokens]

Prints a kubelet CredentialProviderConfig that runs ecr-credential-provider
for every Amazon ECR registry host.

Flags:
  --api-version V       kubelet.config.k8s.io and credentialprovider.kubelet.k8s.io
                        version: v1 (Kubernetes 1.26+), v1beta1 or v1alpha1 (default v1)
  --cache-duration D    defaultCacheDuration (default 12h; ECR tokens last 12h)
  --service-account-tokens
                        per-pod identities (Kubernetes 1.34+, v1 only): kubelet passes each
                        pod's service account token (audience sts.amazonaws.com) and its
                        eks.amazonaws.com/ecr-role-arn annotation; pods pull as that role
`

// RunConfigure runs `docker-credential-ecr-login configure ARGS...` (args
// exclude "configure") and returns the exit code: 0 done (or nothing to do),
// 1 failed, 2 bad command line. Messages for people go to stdout; errors and
// warnings go to stderr.
func RunConfigure(args []string, stdout, stderr io.Writer, env ecr.Getenv) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, configureUsage, DockerHelperName)
		return configureExitUsage
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "-h", "-help", "--help", "help":
		fmt.Fprintf(stdout, configureUsage, DockerHelperName)
		return 0
	case "docker", "podman", "containers":
		return runConfigureFile(cmd, rest, stdout, stderr, env)
	case "kubelet":
		return runConfigureKubelet(rest, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "%s configure: unknown command %q\n\n", DockerHelperName, cmd)
		fmt.Fprintf(stderr, configureUsage, DockerHelperName)
		return configureExitUsage
	}
}

// configureParseFlags parses fs from args, allowing flags after positional
// arguments, and returns the positional arguments. help is true for -h.
func configureParseFlags(fs *flag.FlagSet, args []string) (pos []string, help bool, err error) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, true, nil
			}
			return nil, false, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), false, nil
		}
		if len(rest) == 0 {
			return pos, false, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// configureUsageError prints msg and the command's usage to stderr and returns configureExitUsage.
func configureUsageError(stderr io.Writer, usage, msg string) int {
	fmt.Fprintf(stderr, "%s configure: %s\n\n%s", DockerHelperName, msg, usage)
	return configureExitUsage
}

// runConfigureFile implements `configure docker|podman|containers`.
func runConfigureFile(cmd string, args []string, stdout, stderr io.Writer, env ecr.Getenv) int {
	docker := cmd == "docker"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	dryRun := fs.Bool("dry-run", false, "")
	remove := fs.Bool("remove", false, "")
	var authFile *string
	usage := fmt.Sprintf(dockerUsage, DockerHelperName, credHelperName)
	if !docker {
		authFile = fs.String("authfile", "", "")
		usage = fmt.Sprintf(podmanUsage, DockerHelperName, credHelperName, cmd)
	}
	regs, help, err := configureParseFlags(fs, args)
	if help {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if err != nil {
		return configureUsageError(stderr, usage, err.Error())
	}
	if *remove {
		return runConfigureRemove(cmd, regs, *dryRun, authFile, stdout, stderr, env)
	}

	// Names mapped in the configuration file (~/.ecr/config.yaml) that are
	// plain hosts get entries too; globs cannot be written as credHelpers keys.
	cfg, err := LoadConfig(env)
	if err != nil {
		fmt.Fprintf(stderr, "%s configure %s: %v\n", DockerHelperName, cmd, err)
		return 1
	}
	hosts, code := registryHosts(append(regs, mappedHosts(cfg.Helper.Mappings)...), cfg.Helper.Mappings, stderr)
	if code != 0 {
		return code
	}

	var path, why string
	if docker {
		path, why, err = dockerConfigPath(env)
	} else {
		path, why, err = containersAuthPath(*authFile, env)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s configure %s: %v\n", DockerHelperName, cmd, err)
		return 1
	}

	e, err := planEdit(path, hosts)
	if err != nil {
		fmt.Fprintf(stderr, "%s configure %s: %v\n", DockerHelperName, cmd, err)
		return 1
	}

	if docker && e.credsStore != "" {
		fmt.Fprintf(stderr, "warning: %s sets \"credsStore\": %q. That is fine: Docker uses the "+
			"\"credHelpers\" entry for a host before credsStore, so these hosts use %s and every "+
			"other registry keeps using %s.\n", path, e.credsStore, DockerHelperName, e.credsStore)
	}
	if !helperOnPath(env) {
		fmt.Fprintf(stderr, "warning: %s is not in any directory on $PATH; %s will fail to run it "+
			"until it is (install it in a PATH directory such as /usr/local/bin).\n",
			DockerHelperName, configureClient(docker))
	}

	target := path
	if e.target != filepath.Clean(path) {
		target = fmt.Sprintf("%s (resolves to %s)", path, e.target)
	}
	switch {
	case len(e.changes) == 0:
		fmt.Fprintf(stdout, "%s: already configured; nothing to change.\n", target)
		for _, h := range hosts {
			fmt.Fprintf(stdout, "  %s -> %s\n", h, credHelperName)
		}
	case *dryRun:
		verb := "change"
		if !e.existed {
			verb = "create"
		}
		fmt.Fprintf(stdout, "Dry run: would %s %s (%s):\n", verb, target, why)
		e.printChanges(stdout)
		fmt.Fprintln(stdout)
		fmt.Fprint(stdout, textdiff.Unified(e.oldLabel(), path+" (new)", e.oldPretty, e.newPretty))
		if len(e.oldPretty) > 0 && !bytes.Equal(e.old, e.oldPretty) {
			fmt.Fprintln(stdout, "\n(The file would also be re-indented; the diff compares both versions re-indented the same way.)")
		}
		fmt.Fprintln(stdout, "\nNothing written (--dry-run).")
	default:
		if err := e.write(); err != nil {
			fmt.Fprintf(stderr, "%s configure %s: %v\n", DockerHelperName, cmd, err)
			return 1
		}
		verb := "Updated"
		if !e.existed {
			verb = "Created"
		}
		fmt.Fprintf(stdout, "%s %s (%s):\n", verb, target, why)
		e.printChanges(stdout)
		if e.modeNote != "" {
			fmt.Fprintln(stdout, e.modeNote)
		}
	}
	if p := persistentAuthPath(env); !docker && !*dryRun && e.volatile(env) && p != "" {
		fmt.Fprintf(stdout, "Note: $XDG_RUNTIME_DIR is usually cleared at logout and reboot. For a lasting setting run\n"+
			"  %s configure %s --authfile %s\n(podman, buildah and skopeo read that file too).\n",
			DockerHelperName, cmd, p)
	}
	if len(regs) == 0 {
		fmt.Fprintf(stdout, "Hint: no registry was named, so only %s was added. Private ECR registries are per account and region, "+
			"and credHelpers has no wildcards, so name each one:\n  %s configure %s 123456789012.dkr.ecr.us-east-1.amazonaws.com\n",
			configureAlwaysHost, DockerHelperName, cmd)
	}
	return 0
}

func configureClient(docker bool) string {
	if docker {
		return "Docker"
	}
	return "podman"
}

// registryHosts validates and normalises the REGISTRY arguments and appends
// public.ecr.aws, without duplicates.
func registryHosts(regs []string, ms *ecr.Mappings, stderr io.Writer) ([]string, int) {
	var hosts []string
	seen := map[string]bool{}
	for _, r := range append(regs, configureAlwaysHost) {
		reg, err := ecr.ParseRegistry(r)
		if err != nil && ms.Match(strings.ToLower(strings.TrimSpace(r))) != nil {
			// A name in front of ECR that the configuration file maps.
			reg, err = ecr.Registry{Host: strings.ToLower(strings.TrimSpace(r))}, nil
		}
		if err != nil {
			// Say why, without repeating the host.
			detail := strings.TrimPrefix(err.Error(), ecr.ErrNotECR.Error()+": ")
			if strings.HasPrefix(detail, `host "`) {
				_, detail, _ = strings.Cut(detail, `": `)
			}
			if detail != "" {
				detail = " (" + detail + ")"
			}
			fmt.Fprintf(stderr, "%s configure: %q is not an Amazon ECR registry%s; nothing was changed.\n"+
				"Private registries look like 123456789012.dkr.ecr.us-east-1.amazonaws.com.\n",
				DockerHelperName, r, detail)
			return nil, configureExitUsage
		}
		if !seen[reg.Host] {
			seen[reg.Host] = true
			hosts = append(hosts, reg.Host)
		}
	}
	return hosts, 0
}

// configureHome is $HOME, else %USERPROFILE%.
func configureHome(env ecr.Getenv) (string, error) {
	if h := env("HOME"); h != "" {
		return h, nil
	}
	if h := env("USERPROFILE"); h != "" {
		return h, nil
	}
	return "", errors.New("cannot find your home directory: HOME is not set")
}

// dockerConfigPath is where Docker reads its config file, and why.
func dockerConfigPath(env ecr.Getenv) (path, why string, err error) {
	if d := env("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json"), "from $DOCKER_CONFIG", nil
	}
	home, err := configureHome(env)
	if err != nil {
		return "", "", fmt.Errorf("%w; set DOCKER_CONFIG or HOME", err)
	}
	return filepath.Join(home, ".docker", "config.json"), "Docker's default; set DOCKER_CONFIG to choose another", nil
}

// containersAuthPath is the auth file podman, buildah and skopeo log in to, and why.
func containersAuthPath(flagPath string, env ecr.Getenv) (path, why string, err error) {
	switch {
	case flagPath != "":
		return flagPath, "from --authfile", nil
	case env("REGISTRY_AUTH_FILE") != "":
		return env("REGISTRY_AUTH_FILE"), "from $REGISTRY_AUTH_FILE", nil
	case env("XDG_RUNTIME_DIR") != "":
		return filepath.Join(env("XDG_RUNTIME_DIR"), "containers", "auth.json"), "$XDG_RUNTIME_DIR/containers/auth.json, podman's default", nil
	}
	p := persistentAuthPath(env)
	if p == "" {
		return "", "", errors.New("cannot find the auth file: set --authfile, REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR or HOME")
	}
	return p, "$XDG_RUNTIME_DIR is not set", nil
}

// persistentAuthPath is ${XDG_CONFIG_HOME:-$HOME/.config}/containers/auth.json,
// which the containers tools also read; "" if neither is set.
func persistentAuthPath(env ecr.Getenv) string {
	if d := env("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "containers", "auth.json")
	}
	if h, err := configureHome(env); err == nil {
		return filepath.Join(h, ".config", "containers", "auth.json")
	}
	return ""
}

// helperOnPath reports whether DockerHelperName is in a directory of
// env("PATH"); with PATH unset it says yes (nothing to check).
func helperOnPath(env ecr.Getenv) bool {
	path := env("PATH")
	if path == "" {
		return true
	}
	name := DockerHelperName
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			continue
		}
		fi, err := os.Stat(filepath.Join(d, name))
		if err == nil && fi.Mode().IsRegular() && (runtime.GOOS == "windows" || fi.Mode()&0o111 != 0) {
			return true
		}
	}
	return false
}

// helperChange is one credHelpers entry added or replaced.
type helperChange struct {
	host, was string // was is "" for an added entry
}

// configEdit is a planned change to one config file.
type configEdit struct {
	path      string // the path named (may be a symlink)
	target    string // the file written: path with symlinks resolved
	existed   bool
	old       []byte // the file's bytes
	oldPretty []byte // old, re-indented as it would be written
	newPretty []byte // the new file
	changes   []helperChange
	modeNote  string

	credsStore string // top-level credsStore, if a string
}

// planEdit reads path (through symlinks) and works out the new contents with
// credHelperName set for each host. It touches nothing.
func planEdit(path string, hosts []string) (*configEdit, error) {
	return planConfigEdit(path, func(d *configDoc) ([]helperChange, error) { return d.setHelpers(hosts) })
}

// planConfigEdit reads path (through symlinks) and works out the new contents
// after apply. It touches nothing.
func planConfigEdit(path string, apply func(*configDoc) ([]helperChange, error)) (*configEdit, error) {
	e := &configEdit{path: path, target: path}
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// A missing file, possibly under a symlinked directory: write at the
		// resolved directory so the rename lands where Docker looks.
		if dir, derr := filepath.EvalSymlinks(filepath.Dir(path)); derr == nil {
			e.target = filepath.Join(dir, filepath.Base(path))
		}
	case err != nil:
		return nil, err
	default:
		if e.target, err = filepath.EvalSymlinks(path); err != nil {
			if fi.Mode()&fs.ModeSymlink != 0 {
				return nil, fmt.Errorf("%s is a symlink that cannot be followed (%v); fix or remove it, nothing was changed", path, err)
			}
			return nil, err
		}
		if fi, err = os.Stat(e.target); err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s is not a regular file; nothing was changed", e.target)
		}
		if err := checkReplaceable(e.target, fi); err != nil {
			return nil, err
		}
		if fi.Size() > maxConfigFileSize {
			return nil, fmt.Errorf("%s is %d bytes, more than a config file should be; nothing was changed", e.target, fi.Size())
		}
		if e.old, err = os.ReadFile(e.target); err != nil {
			return nil, err
		}
		e.existed = true
		if perm := fi.Mode().Perm(); perm != 0o600 && runtime.GOOS != "windows" {
			e.modeNote = fmt.Sprintf("Note: its permissions changed from %04o to 0600 (it can hold credentials).", perm)
		}
	}

	name := e.target
	if name != filepath.Clean(path) {
		name = fmt.Sprintf("%s (via %s)", e.target, path)
	}
	doc, err := parseConfig(e.old)
	if err != nil {
		return nil, fmt.Errorf("%s: %w; fix or move it aside, nothing was changed", name, err)
	}
	e.credsStore = doc.credsStore()
	if len(bytes.TrimSpace(e.old)) > 0 {
		e.oldPretty = doc.render()
	}
	if e.changes, err = apply(doc); err != nil {
		return nil, fmt.Errorf("%s: %w; fix or move it aside, nothing was changed", name, err)
	}
	e.newPretty = doc.render()
	return e, nil
}

func (e *configEdit) oldLabel() string {
	if !e.existed {
		return "/dev/null"
	}
	return e.path
}

func (e *configEdit) printChanges(w io.Writer) {
	for _, c := range e.changes {
		if c.was == "" {
			fmt.Fprintf(w, "  added     %q: %q\n", c.host, credHelperName)
		} else {
			fmt.Fprintf(w, "  replaced  %q: %q (was %q)\n", c.host, credHelperName, c.was)
		}
	}
}

// volatile says whether the file is under $XDG_RUNTIME_DIR.
func (e *configEdit) volatile(env ecr.Getenv) bool {
	d := env("XDG_RUNTIME_DIR")
	if d == "" {
		return false
	}
	rel, err := filepath.Rel(d, e.path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// write creates the target's directory (0700) if needed and replaces the
// target atomically, keeping its owner (configwrite.go) and syncing the
// directory so the rename itself is durable.
func (e *configEdit) write() error {
	dir := filepath.Dir(e.target)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		if err := os.Chmod(dir, 0o700); err != nil { // whatever the umask
			return err
		}
	}
	return atomicfile.Write(e.target, e.newPretty, atomicfile.Options{Prepare: keepOwner(e.target), SyncDir: true})
}

// configDoc is a config file's top-level object in file order.
type configDoc struct {
	members []jsonedit.Member
}

// parseConfig parses a config file. Empty (or all-space) data is an empty object.
func parseConfig(data []byte) (*configDoc, error) {
	ms, err := jsonedit.ParseFile(data)
	if err != nil {
		return nil, err
	}
	return &configDoc{members: ms}, nil
}

// render writes the document as Docker does: tab-indented, keys in file
// order, values as written, and a final newline.
func (d *configDoc) render() []byte { return jsonedit.RenderFile(d.members) }

// Docker and the containers tools decode config files with encoding/json,
// which matches keys to struct fields case-insensitively (strings.EqualFold):
// "CredHelpers" is credHelpers to them, and the last one wins.

// credsStore returns the top-level "credsStore" string, if any.
func (d *configDoc) credsStore() string {
	var s string
	for _, m := range d.members {
		if strings.EqualFold(m.Key, "credsStore") {
			s = ""
			_ = json.Unmarshal(m.Value, &s)
		}
	}
	return s
}

// setHelpers sets credHelpers[host] = credHelperName for each host, keeping every
// other entry as written, and returns what changed. A credHelpers member that
// is not an object of strings (null counts as empty) is an error.
func (d *configDoc) setHelpers(hosts []string) ([]helperChange, error) {
	idx, entries, err := d.credHelpers()
	if err != nil {
		return nil, err
	}

	want, _ := json.Marshal(credHelperName)
	var changes []helperChange
	for _, h := range hosts {
		found := false
		var was string
		for i := range entries {
			if entries[i].Key != h {
				continue
			}
			found = true
			// Duplicate keys: the last one is what Docker uses; set them all.
			_ = json.Unmarshal(entries[i].Value, &was)
			if !bytes.Equal(entries[i].Value, want) {
				entries[i].Value = want
			}
		}
		switch {
		case !found:
			entries = append(entries, jsonedit.NewMember(h, want))
			changes = append(changes, helperChange{host: h})
		case was != credHelperName:
			changes = append(changes, helperChange{host: h, was: was})
		}
	}
	if len(changes) == 0 {
		return nil, nil
	}
	val := jsonedit.Render(entries, "\t")
	if idx >= 0 {
		d.members[idx].Value = val
	} else {
		d.members = append(d.members, jsonedit.NewMember("credHelpers", val))
	}
	return changes, nil
}

// Kubelet credential provider configuration.

const (
	kubeletConfigPath = "/etc/kubernetes/ecr-credential-provider.yaml"
	kubeletBinDir     = "/usr/local/bin"
)

func runConfigureKubelet(args []string, stdout, stderr io.Writer) int {
	usage := fmt.Sprintf(kubeletUsage, DockerHelperName)
	fs := flag.NewFlagSet("kubelet", flag.ContinueOnError)
	apiVersion := fs.String("api-version", "v1", "")
	cache := fs.String("cache-duration", "12h", "")
	saTokens := fs.Bool("service-account-tokens", false, "")
	pos, help, err := configureParseFlags(fs, args)
	if help {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if err != nil {
		return configureUsageError(stderr, usage, err.Error())
	}
	if len(pos) > 0 {
		return configureUsageError(stderr, usage, fmt.Sprintf("unexpected argument %q", pos[0]))
	}
	switch *apiVersion {
	case "v1", "v1beta1", "v1alpha1":
	default:
		return configureUsageError(stderr, usage, fmt.Sprintf("--api-version %q: want v1, v1beta1 or v1alpha1", *apiVersion))
	}
	d, err := time.ParseDuration(strings.TrimSpace(*cache))
	if err != nil || d < 0 {
		return configureUsageError(stderr, usage, fmt.Sprintf("--cache-duration %q: want a duration such as 6h or 30m", *cache))
	}
	if d > 12*time.Hour {
		fmt.Fprintf(stderr, "warning: --cache-duration %s is longer than the 12h an ECR token lasts; "+
			"the kubelet may use expired tokens when the provider does not send its own cache duration.\n", kubeletDuration(d))
	}
	if *saTokens && *apiVersion != "v1" {
		return configureUsageError(stderr, usage, "--service-account-tokens needs --api-version v1 (tokenAttributes exist only in kubelet.config.k8s.io/v1)")
	}
	cfg := kubeletConfig(*apiVersion, kubeletDuration(d))
	if *saTokens {
		cfg = withTokenAttributes(cfg)
	}
	fmt.Fprint(stdout, cfg)
	return 0
}

// kubeletDuration writes d briefly: "12h", "90m", else time.Duration's form.
func kubeletDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// kubeletConfig is the CredentialProviderConfig YAML.
func kubeletConfig(apiVersion, cacheDuration string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `# Kubelet image credential provider configuration for Amazon ECR.
# Generated by: %[1]s configure kubelet
#
# 1. Save this as %[2]s on each node.
# 2. Install the %[3]s binary in %[4]s (or another directory;
#    pass that one below).
# 3. Start the kubelet with:
#      --image-credential-provider-config=%[2]s
#      --image-credential-provider-bin-dir=%[4]s
#
# In matchImages each "*" matches exactly one DNS label: the account ID or the region.
apiVersion: kubelet.config.k8s.io/%[5]s
kind: CredentialProviderConfig
providers:
  - name: %[3]s
    matchImages:
`, DockerHelperName, kubeletConfigPath, ProviderName, kubeletBinDir, apiVersion)
	for _, g := range ecr.KubeletMatchImages() {
		fmt.Fprintf(&b, "      - %q\n", g)
	}
	fmt.Fprintf(&b, `    defaultCacheDuration: %q
    apiVersion: credentialprovider.kubelet.k8s.io/%s
    # env:
    #   - name: AWS_PROFILE
    #     value: default
`, cacheDuration, apiVersion)
	return b.String()
}

// mappedHosts are the configuration file's match names that are plain hosts.
func mappedHosts(ms *ecr.Mappings) []string {
	if ms == nil {
		return nil
	}
	var out []string
	for _, m := range ms.List {
		if !strings.ContainsAny(m.Match, "*?[") {
			out = append(out, m.Match)
		}
	}
	return out
}
