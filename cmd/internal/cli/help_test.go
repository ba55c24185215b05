package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/docker/docker-credential-helpers/credentials"
)

// helpEnviron is an environment in which nothing can reach AWS.
func helpEnviron(t *testing.T) []string {
	dir := t.TempDir()
	return []string{"HOME=" + dir, "AWS_EC2_METADATA_DISABLED=true", "AWS_ECR_CACHE_DIR=" + dir,
		"AWS_CONFIG_FILE=" + dir + "/none", "AWS_SHARED_CREDENTIALS_FILE=" + dir + "/none",
		"AWS_ENDPOINT_URL=http://127.0.0.1:9", "PATH="}
}

func runDockerArgs(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = RunDocker(context.Background(), args, strings.NewReader(""), &out, &errb, helpEnviron(t))
	return code, out.String(), errb.String()
}

// Every way of asking for help prints to stdout and exits 0.
func TestHelpEveryWayOfAsking(t *testing.T) {
	full := dockerHelp()
	for _, topic := range dockerTopics {
		if !strings.Contains(full, "\n  "+topic.name+" ") {
			t.Errorf("the command list does not show %q:\n%s", topic.name, full)
		}
	}
	for _, args := range [][]string{nil, {"help"}, {"-h"}, {"--help"}, {"-help"}} {
		code, stdout, stderr := runDockerArgs(t, args...)
		if code != 0 || stdout != full || stderr != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 0 and the command list on stdout only", args, code, stdout, stderr)
		}
	}
}

// help CMD, CMD --help and CMD -h print that command's usage on stdout, for
// every command in the list.
func TestHelpEveryCommand(t *testing.T) {
	for _, topic := range dockerTopics {
		t.Run(topic.name, func(t *testing.T) {
			want := topicUsage(topic)
			if !strings.HasPrefix(want, "usage: "+DockerHelperName+" ") || !strings.Contains(want, topic.name) {
				t.Fatalf("usage of %s does not start with the synopsis: %q", topic.name, want)
			}
			ways := [][]string{{"help", topic.name}, {"--help", topic.name}, {topic.name, "--help"}, {topic.name, "-h"}}
			if topic.name == "help" {
				ways = [][]string{{"help", "help"}, {"help", "--help"}}
			}
			for _, args := range ways {
				code, stdout, stderr := runDockerArgs(t, args...)
				if code != 0 || stdout != want || stderr != "" {
					t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 0 and the usage of %s on stdout only",
						args, code, stdout, stderr, topic.name)
				}
			}
		})
	}
}

// A bad command line exits 2 with the usage on stderr and nothing on stdout
// (a client reads stdout as the protocol answer).
func TestHelpUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // in stderr
	}{
		{[]string{"help", "nope"}, `no command "nope"`},
		{[]string{"help", "get", "store"}, "help takes at most one COMMAND"},
		{[]string{"get", "extra"}, `get takes no arguments (got "extra")`},
		{[]string{"store", "x"}, "usage: docker-credential-ecr-login store"},
		{[]string{"erase", "x", "y"}, "usage: docker-credential-ecr-login erase"},
		{[]string{"list", "--json"}, "usage: docker-credential-ecr-login list"},
		{[]string{"version", "x"}, "usage: docker-credential-ecr-login version"},
		{[]string{"token"}, "usage: docker-credential-ecr-login token REGISTRY"},
		{[]string{"token", "a", "b"}, "usage: docker-credential-ecr-login token REGISTRY"},
		{[]string{"token", "--bogus"}, "usage: docker-credential-ecr-login token REGISTRY"},
		{[]string{"doctor", "a", "b"}, "usage: docker-credential-ecr-login doctor"},
		{[]string{"doctor", "--bogus"}, "usage: docker-credential-ecr-login doctor"},
		{[]string{"login"}, "usage: docker-credential-ecr-login login"},
		{[]string{"login", "x", "y", "z"}, "usage: docker-credential-ecr-login login"},
		{[]string{"configure"}, "usage: docker-credential-ecr-login configure"},
		{[]string{"configure", "docker", "--bogus"}, "usage: docker-credential-ecr-login configure docker"},
		{[]string{"cache"}, "usage: docker-credential-ecr-login cache"},
		{[]string{"cache", "nope"}, "usage: docker-credential-ecr-login cache"},
	} {
		code, stdout, stderr := runDockerArgs(t, tc.args...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2, nothing on stdout, %q on stderr",
				tc.args, code, stdout, stderr, tc.want)
		}
	}
}

// An unknown verb gets the answer credentials.Serve gives: the library's
// message on stdout (clients show it) and exit 1; the hint goes to stderr.
func TestHelpUnknownVerbAnswersTheProtocol(t *testing.T) {
	saved := credentials.Name
	credentials.Name = DockerHelperName
	defer func() { credentials.Name = saved }()
	for _, verb := range []string{"frobnicate", "GET", "-x"} {
		libErr := credentials.HandleCommand(nil, verb, strings.NewReader(""), &bytes.Buffer{})
		if libErr == nil {
			t.Fatalf("HandleCommand(%q) succeeded", verb)
		}
		code, stdout, stderr := runDockerArgs(t, verb)
		if code != 1 || stdout != libErr.Error()+"\n" {
			t.Errorf("%q: exit %d, stdout %q; want exit 1 and %q as credentials.Serve prints it", verb, code, stdout, libErr.Error())
		}
		if !strings.Contains(stderr, DockerHelperName+" help") {
			t.Errorf("%q: stderr %q does not point at help", verb, stderr)
		}
	}
}

func TestHelpVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"-v"}, {"--version"}} {
		code, stdout, stderr := runDockerArgs(t, args...)
		if code != 0 || stdout != VersionLine(DockerHelperName)+"\n" || stderr != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}

func TestHelpProvider(t *testing.T) {
	want := strings.ReplaceAll(strings.ReplaceAll(providerUsage, "%[1]s", ProviderName), "%[2]s", DockerHelperName)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"help"}, want},
		{[]string{"-h"}, want},
		{[]string{"--help"}, want},
		{[]string{"help", "version"}, want},
		{[]string{"version"}, VersionLine(ProviderName) + "\n"},
		{[]string{"--version"}, VersionLine(ProviderName) + "\n"},
		{[]string{"-v"}, VersionLine(ProviderName) + "\n"},
	} {
		var out, errb bytes.Buffer
		// stdin is not a request: were the arguments ignored, this would fail.
		code := RunProvider(context.Background(), tc.args, strings.NewReader("not json"), &out, &errb, helpEnviron(t))
		if code != 0 || out.String() != tc.want || errb.String() != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 0 and %q", tc.args, code, out.String(), errb.String(), tc.want)
		}
	}
}
