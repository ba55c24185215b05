package cli

import (
	"fmt"
	"io"
	"strings"
)

// One help system for docker-credential-ecr-login: `help`, `-h`, `--help`,
// no arguments, `help CMD` and `CMD --help` print to stdout and exit 0; a bad
// command line prints the usage to stderr and exits 2 (exitUsage). An unknown
// verb is answered the way docker-credential-helpers' credentials.Serve
// answers it, because a client may be the one asking: the message on stdout
// and exit 1, which clients report as an error.

// exitUsage is the exit code for a bad command line.
const exitUsage = 2

// helpTopic is one command of docker-credential-ecr-login.
type helpTopic struct {
	name    string
	summary string // one line, for the command list
	usage   string // the command's usage; %[1]s is the program name
}

// Usage texts of the commands whose runners live in other files; each runner
// prints its own from here, so the help and the error cannot drift apart.
const (
	tokenUsage = `usage: %[1]s token REGISTRY

Prints the ECR password for REGISTRY (the user name is AWS), for tools that
cannot run a credential helper:
  %[1]s token 123456789012.dkr.ecr.us-east-1.amazonaws.com | helm registry login --username AWS --password-stdin ...
`
	doctorUsage = `usage: %[1]s doctor [REGISTRY]

Checks the settings, the AWS credentials, a token fetch for REGISTRY (when
given) and the cache, and says how to fix what fails. Exits 0 when every
check passed. Prints no secret.
`
	loginUsage = `usage: %[1]s login [--profile PROFILE]

Asks for the MFA code of PROFILE (default $AWS_PROFILE) on the terminal and
keeps the session in the cache, so that pulls, which cannot prompt, work
until it expires.
`
)

// dockerTopics lists the commands in the order `help` shows them.
var dockerTopics = []helpTopic{
	{"get", "print credentials for the registry host read from stdin", `usage: %[1]s get < REGISTRY

Reads a registry host on stdin and prints {"ServerURL","Username","Secret"}
with a fresh ECR token, from the cache when one is valid. For a host that is
not Amazon ECR it prints "credentials not found in native keychain" and
exits 1, so the client goes on without credentials.
`},
	{"store", "accepted and ignored: ECR tokens are fetched, not stored", `usage: %[1]s store < CREDENTIALS-JSON

Accepted for docker login and ignored: this helper fetches ECR tokens itself
and keeps no passwords. Set AWS_ECR_IGNORE_CREDS_STORAGE=true to silence the
warning.
`},
	{"erase", "accepted and ignored, like store", `usage: %[1]s erase < REGISTRY

Accepted for docker logout and ignored, like store. To drop cached tokens,
use '%[1]s cache clear'.
`},
	{"list", "print the registries with a valid cached token, as JSON", `usage: %[1]s list

Prints {"https://HOST": "AWS", ...} for the registries with a valid cached
token for the current AWS identity. Touches no network.
`},
	{"version", "print the version and commit", `usage: %[1]s version

Prints the version (a release tag vX.Y.Z, or "dev") and the commit it was
built from. Also: -v, --version.
`},
	{"configure", "set up Docker or podman (credHelpers), undo it (--remove), or print a kubelet config", configureUsage},
	{"token", "print the ECR password for a registry, for tools that cannot run a helper", tokenUsage},
	{"doctor", "check settings, credentials, a token fetch and the cache; say how to fix", doctorUsage},
	{"cache", "list or clear cached tokens", cacheUsage},
	{"login", "ask for a profile's MFA code once and keep the session", loginUsage},
	{"help", "print this list, or one command's usage: help COMMAND", `usage: %[1]s help [COMMAND]

Prints the list of commands, or the usage of COMMAND. Also: -h, --help, and
'%[1]s COMMAND --help'.
`},
}

func findTopic(name string) (helpTopic, bool) {
	for _, t := range dockerTopics {
		if t.name == name {
			return t, true
		}
	}
	return helpTopic{}, false
}

// isHelpFlag says whether arg asks for help.
func isHelpFlag(arg string) bool {
	switch arg {
	case "-h", "-help", "--help":
		return true
	}
	return false
}

// dockerHelp is the full command list.
func dockerHelp() string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: %s <command> [arguments]\n\n", DockerHelperName)
	b.WriteString("A credential helper for Amazon ECR. Docker, podman, buildah, skopeo, crane, nerdctl and\n" +
		"other clients run it for the registries under \"credHelpers\" in their config file and get\n" +
		"a fresh ECR token, so nobody needs to run docker login.\n")
	for _, t := range dockerTopics {
		switch t.name {
		case "get":
			b.WriteString("\nThe credential-helper protocol (clients run these; input on stdin):\n")
		case "configure":
			b.WriteString("\nCommands:\n")
		}
		fmt.Fprintf(&b, "  %-10s %s\n", t.name, t.summary)
	}
	fmt.Fprintf(&b, "\nRun '%[1]s help COMMAND' or '%[1]s COMMAND --help' for a command's usage.\n"+
		"Settings: AWS_* environment variables and ~/.ecr/config.yaml (see the README).\n", DockerHelperName)
	return b.String()
}

// topicUsage is a command's usage text.
func topicUsage(t helpTopic) string {
	return fmt.Sprintf(t.usage, DockerHelperName)
}

// dockerUsageError prints msg and usage to stderr and returns exitUsage.
func dockerUsageError(stderr io.Writer, msg, usage string) int {
	fmt.Fprintf(stderr, "%s: %s\n\n%s", DockerHelperName, msg, usage)
	return exitUsage
}

// dockerPreflight answers every request for help and every bad command line
// of the protocol verbs before anything runs. done is false when RunDocker
// should go on with args.
func dockerPreflight(args []string, stdout, stderr io.Writer) (code int, done bool) {
	if len(args) == 0 {
		fmt.Fprint(stdout, dockerHelp())
		return 0, true
	}
	verb, rest := args[0], args[1:]
	if verb == "help" || isHelpFlag(verb) {
		switch {
		case len(rest) == 0:
			fmt.Fprint(stdout, dockerHelp())
			return 0, true
		case len(rest) > 1:
			return dockerUsageError(stderr, "help takes at most one COMMAND", dockerHelp()), true
		}
		if isHelpFlag(rest[0]) {
			rest[0] = "help" // help --help
		}
		if t, ok := findTopic(rest[0]); ok {
			fmt.Fprint(stdout, topicUsage(t))
			return 0, true
		}
		return dockerUsageError(stderr, fmt.Sprintf("no command %q", rest[0]), dockerHelp()), true
	}
	if verb == "-v" || verb == "--version" {
		verb = "version"
	}
	t, ok := findTopic(verb)
	if !ok {
		// What credentials.Serve answers (stdout, exit 1): a client that
		// sends a verb this helper does not know reports it as an error.
		fmt.Fprintf(stdout, "%s: unknown action: %s\n", DockerHelperName, args[0])
		fmt.Fprintf(stderr, "Run '%s help' for the list of commands.\n", DockerHelperName)
		return 1, true
	}
	switch verb {
	case "configure", "cache":
		return 0, false // they answer -h and their own usage errors
	case "token", "doctor", "login":
		for _, a := range rest {
			if a == "--" {
				break
			}
			if isHelpFlag(a) {
				fmt.Fprint(stdout, topicUsage(t))
				return 0, true
			}
		}
		return 0, false
	}
	// A protocol verb: exactly one argument, the verb.
	if len(rest) == 1 && isHelpFlag(rest[0]) {
		fmt.Fprint(stdout, topicUsage(t))
		return 0, true
	}
	if len(rest) > 0 {
		return dockerUsageError(stderr, fmt.Sprintf("%s takes no arguments (got %q); input comes on stdin", verb, rest[0]), topicUsage(t)), true
	}
	return 0, false
}

// providerUsage is ecr-credential-provider's help.
const providerUsage = `usage: %[1]s < CredentialProviderRequest
       %[1]s version | help

A kubelet image credential provider for Amazon ECR. Kubelet runs it for images
that match the matchImages of its CredentialProviderConfig, writes a
CredentialProviderRequest on stdin and reads a CredentialProviderResponse from
stdout. '%[2]s configure kubelet' prints a config.
Settings come from the environment (the env: list of the provider's entry in
that config): AWS_* variables, as for %[2]s.
Other arguments are ignored with a warning, as kubelet configs may pass flags
meant for other providers.
`

// providerPreflight answers help and version for ecr-credential-provider.
// done is false when RunProvider should read the request.
func providerPreflight(args []string, stdout io.Writer) (code int, done bool) {
	for _, a := range args {
		switch {
		case a == "version" || a == "-v" || a == "--version":
			fmt.Fprintln(stdout, VersionLine(ProviderName))
			return 0, true
		case a == "help" || isHelpFlag(a):
			fmt.Fprintf(stdout, providerUsage, ProviderName, DockerHelperName)
			return 0, true
		}
	}
	return 0, false
}
