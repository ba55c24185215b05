//go:build unix

package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// ---------------------------------------------------------------------------
// 5. Hostile input on stdin
// ---------------------------------------------------------------------------

func TestHostileInput(t *testing.T) {
	const notFound = "credentials not found in native keychain\n"
	type want int
	const (
		wantToken want = iota // exit 0 with the token
		notECR                // exit 1, not-found, no API call
		clearErr              // exit 1 with msg on stdout, no API call
		either                // an answer, or not-found / a clear error without an API call
		refused               // not-found or a clear error, without an API call
	)
	mib := 1 << 20
	big := func(n int, b byte) string { return strings.Repeat(string(b), n) }
	for _, tc := range []struct {
		name, verb, in string
		want           want
		msg            string
	}{
		{"1MiB", "get", big(mib, 'a'), clearErr, "expected a registry host name"},
		{"1MiB+1", "get", big(mib+1, 'a'), clearErr, "larger than 1 MiB"},
		{"host-then-1MiB-of-spaces", "get", hostA + big(mib-len(hostA), ' '), wantToken, ""},
		{"host-then-1MiB-of-newlines", "get", hostA + big(mib-len(hostA), '\n'), wantToken, ""},
		{"1MiB-of-spaces-around-host", "get", big(mib/2, ' ') + hostA + big(mib/2-len(hostA), '\t'), wantToken, ""},
		{"store-1MiB+1", "store", big(mib+1, '{'), clearErr, "larger than 1 MiB"},
		{"store-one-100KiB-line", "store", `{"ServerURL":"` + hostA + `","Username":"AWS","Secret":"` + big(100<<10, 'x') + `"}`, clearErr, "longer than 64 KiB"},
		{"erase-1MiB+1", "erase", big(mib+1, 'a'), clearErr, "larger than 1 MiB"},
		{"binary", "get", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8\xff\xe0", refused, ""},
		{"binary-one-line", "get", "\x89PNG\x1a\x00\x00\x00\rIHDR\xff\xd8\xff\xe0", notECR, ""},
		{"nul-only", "get", "\x00", notECR, ""},
		{"nul-after-host", "get", hostA + "\x00", notECR, ""},
		{"nul-inside-host", "get", "123456789012.dkr.ecr\x00.us-east-1.amazonaws.com", notECR, ""},
		{"invalid-utf8", "get", "\xff\xfe" + hostA, notECR, ""},
		{"invalid-utf8-suffix", "get", hostA + "\xc3\x28", notECR, ""},
		{"userinfo", "get", "https://AWS:SENTINEL-USERINFO-PW@" + hostA, either, ""},
		{"userinfo-host-is-elsewhere", "get", "https://" + hostA + "@evil.example", notECR, ""},
		{"query", "get", hostA + "?token=SENTINEL-QUERY", either, ""},
		{"fragment", "get", hostA + "#frag", either, ""},
		{"path-traversal", "get", hostA + "/../../etc/passwd", either, ""},
		{"ipv6-literal", "get", "[::1]", notECR, ""},
		{"ipv6-literal-url", "get", "https://[::1]:443/v2/", notECR, ""},
		{"ipv4", "get", "127.0.0.1", notECR, ""},
		{"punycode-suffix", "get", "123456789012.dkr.ecr.us-east-1.xn--amazonaws-9db.com", notECR, ""},
		{"punycode-tld", "get", "123456789012.dkr.ecr.us-east-1.amazonaws.xn--com-9ma", notECR, ""},
		{"punycode-label", "get", "xn--123456789012-xyz.dkr.ecr.us-east-1.amazonaws.com", notECR, ""},
		{"unicode-lookalike", "get", "123456789012.dkr.ecr.us-east-1.amazonaws.c\u043em", notECR, ""},
		{"fullwidth-digits", "get", "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10\uff11\uff12.dkr.ecr.us-east-1.amazonaws.com", notECR, ""},
		{"fullwidth-dot", "get", "123456789012\uff0edkr.ecr.us-east-1.amazonaws.com", notECR, ""},
		{"trailing-junk", "get", hostA + "junk", notECR, ""},
		{"trailing-word", "get", hostA + " junk", notECR, ""},
		{"trailing-shell", "get", hostA + ";rm -rf /", notECR, ""},
		{"trailing-backslash", "get", hostA + "\\x", notECR, ""},
		{"bad-port", "get", hostA + ":99999", notECR, ""},
		{"empty-port", "get", hostA + ":", notECR, ""},
		{"port-443", "get", hostA + ":443", wantToken, ""},
		{"trailing-dot", "get", hostA + ".", wantToken, ""},
		{"crlf", "get", hostA + "\r\n", wantToken, ""},
		{"crlf-url", "get", "https://" + hostA + "/v2/\r\n", wantToken, ""},
		{"leading-blank-lines", "get", "\r\n\n" + hostA + "\r\n", wantToken, ""},
		{"two-hosts", "get", hostA + "\n" + hostB + "\n", clearErr, "more than one line"},
		{"two-hosts-crlf", "get", hostA + "\r\n" + "docker.io\r\n", clearErr, "more than one line"},
		{"host-split-over-lines", "get", "123456789012.dkr.ecr.\nus-east-1.amazonaws.com", clearErr, "more than one line"},
		{"erase-two-lines", "erase", hostA + "\nx", clearErr, "more than one line"},
		{"cr-inside-host", "get", "123456789012.dkr.ecr.\rus-east-1.amazonaws.com", notECR, ""},
		{"whitespace-only", "get", " \t\r\n", clearErr, "server URL"},
		{"4097-byte-host", "get", strings.Repeat("a.", 2048) + "b", clearErr, "expected a registry host name"},
		{"erase-binary", "erase", "\x00\xff", either, ""},
		{"store-binary", "store", "\x00\xff", either, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := ecrtest.NewServer()
			defer fake.Close()
			env := baseEnv(t, fake.URL())
			r := invoke(t, invocation{args: []string{tc.verb}, env: env, stdin: []byte(tc.in), timeout: 10 * time.Second})
			calls := fake.CallCount()
			// The protocol echoes the client's input as ServerURL; nothing
			// else may repeat a secret-looking part of it.
			echo := r.stdout
			var served answer
			if json.Unmarshal([]byte(r.stdout), &served) == nil {
				echo = strings.Replace(echo, served.ServerURL, "", 1)
			}
			for _, s := range []string{"SENTINEL-USERINFO-PW", "SENTINEL-QUERY"} {
				if strings.Contains(echo, s) || strings.Contains(r.stderr, s) {
					t.Fatalf("the input's secret part was echoed:\nstdout=%s\nstderr=%s", r.stdout, r.stderr)
				}
			}
			isAnswer := func() bool {
				var a answer
				dec := json.NewDecoder(strings.NewReader(r.stdout))
				dec.DisallowUnknownFields()
				return r.code == 0 && dec.Decode(&a) == nil && a.Secret == fake.Password() && a.Username == "AWS"
			}
			isRefusal := func() bool {
				return r.code == 1 && oneLine(r.stdout) && calls == 0 && !strings.Contains(r.stdout, fake.Password())
			}
			switch tc.want {
			case wantToken:
				if !isAnswer() {
					t.Fatalf("want the token: exit %d\nstdout=%s\nstderr=%s", r.code, r.stdout, r.stderr)
				}
			case notECR:
				if r.code != 1 || r.stdout != notFound || calls != 0 {
					t.Fatalf("want not-found without an API call: exit %d, %d calls\nstdout=%q\nstderr=%s", r.code, calls, r.stdout, r.stderr)
				}
			case clearErr:
				if !isRefusal() || !strings.Contains(r.stdout, tc.msg) || r.stdout == notFound {
					t.Fatalf("want exit 1 and %q without an API call: exit %d, %d calls\nstdout=%q\nstderr=%s", tc.msg, r.code, calls, r.stdout, r.stderr)
				}
			case refused:
				if !isRefusal() {
					t.Fatalf("want not-found or a clear error without an API call: exit %d, %d calls\nstdout=%q\nstderr=%s", r.code, calls, r.stdout, r.stderr)
				}
			case either:
				switch {
				case tc.verb != "get" && r.code == 0 && r.stdout == "":
				case tc.verb == "get" && isAnswer():
				case isRefusal():
				default:
					t.Fatalf("want an answer, not-found or a clear error: exit %d, %d calls\nstdout=%q\nstderr=%s", r.code, calls, r.stdout, r.stderr)
				}
				if r.code == 1 && strings.Contains(r.stdout, "bufio.Scanner") {
					t.Fatalf("an internal error is not a clear message: %q", r.stdout)
				}
				t.Logf("exit %d, %d API calls, stdout %.80q", r.code, calls, r.stdout)
			}
		})
	}
}
