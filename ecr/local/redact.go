package local

import (
	"encoding/json"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Redaction: every error, log record and diagnostic leaves the process
// through Redact, which removes
//
//   - by source: every secret value this process has seen — the secret
//     variables of the environment, the secret key and session token of
//     every set of credentials the SDK resolved (static keys from the shared
//     files, a credential_process's output, STS answers, SSO and container
//     credentials), and the secret fields of a credential_process's output
//     even when the SDK refused it;
//   - by shape, for secrets it has not seen: a 40-character secret-key-like
//     string, a long base64 run (session tokens such as "IQoJb3JpZ2luX2Vj…",
//     ECR passwords, SSO tokens) and a JWT (three base64url parts).
//
// Ordinary text survives: ARNs, paths, host names, request ids, hex digests
// and access key ids (AKIA…/ASIA…, 20 characters, which AWS does not treat as
// secret; doctor shows only their last 4 characters anyway).

// Redacted replaces a secret in text that leaves the process.
const Redacted = "[REDACTED]"

// minSecretLen: shorter values are not real secrets (AWS secret keys have 40
// characters, session tokens hundreds) and replacing them would mangle text.
const minSecretLen = 8

// Redactor is a registry of seen secrets plus the shape rules. The zero
// value is ready to use; a nil *Redactor redacts by shape only.
type Redactor struct {
	mu    sync.RWMutex
	known []string // longest first
}

// seen holds every secret this process has met. It is process-wide on
// purpose: a secret seen by the fetcher must be removed from whatever later
// writes a log line or an error, wherever in the process that happens.
var seen Redactor

// Redact removes every secret the process has seen, and every secret-shaped
// string, from s.
func Redact(s string) string { return seen.Redact(s) }

// RememberSecrets adds values to the process-wide registry Redact uses.
func RememberSecrets(values ...string) { seen.Add(values...) }

// RedactWith registers secrets, then redacts s.
func RedactWith(s string, secrets ...string) string {
	seen.Add(secrets...)
	return Redact(s)
}

// secretEnvVars are the variables whose values are secrets.
var secretEnvVars = []string{
	"AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_BEARER_TOKEN_ECR",
}

// RememberEnv adds the secret variables of env to the registry.
func RememberEnv(env Getenv) {
	if env == nil {
		return
	}
	for _, k := range secretEnvVars {
		if v := env(k); v != "" {
			seen.Add(v)
		}
	}
}

// RememberProcessOutput registers the secrets in a credential_process's
// standard output: every string field but the few that are not secret; when
// it is not JSON, the whole output (the SDK quotes it in its error) and
// every string value in it, so that a field alone (in the process's stderr,
// say) is redacted too.
func RememberProcessOutput(out []byte) {
	var fields map[string]any
	if err := json.Unmarshal(out, &fields); err != nil {
		seen.Add(strings.TrimSpace(string(out)))
		rememberLooseFields(string(out))
		return
	}
	for k, v := range fields {
		if notSecretField(k) {
			continue
		}
		if s, ok := v.(string); ok {
			seen.Add(s)
		}
	}
}

// notSecretField names the credential_process fields that are not secret.
func notSecretField(name string) bool {
	switch strings.ToLower(name) {
	case "version", "accesskeyid", "expiration", "accountid":
		return true
	}
	return false
}

// jsonString is a double-quoted JSON string literal.
var jsonString = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`"(?:[^"\\]|\\.)*"`) }) // compiled when a process prints

// rememberLooseFields registers the string values of output that is
// JSON-like but does not parse (cut short, a trailing comma, a line before
// it): a string followed by ':' is a key, any other string is the value of
// the last key and is registered unless that key is not secret.
func rememberLooseFields(out string) {
	key := ""
	for _, loc := range jsonString().FindAllStringIndex(out, -1) {
		v, err := strconv.Unquote(out[loc[0]:loc[1]])
		if err != nil {
			v = out[loc[0]+1 : loc[1]-1]
		}
		if strings.HasPrefix(strings.TrimLeft(out[loc[1]:], " \t\r\n"), ":") {
			key = v
			continue
		}
		if !notSecretField(key) {
			seen.Add(v)
		}
	}
}

// Add registers secret values; values shorter than 8 bytes are ignored.
func (r *Redactor) Add(values ...string) {
	var add []string
	for _, v := range values {
		for _, form := range []string{v, strings.TrimSpace(v), quotedForm(v)} {
			if len(form) >= minSecretLen {
				add = append(add, form)
			}
		}
	}
	if len(add) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range add {
		if !containsString(r.known, v) {
			r.known = append(r.known, v)
		}
	}
	sort.SliceStable(r.known, func(i, j int) bool { return len(r.known[i]) > len(r.known[j]) })
}

// quotedForm is v as it appears inside a quoted string (%q, JSON, slog's
// text handler), when that differs from v.
func quotedForm(v string) string {
	q := strconv.Quote(v)
	q = q[1 : len(q)-1]
	if q == v {
		return ""
	}
	return q
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Redact removes the registered secrets and secret-shaped strings from s.
// Both are found in the original text and their spans merged, so a secret
// overlapping another is removed whole.
func (r *Redactor) Redact(s string) string {
	var spans [][2]int
	if r != nil {
		r.mu.RLock()
		for _, k := range r.known {
			for from := 0; ; {
				at := strings.Index(s[from:], k)
				if at < 0 {
					break
				}
				spans = append(spans, [2]int{from + at, from + at + len(k)})
				from += at + 1
			}
		}
		r.mu.RUnlock()
	}
	return replaceSpans(s, mergeSpans(spans, shapeSpans(s)))
}

// replaceSpans replaces each of the sorted, disjoint spans of s by Redacted.
func replaceSpans(s string, spans [][2]int) string {
	if len(spans) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for _, sp := range spans {
		b.WriteString(s[last:sp[0]])
		b.WriteString(Redacted)
		last = sp[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// Character classes of base64 (standard and URL-safe alphabets).
func isAlnum(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}
func isStd(c byte) bool { return isAlnum(c) || c == '+' || c == '/' }
func isURL(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }
func isB64(c byte) bool { return isStd(c) || c == '-' || c == '_' }

// Shape thresholds.
const (
	secretKeyLen = 40  // an AWS secret access key
	tokenMinLen  = 64  // session tokens, ECR passwords, SSO tokens are longer
	tokenMinBits = 4.4 // bits per character: random base64 of 64+ characters has more than 4.6, words and paths under 4.3
)

// shapeSpans finds JWTs, secret-key-like strings and long random base64
// runs in s.
func shapeSpans(s string) [][2]int {
	var spans [][2]int
	for i := 0; i < len(s); {
		if !isB64(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && (isB64(s[j]) || s[j] == '.') {
			j++
		}
		// s[i:j] is a run of base64 characters and dots.
		spans = append(spans, shapesIn(s, i, j)...)
		i = j
	}
	return spans
}

// shapesIn finds the secret spans inside s[i:j], a run of base64
// characters and dots.
func shapesIn(s string, i, j int) [][2]int {
	var out [][2]int
	// A JWT: "eyJ" (base64url of `{"`) then two more dot-separated parts.
	for k := i; k+3 <= j; {
		at := strings.Index(s[k:j], "eyJ")
		if at < 0 {
			break
		}
		start := k + at
		end, dots := start, 0
		for end < j && (isURL(s[end]) || s[end] == '.') {
			if s[end] == '.' {
				dots++
			}
			end++
		}
		if dots >= 2 {
			for end > start && s[end-1] == '.' && dots > 2 { // "a.b.c." keeps its sentence dot
				end--
				dots--
			}
			out = append(out, [2]int{start, end})
			k = end
			continue
		}
		k = start + 3
	}
	return mergeSpans(out, segmentShapes(s, i, j, out))
}

// segmentShapes checks every maximal standard-alphabet and URL-alphabet
// segment of s[i:j] (dots split segments) outside the spans already taken.
func segmentShapes(s string, i, j int, taken [][2]int) [][2]int {
	var out [][2]int
	for _, class := range []func(byte) bool{isStd, isURL} {
		for k := i; k < j; {
			if !class(s[k]) {
				k++
				continue
			}
			e := k
			for e < j && class(s[e]) {
				e++
			}
			if secretShaped(s[k:e]) && !overlaps(taken, k, e) {
				end := e
				for n := 0; n < 2 && end < len(s) && s[end] == '='; n++ {
					end++ // base64 padding
				}
				out = append(out, [2]int{k, end})
			}
			k = e
		}
	}
	return out
}

// secretShaped: a secret-key-like string (exactly 40 characters of the
// standard alphabet with a digit, '+' or '/') or a token (64 or more
// characters with digits whose entropy is that of random data). Both must
// look random the way base64 of random bytes does: capitals about half the
// letters, and the character class (capital, small, digit, symbol) changing
// at most places (about 2 in 3). CamelCase names, words, paths and numbers
// have far fewer capitals or far longer runs of one class.
func secretShaped(seg string) bool {
	if len(seg) != secretKeyLen && len(seg) < tokenMinLen {
		return false
	}
	upper, lower, digit, sym := 0, 0, false, false
	runs, prev := 0, -1
	for k := 0; k < len(seg); k++ {
		class := 3
		switch c := seg[k]; {
		case c >= 'A' && c <= 'Z':
			upper++
			class = 0
		case c >= 'a' && c <= 'z':
			lower++
			class = 1
		case c >= '0' && c <= '9':
			digit = true
			class = 2
		case c == '+' || c == '/':
			sym = true
		}
		if class != prev {
			runs++
			prev = class
		}
	}
	if upper == 0 || lower == 0 {
		return false
	}
	frac := float64(upper) / float64(upper+lower)
	if len(seg) == secretKeyLen {
		return (digit || sym) && frac >= 0.2 && frac <= 0.8 && runs >= 16
	}
	return digit && frac >= 0.25 && frac <= 0.75 && float64(runs) >= 0.45*float64(len(seg)) && entropy(seg) >= tokenMinBits
}

// entropy is the Shannon entropy of s in bits per byte.
func entropy(s string) float64 {
	var counts [256]int
	for k := 0; k < len(s); k++ {
		counts[s[k]]++
	}
	e := 0.0
	n := float64(len(s))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			e -= p * math.Log2(p)
		}
	}
	return e
}

func overlaps(spans [][2]int, a, b int) bool {
	for _, sp := range spans {
		if a < sp[1] && sp[0] < b {
			return true
		}
	}
	return false
}

// mergeSpans sorts and joins overlapping spans.
func mergeSpans(a, b [][2]int) [][2]int {
	if len(a)+len(b) == 0 {
		return nil
	}
	all := append(append([][2]int(nil), a...), b...)
	sort.Slice(all, func(x, y int) bool { return all[x][0] < all[y][0] })
	var out [][2]int
	for _, sp := range all {
		if n := len(out); n > 0 && sp[0] < out[n-1][1] {
			if sp[1] > out[n-1][1] {
				out[n-1][1] = sp[1]
			}
			continue
		}
		out = append(out, sp)
	}
	return out
}
