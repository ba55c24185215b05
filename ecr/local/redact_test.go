package local

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// Realistic shapes, never registered: the shape rules alone must remove them.
const (
	shapeSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	shapeSession   = "IQoJb3JpZ2luX2VjEHYaCXVzLWVhc3QtMSJHMEUCIQDp8kJj3Q7W2vPq9zWm0xXyLq+Y7cT1v4sB6nHfGk2uRwIgWb5Z9yX/3Lr8NqM1eP0sT7fD6cV2kH4jA9uG8iY5oQEq9QIIv" +
		"///////////ARAAGgwxMjM0NTY3ODkwMTIiDKx9Pz1q2Vg7mN3Rbir"
	shapeJWT      = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImFiYyJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDphcHAifQ.c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
	shapeECRPass  = "eyJwYXlsb2FkIjoiQ2ZKcW9vV3pGd3dKb1V1ZkN5WDl4N2FzZEZHSEprbDEyMzQ1Njc4OTAiLCJkYXRha2V5IjoiQVFFQkFIaE1Ua3ZhIiwidmVyc2lvbiI6IjIiLCJ0eXBlIjoiREFUQV9LRVkiLCJleHBpcmF0aW9uIjoxNzAwMDAwMDAwfQ=="
	shapeSSOToken = "aoaAAAAAGZxYz9kR3p0dEJ6T0xUVm9hV2VTQm9KZ2x3eFpxR0lSbmh4WUlMZmVqUVlGWEpmQ2NmR2NPc0F3Q0xxYkRkZkVC"
)

func TestRedactShapes(t *testing.T) {
	var r Redactor // nothing registered
	for _, secret := range []string{shapeSecretKey, shapeSession, shapeJWT, shapeECRPass, shapeSSOToken} {
		for _, wrap := range []string{"%s", `"SecretAccessKey":"%s"`, "token=%s.", "x-%s-y", "(%s)", "'%s'\n", "key:%s,", `\"%s\"`} {
			in := "operation error: " + fmt.Sprintf(wrap, secret) + " trailing"
			out := r.Redact(in)
			if strings.Contains(out, secret) || !strings.Contains(out, Redacted) {
				t.Errorf("shape survived: %q -> %q", in, out)
			}
			for k := 0; k+16 <= len(secret); k += 8 {
				if strings.Contains(out, secret[k:k+16]) && !strings.Contains(in[:strings.Index(in, secret)], secret[k:k+16]) {
					t.Errorf("part of %q survived in %q", secret, out)
					break
				}
			}
		}
	}
}

// Random keys and tokens of every length the rules cover are always caught:
// the shape rules must not depend on luck for real secrets.
func TestRedactRandomSecrets(t *testing.T) {
	var r Redactor
	rng := rand.New(rand.NewPCG(1, 2)) // deterministic
	fill := func(b []byte) {
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
	}
	misses, keyMisses := 0, 0
	for i := 0; i < 4000; i++ {
		b := make([]byte, 30)
		fill(b)
		key := base64.StdEncoding.EncodeToString(b)[:40]
		tb := make([]byte, 48+i%400)
		fill(tb)
		tok := base64.StdEncoding.EncodeToString(tb)
		utok := base64.RawURLEncoding.EncodeToString(tb)
		for _, s := range []string{key, tok, utok} {
			if out := r.Redact("error: " + s + " end"); strings.Contains(out, strings.TrimRight(s, "=")) {
				if s == key {
					keyMisses++
					continue
				}
				misses++
				t.Errorf("random secret survived: %q", s)
			}
		}
	}
	// A 40-character key of letters only (p = (52/64)^40, about 1 in 4000),
	// with under 20% or over 80% capitals (about 1 in 1500) or with long
	// runs of one character class (under 16 runs, about 1 in 3000) is what
	// the rules let through, because words and CamelCase names look the same:
	// such keys are still removed when registered, as every key the SDK
	// resolved is. Tokens are long enough never to be missed.
	t.Logf("%d of 4000 random keys were not removed by shape", keyMisses)
	if keyMisses > 12 {
		t.Fatalf("%d letter-only keys: more than chance", keyMisses)
	}
}

func TestRedactKeepsOrdinaryText(t *testing.T) {
	var r Redactor
	for _, s := range []string{
		"arn:aws:iam::123456789012:role/OrganizationAccountAccessRole",
		"arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_AdministratorAccess_1234abcd5678ef90/alice@example.com",
		"arn:aws:iam::123456789012:role/aws-service-role/ecr.amazonaws.com/AWSServiceRoleForECRReplication",
		"key id AKIAIOSFODNN7EXAMPLE and ASIAIOSFODNN7EXAMPLE",
		"/var/lib/kubelet/plugins/ecr/credentialprovider/bin/ecrcredentialprovider",
		"/home/runner/work/ecr-login/ecr-login/cmd/internal/cli/testdata/fuzz/FuzzConfigureDocker/x",
		"commit 0123456789abcdef0123456789abcdef01234567, sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"request id 9f2c4e1a-8b3d-4f6e-a1c2-3d4e5f6a7b8c, host 123456789012.dkr.ecr.us-east-1.amazonaws.com",
		"ec2-54-12-13-14.compute-1.amazonaws.com and public.ecr.aws",
		"AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"ThisIsAVeryLongCamelCaseIdentifierForTestingPurposesOnlyAndNothingElse",
		"/tmp/TestMappingWithMissingProfileFailsWithoutFallback2876543210/001/.aws/config",
		"/tmp/TestCredentialProcessSecretsNeverLeak1234/002/home/.ecr/config.yaml",
		"/tmp/TestSymlinkedCacheDirIsNotUsed2876543210/001/.ecr",
		"/tmp/TestFooBarBazQuxQuuxCorgeGrault12345678/001",
		"C:/Users/Administrator/AppData/Local/Temp/TestSomething123456789/001",
		"parsing time \"2030-01-01 00:00:00\" as \"2006-01-02T15:04:05Z07:00\": cannot parse",
	} {
		if out := r.Redact(s); out != s {
			t.Errorf("mangled:\n  %s\n  %s", s, out)
		}
	}
}

func TestRedactRegistered(t *testing.T) {
	var r Redactor
	r.Add("short", "SENTINEL-secret-0001", "SENTINEL-secret-0001-longer", `with"quote\x`)
	in := `a SENTINEL-secret-0001-longer b SENTINEL-secret-0001 c short "with\"quote\\x"`
	out := r.Redact(in)
	if strings.Contains(out, "SENTINEL") || strings.Contains(out, "quote") {
		t.Fatalf("registered secret survived: %q", out)
	}
	if !strings.Contains(out, "short") {
		t.Fatalf("a value under 8 bytes was treated as a secret: %q", out)
	}
	var nilR *Redactor
	if got := nilR.Redact("x " + shapeSecretKey); strings.Contains(got, shapeSecretKey) {
		t.Fatalf("nil redactor kept a shape: %q", got)
	}
}

func TestRememberProcessOutput(t *testing.T) {
	secret, token := "SENTINEL-proc-secret-7f3a", "SENTINEL-proc-token-7f3a"
	RememberProcessOutput([]byte(`{"Version":1,"AccessKeyId":"ASIAPROCESS0000001","SecretAccessKey":"` + secret + `","SessionToken":"` + token + `","Expiration":"2030-01-01 00:00:00"}`))
	out := Redact("parse failed of process output: " + secret + " " + token + " ASIAPROCESS0000001 2030-01-01 00:00:00")
	if strings.Contains(out, "SENTINEL") || !strings.Contains(out, "ASIAPROCESS0000001") || !strings.Contains(out, "2030-01-01 00:00:00") {
		t.Fatalf("got %q", out)
	}
	RememberProcessOutput([]byte("not json SENTINEL-proc-raw-7f3a\n"))
	if out := Redact("output: not json SENTINEL-proc-raw-7f3a\n"); strings.Contains(out, "SENTINEL") {
		t.Fatalf("got %q", out)
	}
}

// sdkTemplates are error texts shaped like the SDK's, with %s where a
// secret lands.
var sdkTemplates = []string{
	"process provider error: parse failed of process output: %s, error: parsing time",
	`operation error ECR: GetAuthorizationToken, https response error StatusCode: 403, RequestID: 1, api error UnrecognizedClientException: The security token included in the request is invalid: %s`,
	"failed to refresh cached credentials, %s",
	`{"Version":1,"AccessKeyId":"ASIAX","SecretAccessKey":"%s","SessionToken":"%s"}`,
	"Authorization: Bearer %s\n",
	"level=ERROR msg=\"could not load\" detail=%s",
	"%s",
}

// FuzzRedact hides secrets inside SDK-style error text: a registered secret
// (any bytes of 8 or more) and unregistered shaped ones (a secret key, a
// session token, a JWT, an ECR password made from the fuzz input) never
// survive, whatever text surrounds them.
func FuzzRedact(f *testing.F) {
	f.Add("prefix ", " suffix", "SENTINEL-secret-key-0000", []byte("seed-bytes-for-shapes"), uint8(0))
	f.Add(`{"a":"`, `"}`, `quote"in\secret`, []byte{0, 1, 2, 3, 255}, uint8(3))
	f.Fuzz(func(t *testing.T, before, after, registered string, seed []byte, tmpl uint8) {
		var r Redactor
		r.Add(registered)
		shaped := shapedSecrets(seed)
		pick := sdkTemplates[int(tmpl)%len(sdkTemplates)]
		var hidden []string
		if len(registered) >= minSecretLen {
			hidden = append(hidden, registered)
		}
		var text strings.Builder
		text.WriteString(before)
		for i, s := range append([]string{registered}, shaped...) {
			msg := strings.ReplaceAll(pick, "%s", s)
			if i > 0 {
				hidden = append(hidden, s)
				// Unregistered secrets are found by shape, so they need a
				// boundary: SDK text always puts one around them.
				msg = " " + msg + " "
			}
			text.WriteString(msg)
		}
		text.WriteString(after)
		out := r.Redact(text.String())
		for _, s := range hidden {
			if strings.Contains(out, s) {
				t.Fatalf("secret %q survived in %q", s, out)
			}
		}
		if r.Redact(out) != out {
			t.Fatalf("redaction is not idempotent: %q", out)
		}
	})
}

// shapedSecrets derives a secret key, a session token, a JWT and an ECR
// password from seed: random data seeded by it (so the fuzzer varies them
// but cannot make them stop looking random, which real secrets never do).
func shapedSecrets(seed []byte) []string {
	sum := sha256.Sum256(seed)
	rng := rand.New(rand.NewChaCha8(sum))
	buf := make([]byte, 1200)
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	std := base64.StdEncoding.EncodeToString(buf)
	url := base64.RawURLEncoding.EncodeToString(buf)
	const upper, lower, digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", "0123456789"
	key := make([]byte, 40)
	for k := range key {
		b := buf[k]
		switch k % 4 { // as random keys are: mixed case, digits
		case 0:
			key[k] = upper[int(b)%26]
		case 1:
			key[k] = lower[int(b)%26]
		case 2:
			key[k] = std[k]
		default:
			key[k] = digits[int(b)%10]
		}
	}
	return []string{
		string(key),
		"IQoJb3JpZ2luX2Vj" + std[40:600],
		"eyJhbGciOiJSUzI1NiJ9." + url[:120] + "." + url[120:200],
		"eyJwYXlsb2FkIjoi" + std[600:1400],
	}
}
