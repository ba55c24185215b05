package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/ecr-login/ecr-login/cache"
	"github.com/ecr-login/ecr-login/ecr"
)

const cacheUsage = `usage: %[1]s cache list [--json]
       %[1]s cache clear [REGISTRY | --region REGION] [--dry-run]

Inspects the token cache ($AWS_ECR_CACHE_DIR, default ~/.ecr). No AWS call is made.

Commands:
  list    one row per cached token: the identity it was issued to, service,
          region, endpoint, when it was fetched and when it expires, and its
          state: fresh (served from the cache), stale (past its refresh point:
          used only if ECR fails) or expired (never served)
  clear   remove cached tokens: all of them, those that would serve REGISTRY
          (for every identity), or those of one region

Flags:
  --json            list: print a JSON array instead of a table
  --region REGION   clear: only tokens for REGION
  --dry-run         clear: show what would be removed and remove nothing
`

// Token states shown by `cache list` (ecr.TokenCache decides them).
const (
	stateFresh   = string(ecr.StateFresh)
	stateStale   = string(ecr.StateStale)
	stateExpired = string(ecr.StateExpired)
)

// cacheRow is one cached token as `cache list` shows it. It never holds the
// password.
type cacheRow struct {
	Key        string `json:"key"`
	Identity   string `json:"identity"`
	IdentityID string `json:"identity_id"`
	Service    string `json:"service"`
	Region     string `json:"region"`
	Endpoint   string `json:"endpoint"`
	FetchedAt  string `json:"fetched_at"`
	RefreshAt  string `json:"refresh_at"`
	ExpiresAt  string `json:"expires_at"`
	State      string `json:"state"`

	fetched, expires time.Time
}

// RunCache runs `docker-credential-ecr-login cache ARGS...` (args exclude
// "cache") and returns the exit code: 0 done, 1 failed, 2 bad command line.
// It reads and edits the token cache only: no AWS SDK, no network.
func RunCache(args []string, stdout, stderr io.Writer, environ []string) int {
	return runCache(args, stdout, stderr, environ, time.Now)
}

func runCache(args []string, stdout, stderr io.Writer, environ []string, now func() time.Time) int {
	usage := fmt.Sprintf(cacheUsage, DockerHelperName)
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "list", "clear":
	default:
		return cacheUsageError(stderr, usage, fmt.Sprintf("unknown command %q", cmd))
	}

	flags := flag.NewFlagSet(cmd, flag.ContinueOnError)
	jsonOut, region, dryRun := new(bool), new(string), new(bool)
	if cmd == "list" {
		flags.BoolVar(jsonOut, "json", false, "")
	} else {
		flags.StringVar(region, "region", "", "")
		flags.BoolVar(dryRun, "dry-run", false, "")
	}
	pos, help, err := configureParseFlags(flags, rest)
	if help {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if err != nil {
		return cacheUsageError(stderr, usage, err.Error())
	}
	regionSet := false
	flags.Visit(func(f *flag.Flag) { regionSet = regionSet || f.Name == "region" })

	// Check the whole command line before touching anything.
	var match func(cache.Entry) bool
	var what string
	switch {
	case cmd == "list" && len(pos) > 0:
		return cacheUsageError(stderr, usage, fmt.Sprintf("list takes no arguments, got %q", pos[0]))
	case cmd == "list":
	case len(pos) > 1:
		return cacheUsageError(stderr, usage, "clear takes at most one REGISTRY")
	case len(pos) == 1 && regionSet:
		return cacheUsageError(stderr, usage, "give either REGISTRY or --region, not both")
	case len(pos) == 1:
		reg, err := ecr.ParseRegistry(pos[0])
		if err != nil {
			return cacheUsageError(stderr, usage, err.Error())
		}
		match = func(e cache.Entry) bool { return e.Service == string(reg.Service) && e.Region == reg.Region }
		what = fmt.Sprintf(" that would serve %s (%s in %s)", reg.Host, reg.Service, reg.Region)
	case regionSet:
		r := strings.ToLower(strings.TrimSpace(*region))
		if r == "" || strings.ContainsFunc(r, func(c rune) bool { return !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') }) {
			return cacheUsageError(stderr, usage, fmt.Sprintf("--region %q is not a region name", *region))
		}
		match = func(e cache.Entry) bool { return e.Region == r }
		what = " in " + r
	default:
		match = func(cache.Entry) bool { return true }
	}

	cfg, err := LoadConfig(Environ(environ))
	if err != nil {
		fmt.Fprintf(stderr, "%s cache: %v\n", DockerHelperName, err)
		return 1
	}
	logger, closeLog, err := NewLogger(DockerHelperName, stderr, cfg.LogLevel, cfg.LogFile)
	if err != nil {
		fmt.Fprintf(stderr, "%s cache: %v\n", DockerHelperName, err)
		return 1
	}
	defer closeLog()
	if cfg.Helper.CacheDir == "" {
		fmt.Fprintf(stderr, "%s cache: no cache directory (set %s or HOME)\n", DockerHelperName, EnvCacheDir)
		if cmd == "list" {
			return writeCacheList(stdout, stderr, nil, *jsonOut, now())
		}
		fmt.Fprintln(stdout, "no cached tokens; nothing to remove")
		return 0
	}
	if cfg.Helper.CacheDisabled {
		fmt.Fprintf(stderr, "%s cache: note: %s is set, so the helper neither reads nor writes this cache\n", DockerHelperName, EnvDisableCache)
	}
	store := cache.Open(cfg.Helper.CacheDir, cache.WithLogger(logger))

	t := now()
	if cmd == "list" {
		return writeCacheList(stdout, stderr, cacheRows(store.Entries(), t, cfg.Helper.RefreshMargin, nil), *jsonOut, t)
	}

	matching := cacheRows(store.Entries(), t, cfg.Helper.RefreshMargin, match)
	if *dryRun {
		if len(matching) == 0 {
			fmt.Fprintf(stdout, "no cached tokens%s; nothing to remove\n", what)
			return 0
		}
		fmt.Fprintf(stdout, "would remove %s%s:\n", plural(len(matching), "cached token"), what)
		if err := writeCacheTable(stdout, matching, t); err != nil {
			fmt.Fprintf(stderr, "%s cache: %v\n", DockerHelperName, err)
			return 1
		}
		return 0
	}
	// Without a file there is nothing to remove; do not create one. A corrupt
	// or foreign file is replaced by Delete (it reads as empty).
	if _, err := os.Lstat(store.Path()); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(stdout, "no cached tokens%s; nothing to remove\n", what)
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Helper.Timeout)
	defer cancel()
	n, err := store.Delete(ctx, func(_ string, e cache.Entry) bool { return match(e) })
	if err != nil {
		fmt.Fprintf(stderr, "%s cache clear: %v\n", DockerHelperName, err)
		return 1
	}
	fmt.Fprintf(stdout, "removed %s%s\n", plural(n, "cached token"), what)
	return 0
}

func cacheUsageError(stderr io.Writer, usage, msg string) int {
	fmt.Fprintf(stderr, "%s cache: %s\n\n%s", DockerHelperName, msg, usage)
	return exitUsage
}

// cacheRows turns entries (those match accepts; all if match is nil) into
// rows at now, sorted by identity, service, region, endpoint and expiry.
func cacheRows(entries map[string]cache.Entry, now time.Time, margin time.Duration, match func(cache.Entry) bool) []cacheRow {
	rows := make([]cacheRow, 0, len(entries))
	tokens := ecr.NewTokenCache(nil, margin, func() time.Time { return now })
	for k, e := range entries {
		if match != nil && !match(e) {
			continue
		}
		state, refresh := tokens.State(k, e)
		rows = append(rows, cacheRow{
			Key:        k,
			Identity:   e.Identity,
			IdentityID: e.IdentityID,
			Service:    e.Service,
			Region:     e.Region,
			Endpoint:   e.Endpoint,
			FetchedAt:  rfc3339(e.RequestedAt),
			RefreshAt:  rfc3339(refresh),
			ExpiresAt:  rfc3339(e.ExpiresAt),
			State:      string(state),
			fetched:    e.RequestedAt,
			expires:    e.ExpiresAt,
		})
	}
	slices.SortFunc(rows, func(a, b cacheRow) int {
		for _, c := range [][2]string{{a.Identity, b.Identity}, {a.Service, b.Service}, {a.Region, b.Region}, {a.Endpoint, b.Endpoint}} {
			if n := strings.Compare(c[0], c[1]); n != 0 {
				return n
			}
		}
		if n := a.expires.Compare(b.expires); n != 0 {
			return n
		}
		return strings.Compare(a.Key, b.Key)
	})
	return rows
}

func writeCacheList(stdout, stderr io.Writer, rows []cacheRow, jsonOut bool, now time.Time) int {
	var err error
	switch {
	case jsonOut:
		if rows == nil {
			rows = []cacheRow{}
		}
		var b []byte
		if b, err = json.MarshalIndent(rows, "", "  "); err == nil {
			_, err = stdout.Write(append(b, '\n'))
		}
	case len(rows) == 0:
		_, err = fmt.Fprintln(stdout, "no cached tokens")
	default:
		err = writeCacheTable(stdout, rows, now)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s cache: %v\n", DockerHelperName, err)
		return 1
	}
	return 0
}

// writeCacheTable prints rows as aligned columns, times in UTC with the
// distance from now.
func writeCacheTable(w io.Writer, rows []cacheRow, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "IDENTITY\tSERVICE\tREGION\tENDPOINT\tFETCHED\tEXPIRES\tSTATE")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			cell(r.Identity), cell(r.Service), cell(r.Region), cell(r.Endpoint),
			r.FetchedAt+" ("+relative(r.fetched, now)+")",
			r.ExpiresAt+" ("+relative(r.expires, now)+")",
			r.State)
	}
	return tw.Flush()
}

// cell makes s safe for one table cell: no tabs, newlines or other control
// characters (the cache file may have been edited by hand), "-" when empty.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// relative says how far t is from now: "in 10h59m", "3m ago", "now".
// Durations are truncated, never rounded up.
func relative(t, now time.Time) string {
	d := t.Sub(now)
	if d > -time.Second && d < time.Second {
		return "now"
	}
	if d > 0 {
		return "in " + shortDuration(d)
	}
	return shortDuration(-d) + " ago"
}

// shortDuration formats d (> 0) with at most two units: 42s, 3m, 10h59m, 2d3h.
func shortDuration(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", d/time.Second)
	case d < time.Hour:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d < day:
		if m := d % time.Hour / time.Minute; m != 0 {
			return fmt.Sprintf("%dh%dm", d/time.Hour, m)
		}
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	if h := d % day / time.Hour; h != 0 {
		return fmt.Sprintf("%dd%dh", d/day, h)
	}
	return fmt.Sprintf("%dd", d/day)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
