package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/cache"
)

// cacheTestSecret is in every cached password; no cache command may print it.
const cacheTestSecret = "SENTINEL-cache-password-3f9d"

const (
	cacheTestRegUSE1 = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	cacheTestEndUSE1 = "https://" + cacheTestRegUSE1
)

// cacheTestEntry is one entry put into the test cache.
type cacheTestEntry struct {
	key string
	e   cache.Entry
}

// cacheTestEntries are cached tokens at fixed times around now:
//
//	prod/us-east-1     fresh   (fetched 1h ago, expires in 11h)
//	prod/eu-west-1     stale   (fetched 11h30m ago, expires in 30m; refresh point 30m ago)
//	env/us-east-1      expired (fetched 13h ago, expired 1h ago)
//	dev/us-east-1      fresh   (a third identity for the same registry)
//	prod/public        fresh   (ECR Public, also us-east-1)
//	MFA session        fresh   (1h session with 20m left: the helper reuses it until 5m before expiry)
func cacheTestEntries(now time.Time) []cacheTestEntry {
	tok := func(id, desc, service, region, endpoint string, fetched, expires time.Duration) cache.Entry {
		return cache.Entry{Service: service, Region: region, IdentityID: id, Identity: desc, Endpoint: endpoint,
			Username: "AWS", Password: cacheTestSecret + "-" + id + "-" + region,
			RequestedAt: now.Add(fetched), ExpiresAt: now.Add(expires)}
	}
	return []cacheTestEntry{
		{"idprod/ecr/aws/us-east-1", tok("idprod", "profile prod", "ecr", "us-east-1", cacheTestEndUSE1, -time.Hour, 11*time.Hour)},
		{"idprod/ecr/aws/eu-west-1", tok("idprod", "profile prod", "ecr", "eu-west-1", "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com", -11*time.Hour-30*time.Minute, 30*time.Minute)},
		{"idenv/ecr/aws/us-east-1", tok("idenv", "environment variables AWS_ACCESS_KEY_ID (…WXYZ)", "ecr", "us-east-1", cacheTestEndUSE1, -13*time.Hour, -time.Hour)},
		{"iddev/ecr/aws/us-east-1", tok("iddev", "profile dev", "ecr", "us-east-1", cacheTestEndUSE1, -2*time.Hour, 10*time.Hour)},
		{"idprod/ecr-public/aws/us-east-1", tok("idprod", "profile prod", "ecr-public", "us-east-1", "", -time.Hour, 11*time.Hour)},
		{"mfa-session/0123abcd", cache.Entry{Service: "sts", Identity: "MFA session for profile mfa",
			Username: "ASIAEXAMPLEEXAMPLE", Password: cacheTestSecret + "-secret\n" + cacheTestSecret + "-session-token",
			RequestedAt: now.Add(-40 * time.Minute), ExpiresAt: now.Add(20 * time.Minute)}},
	}
}

// fillCacheDir creates a cache in a new directory with cacheTestEntries
// around time.Now and returns the directory.
func fillCacheDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ecr")
	now := time.Now()
	s := cache.Open(dir)
	for _, te := range cacheTestEntries(now) {
		// Put drops entries that are no longer usable at the time it is
		// given; two hours ago every entry still was.
		if err := s.Put(context.Background(), te.key, te.e, now.Add(-2*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(s.Entries()); n != 6 {
		t.Fatalf("cache has %d entries, want 6", n)
	}
	return dir
}

func cacheTestEnviron(dir string, extra ...string) []string {
	return append([]string{"AWS_ECR_CACHE_DIR=" + dir, "HOME=" + filepath.Dir(dir), "AWS_EC2_METADATA_DISABLED=true"}, extra...)
}

type cacheRun struct {
	code           int
	stdout, stderr string
}

// runCacheCmd runs `docker-credential-ecr-login cache ARGS...` through
// RunDocker and checks that no cached password leaked.
func runCacheCmd(t *testing.T, environ []string, args ...string) cacheRun {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := RunDocker(context.Background(), append([]string{"cache"}, args...), strings.NewReader(""), &stdout, &stderr, environ)
	r := cacheRun{code, stdout.String(), stderr.String()}
	for name, s := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
		if strings.Contains(s, cacheTestSecret) || strings.Contains(s, "ASIAEXAMPLE") {
			t.Errorf("cache %v: a cached secret is on %s:\n%s", args, name, s)
		}
	}
	return r
}

// remainingKeys lists the keys left in the cache in dir.
func remainingKeys(dir string) []string {
	var ks []string
	for k := range cache.Open(dir).Entries() {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestCacheListTable(t *testing.T) {
	dir := fillCacheDir(t)
	r := runCacheCmd(t, cacheTestEnviron(dir), "list")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	t.Logf("cache list:\n%s", r.stdout)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 7 {
		t.Fatalf("%d lines, want header + 6:\n%s", len(lines), r.stdout)
	}
	header := lines[0]
	if !strings.HasPrefix(header, "IDENTITY") {
		t.Fatalf("header %q", header)
	}
	// Columns are aligned: every column starts at the header's offset, in
	// characters (the identity may hold "…").
	for _, col := range []string{"SERVICE", "REGION", "ENDPOINT", "FETCHED", "EXPIRES", "STATE"} {
		at := strings.Index(header, col)
		for _, l := range lines[1:] {
			r := []rune(l)
			if at >= len(r) || r[at-1] != ' ' || r[at] == ' ' {
				t.Errorf("column %s (offset %d) not aligned in %q", col, at, l)
			}
		}
	}
	// Rows are sorted by identity, then service and region; states and times.
	// The times as stored (not recomputed: a second may have passed).
	stored := cache.Open(dir).Entries()
	entries := cacheTestEntries(time.Now())
	for i := range entries {
		entries[i].e = stored[entries[i].key]
	}
	want := []struct {
		identity, state, expires string
		entry                    int
	}{
		{"MFA session for profile mfa", "fresh", "(in 19m)", 5},
		{"environment variables AWS_ACCESS_KEY_ID (…WXYZ)", "expired", "(1h ago)", 2},
		{"profile dev", "fresh", "(in 9h59m)", 3},
		{"profile prod", "stale", "(in 29m)", 1},    // ecr eu-west-1
		{"profile prod", "fresh", "(in 10h59m)", 0}, // ecr us-east-1
		{"profile prod", "fresh", "(in 10h59m)", 4}, // ecr-public us-east-1
	}
	for i, w := range want {
		l := lines[i+1]
		e := entries[w.entry].e
		fields := strings.Fields(l)
		if !strings.HasPrefix(l, w.identity+"  ") || fields[len(fields)-1] != w.state {
			t.Errorf("row %d = %q, want identity %q state %q", i, l, w.identity, w.state)
		}
		if !strings.Contains(l, e.ExpiresAt.UTC().Format(time.RFC3339)+" "+w.expires) {
			t.Errorf("row %d = %q, want expiry %s %s", i, l, e.ExpiresAt.UTC().Format(time.RFC3339), w.expires)
		}
		if !strings.Contains(l, e.RequestedAt.UTC().Format(time.RFC3339)+" (") {
			t.Errorf("row %d = %q, want fetched at %s", i, l, e.RequestedAt.UTC().Format(time.RFC3339))
		}
		region, endpoint := e.Region, e.Endpoint
		if region == "" {
			region = "-"
		}
		if endpoint == "" {
			endpoint = "-"
		}
		if !strings.Contains(l, "  "+e.Service+"  ") || !strings.Contains(l, "  "+region+"  ") || !strings.Contains(l, "  "+endpoint+"  ") {
			t.Errorf("row %d = %q, want service %s region %s endpoint %s", i, l, e.Service, region, endpoint)
		}
	}
	if !strings.Contains(lines[5], "(1h ago)") { // profile prod us-east-1 was fetched an hour ago
		t.Errorf("fetched time of %q", lines[5])
	}
}

func TestCacheListJSON(t *testing.T) {
	dir := fillCacheDir(t)
	r := runCacheCmd(t, cacheTestEnviron(dir), "list", "--json")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	if len(rows) != 6 {
		t.Fatalf("%d rows, want 6", len(rows))
	}
	wantKeys := []string{"endpoint", "expires_at", "fetched_at", "identity", "identity_id", "key", "refresh_at", "region", "service", "state"}
	states := map[string]string{}
	for _, row := range rows {
		var keys []string
		for k := range row {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, wantKeys) {
			t.Errorf("keys %v, want %v", keys, wantKeys)
		}
		for _, k := range []string{"fetched_at", "expires_at", "refresh_at"} {
			s, _ := row[k].(string)
			if tm, err := time.Parse(time.RFC3339, s); err != nil || !strings.HasSuffix(s, "Z") || tm.IsZero() {
				t.Errorf("%s = %q: want RFC 3339 UTC", k, s)
			}
		}
		states[row["key"].(string)] = row["state"].(string)
	}
	want := map[string]string{
		"idprod/ecr/aws/us-east-1":        "fresh",
		"idprod/ecr/aws/eu-west-1":        "stale",
		"idenv/ecr/aws/us-east-1":         "expired",
		"iddev/ecr/aws/us-east-1":         "fresh",
		"idprod/ecr-public/aws/us-east-1": "fresh",
		"mfa-session/0123abcd":            "fresh",
	}
	if !mapsEqual(states, want) {
		t.Errorf("states %v, want %v", states, want)
	}
	first := rows[4] // profile prod, ecr, us-east-1
	if first["identity"] != "profile prod" || first["service"] != "ecr" || first["region"] != "us-east-1" || first["endpoint"] != cacheTestEndUSE1 || first["identity_id"] != "idprod" {
		t.Errorf("row %v", first)
	}

	// The margin comes from AWS_ECR_REFRESH_MARGIN: the eu-west-1 token
	// expires in 30m, so it is stale with a 1h margin and fresh with 20m or none.
	for margin, want := range map[string]string{"0s": "fresh", "1h": "stale", "20m": "fresh"} {
		r := runCacheCmd(t, cacheTestEnviron(dir, "AWS_ECR_REFRESH_MARGIN="+margin), "list", "--json")
		var rows []cacheRow
		if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || r.code != 0 {
			t.Fatalf("margin %s: %d %v", margin, r.code, err)
		}
		for _, row := range rows {
			if row.Key == "idprod/ecr/aws/eu-west-1" && row.State != want {
				t.Errorf("margin %s: eu-west-1 token is %s, want %s", margin, row.State, want)
			}
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestCacheListEmptyOrCorrupt(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	if r := runCacheCmd(t, cacheTestEnviron(missing), "list"); r.code != 0 || r.stdout != "no cached tokens\n" {
		t.Errorf("missing cache: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := runCacheCmd(t, cacheTestEnviron(missing), "list", "--json"); r.code != 0 || r.stdout != "[]\n" {
		t.Errorf("missing cache --json: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("list created the cache directory: %v", err)
	}

	dir := filepath.Join(t.TempDir(), "ecr")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, cache.FileName), []byte(`{"version":1,"entries":{"k":{"password":"`+cacheTestSecret+`"`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCacheCmd(t, cacheTestEnviron(dir), "list")
	if r.code != 0 || r.stdout != "no cached tokens\n" || !strings.Contains(r.stderr, "ignoring token cache file") {
		t.Errorf("corrupt cache: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := runCacheCmd(t, cacheTestEnviron(dir), "list", "--json"); r.code != 0 || r.stdout != "[]\n" {
		t.Errorf("corrupt cache --json: %d %q %q", r.code, r.stdout, r.stderr)
	}
	// clear replaces the corrupt file with an empty cache.
	if r := runCacheCmd(t, cacheTestEnviron(dir), "clear"); r.code != 0 || r.stdout != "removed 0 cached tokens\n" {
		t.Errorf("clear corrupt cache: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, cache.FileName)); bytes.Contains(b, []byte(cacheTestSecret)) {
		t.Errorf("corrupt file still there: %s", b)
	}
}

func TestCacheListDisabledNote(t *testing.T) {
	dir := fillCacheDir(t)
	r := runCacheCmd(t, cacheTestEnviron(dir, "AWS_ECR_DISABLE_CACHE=1"), "list")
	if r.code != 0 || !strings.Contains(r.stderr, "AWS_ECR_DISABLE_CACHE") || strings.Count(r.stdout, "\n") != 7 {
		t.Errorf("%d %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestCacheClear(t *testing.T) {
	all := []string{
		"iddev/ecr/aws/us-east-1", "idenv/ecr/aws/us-east-1", "idprod/ecr-public/aws/us-east-1",
		"idprod/ecr/aws/eu-west-1", "idprod/ecr/aws/us-east-1", "mfa-session/0123abcd",
	}
	for _, tc := range []struct {
		name   string
		args   []string
		stdout string
		left   []string
	}{
		{"all", nil, "removed 6 cached tokens\n", nil},
		{"registry", []string{cacheTestRegUSE1},
			"removed 3 cached tokens that would serve " + cacheTestRegUSE1 + " (ecr in us-east-1)\n",
			[]string{"idprod/ecr-public/aws/us-east-1", "idprod/ecr/aws/eu-west-1", "mfa-session/0123abcd"}},
		{"registry spelled as a URL", []string{"https://123456789012.DKR.ECR.us-east-1.amazonaws.com/v2/"},
			"removed 3 cached tokens that would serve " + cacheTestRegUSE1 + " (ecr in us-east-1)\n",
			[]string{"idprod/ecr-public/aws/us-east-1", "idprod/ecr/aws/eu-west-1", "mfa-session/0123abcd"}},
		{"another account, same region", []string{"999999999999.dkr.ecr.us-east-1.amazonaws.com"},
			"removed 3 cached tokens that would serve 999999999999.dkr.ecr.us-east-1.amazonaws.com (ecr in us-east-1)\n",
			[]string{"idprod/ecr-public/aws/us-east-1", "idprod/ecr/aws/eu-west-1", "mfa-session/0123abcd"}},
		{"public", []string{"public.ecr.aws"},
			"removed 1 cached token that would serve public.ecr.aws (ecr-public in us-east-1)\n",
			[]string{"iddev/ecr/aws/us-east-1", "idenv/ecr/aws/us-east-1", "idprod/ecr/aws/eu-west-1", "idprod/ecr/aws/us-east-1", "mfa-session/0123abcd"}},
		{"region", []string{"--region", "eu-west-1"}, "removed 1 cached token in eu-west-1\n",
			[]string{"iddev/ecr/aws/us-east-1", "idenv/ecr/aws/us-east-1", "idprod/ecr-public/aws/us-east-1", "idprod/ecr/aws/us-east-1", "mfa-session/0123abcd"}},
		{"region=, both services", []string{"--region=us-east-1"}, "removed 4 cached tokens in us-east-1\n",
			[]string{"idprod/ecr/aws/eu-west-1", "mfa-session/0123abcd"}},
		{"region without tokens", []string{"--region", "ap-south-2"}, "removed 0 cached tokens in ap-south-2\n", all},
		{"registry without tokens", []string{"123456789012.dkr.ecr.sa-east-1.amazonaws.com"},
			"removed 0 cached tokens that would serve 123456789012.dkr.ecr.sa-east-1.amazonaws.com (ecr in sa-east-1)\n", all},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := fillCacheDir(t)
			r := runCacheCmd(t, cacheTestEnviron(dir), append([]string{"clear"}, tc.args...)...)
			if r.code != 0 || r.stdout != tc.stdout || r.stderr != "" {
				t.Errorf("exit %d\nstdout %q\n  want %q\nstderr %q", r.code, r.stdout, tc.stdout, r.stderr)
			}
			if got := remainingKeys(dir); !slices.Equal(got, tc.left) {
				t.Errorf("left %v, want %v", got, tc.left)
			}
		})
	}
}

func TestCacheClearDryRun(t *testing.T) {
	dir := fillCacheDir(t)
	before, err := os.ReadFile(filepath.Join(dir, cache.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"clear", "--dry-run", cacheTestRegUSE1},
		{"clear", cacheTestRegUSE1, "--dry-run"},
	} {
		r := runCacheCmd(t, cacheTestEnviron(dir), args...)
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		if r.code != 0 || len(lines) != 5 || lines[0] != "would remove 3 cached tokens that would serve "+cacheTestRegUSE1+" (ecr in us-east-1):" ||
			!strings.HasPrefix(lines[1], "IDENTITY") || !strings.HasPrefix(lines[2], "environment variables") ||
			!strings.HasPrefix(lines[3], "profile dev") || !strings.HasPrefix(lines[4], "profile prod") {
			t.Errorf("%v: %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
	if r := runCacheCmd(t, cacheTestEnviron(dir), "clear", "--dry-run"); r.code != 0 || !strings.HasPrefix(r.stdout, "would remove 6 cached tokens:\n") {
		t.Errorf("dry-run all: %d %q", r.code, r.stdout)
	}
	if r := runCacheCmd(t, cacheTestEnviron(dir), "clear", "--dry-run", "--region", "ap-south-2"); r.code != 0 || r.stdout != "no cached tokens in ap-south-2; nothing to remove\n" {
		t.Errorf("dry-run nothing: %d %q", r.code, r.stdout)
	}
	after, err := os.ReadFile(filepath.Join(dir, cache.FileName))
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("dry run changed the cache file (%v)", err)
	}
}

func TestCacheClearMissingCache(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	for _, args := range [][]string{{"clear"}, {"clear", cacheTestRegUSE1}, {"clear", "--dry-run"}} {
		if r := runCacheCmd(t, cacheTestEnviron(missing), args...); r.code != 0 || !strings.HasSuffix(r.stdout, "nothing to remove\n") {
			t.Errorf("%v: %d %q %q", args, r.code, r.stdout, r.stderr)
		}
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("clear created the cache directory: %v", err)
	}
}

func TestCacheUsage(t *testing.T) {
	dir := fillCacheDir(t)
	for _, args := range [][]string{
		{},
		{"bogus"},
		{"list", "extra"},
		{"list", "--bogus"},
		{"list", "--region", "us-east-1"},
		{"clear", "--json"},
		{"clear", cacheTestRegUSE1, "public.ecr.aws"},
		{"clear", cacheTestRegUSE1, "--region", "us-east-1"},
		{"clear", "registry.example.com"},
		{"clear", "--region", ""},
		{"clear", "--region", "us east 1"},
		{"clear", "--region"},
	} {
		r := runCacheCmd(t, cacheTestEnviron(dir), args...)
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "usage: docker-credential-ecr-login cache list") {
			t.Errorf("cache %v: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
	if got := remainingKeys(dir); len(got) != 6 {
		t.Errorf("a refused command changed the cache: %v", got)
	}
	for _, args := range [][]string{{"--help"}, {"help"}, {"list", "-h"}, {"clear", "--help"}} {
		if r := runCacheCmd(t, cacheTestEnviron(dir), args...); r.code != 0 || !strings.HasPrefix(r.stdout, "usage: docker-credential-ecr-login cache list") {
			t.Errorf("cache %v: exit %d, stdout %q", args, r.code, r.stdout)
		}
	}
	if r := runCacheCmd(t, cacheTestEnviron(dir, "AWS_ECR_REFRESH_MARGIN=soon"), "list"); r.code != 1 || !strings.Contains(r.stderr, "AWS_ECR_REFRESH_MARGIN") {
		t.Errorf("bad margin: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestCacheRelativeTimes(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "now"},
		{999 * time.Millisecond, "now"},
		{-999 * time.Millisecond, "now"},
		{42 * time.Second, "in 42s"},
		{-3*time.Minute - 59*time.Second, "3m ago"},
		{11*time.Hour - time.Millisecond, "in 10h59m"},
		{2 * time.Hour, "in 2h"},
		{-(49*time.Hour + 5*time.Minute), "2d1h ago"},
		{72 * time.Hour, "in 3d"},
	} {
		if got := relative(now.Add(tc.d), now); got != tc.want {
			t.Errorf("relative(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// The table stays one line per token whatever a hand-edited file holds.
func TestCacheTableCells(t *testing.T) {
	now := time.Now()
	rows := cacheRows(map[string]cache.Entry{"k": {Identity: "a\tb\nc", Service: "ecr", Username: "AWS", Password: cacheTestSecret,
		RequestedAt: now.Add(-time.Hour), ExpiresAt: now.Add(time.Hour)}}, now, time.Hour, nil)
	var b bytes.Buffer
	if err := writeCacheTable(&b, rows, now); err != nil {
		t.Fatal(err)
	}
	if strings.Count(b.String(), "\n") != 2 || !strings.Contains(b.String(), "a b c") || strings.Contains(b.String(), cacheTestSecret) {
		t.Errorf("table:\n%s", b.String())
	}
	// margin capped at half the lifetime: refresh point at now, so stale.
	if rows[0].State != stateStale {
		t.Errorf("state %s", rows[0].State)
	}
}
