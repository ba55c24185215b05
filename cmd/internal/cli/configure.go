package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/ecr-login/ecr-login/ecr"
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
