// Package fast answers a cache hit before the AWS SDK's packages initialise.
//
// Why: a hit is what Docker, crane and kubelet run most, and in a Go binary
// every linked package initialises before main. The AWS SDK's packages
// (each service's endpoint regular expressions, its serialisation schemas)
// cost more than the hit itself: measured with `make bench`, a hit that
// waits for them was as slow as awslabs' helper, whose whole work is the
// same start-up. Two binaries (a small front and an SDK one) would avoid
// that too, but people install a credential helper by copying one file into
// PATH; this keeps one file.
//
// How: cmd/internal/fast/dockerhit and cmd/internal/fast/kubelethit, imported
// by the two mains, call Docker and Provider from their init. Go initialises
// a package after its imports and, among those ready, in import-path order,
// so a package that imports no SDK package runs before the SDK's that it
// does not need. This one imports only ecr/local, cache, proto,
// docker-credential-helpers' protocol code and the standard library.
// TestCacheHitInitAllocationBudget (cmd/docker-credential-ecr-login) and
// TestRepeatRequestInitialisesNoSDKService (cmd/ecr-credential-provider)
// check the order in the built binaries.
//
// What: a plain hit only, decided by the functions the full path uses
// (proto.LoadConfig and the protocol readers, local.PlanFor,
// TokenCache.FreshLookup, which the full path's TokenCache.Fresh is,
// credentials.Get). Anything else returns to main, which
// runs the full path on Stdin (what this read, then the rest): a miss, a
// stale or corrupt cache, any error, a log file or debug logging (a hit
// there writes log lines), AWS_ECR_KEY_BY_CREDENTIALS (its key needs the
// SDK), command-line arguments, not-found answers.
package fast

import (
	"bytes"
	"crypto/x509"
	"io"
	"os"
	"sync"
	"time"

	"github.com/ecr-login/ecr-login/cache"
	"github.com/ecr-login/ecr-login/cmd/internal/proto"
	"github.com/ecr-login/ecr-login/ecr/local"
)

// consumed is what a fast path read from stdin and did not answer; rest
// is the stdin it read from when it did not reach its end (nil when it did:
// on a terminal, reading again after ^D would wait for a second ^D).
var (
	consumed []byte
	rest     io.Reader
)

// Stdin is the stdin main must read: what a fast path read from os.Stdin
// first, then the rest of it.
func Stdin() io.Reader {
	switch {
	case consumed == nil:
		return os.Stdin
	case rest == nil:
		return bytes.NewReader(consumed)
	}
	return io.MultiReader(bytes.NewReader(consumed), rest)
}

// Docker answers `get` from the cache and exits 0, or returns.
func Docker() {
	if serveDocker(os.Args[1:], os.Stdin, os.Stdout, os.Environ(), time.Now) {
		os.Exit(0)
	}
}

// Provider answers kubelet's request from the cache and exits (1 when the
// answer could not be written, as the full path), or returns.
func Provider() {
	served, err := serveProvider(os.Args[1:], os.Stdin, os.Stdout, os.Environ(), time.Now)
	if !served {
		return
	}
	if err != nil {
		os.Exit(proto.ProviderFailed(os.Stderr, err))
	}
	os.Exit(0)
}

// readStdin reads what the protocol readers would (at most MaxStdin+1
// bytes) and keeps it for Stdin; nil when it could not.
func readStdin(stdin io.Reader) []byte {
	data, err := io.ReadAll(io.LimitReader(stdin, proto.MaxStdin+1))
	consumed = data
	if consumed == nil {
		consumed = []byte{}
	}
	switch {
	case err != nil:
		// main reads what was read, then this error, as it would have
		// (reading on could find EOF after an error that does not repeat).
		rest = errReader{err}
		return nil
	case len(data) > proto.MaxStdin:
		rest = stdin // main reads on and refuses the size
	}
	return data
}

// errReader fails every read with err.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// tokens is the token cache when cfg allows a fast hit, else nil.
func tokens(cfg proto.Config, now func() time.Time) *local.TokenCache {
	h := cfg.Helper
	if cfg.LogFile != "" || cfg.LogLevel == "debug" || h.CacheDisabled || h.CacheDir == "" || h.KeyByCredentials {
		return nil
	}
	return local.NewTokenCache(cache.Open(h.CacheDir), h.RefreshMargin, now)
}

// warming counts the warm goroutines still running (tests wait on it).
var warming sync.WaitGroup

// warm starts, on a miss, the slowest step of main's fetch that needs no
// SDK: loading the system's certificate roots (crypto/x509 does it once per
// process, on the first TLS handshake; ~20 ms with Debian's bundle on the
// bench machine, more than the rest of a cold get). It loads them on another
// core while the SDK's packages initialise and main prepares the call, when
// the call will verify with them (local.VerifiesWithSystemRoots) and main
// will make one (a route error or an anonymous pull makes none). It changes
// nothing main decides: x509 keeps the roots it loaded, and main's first
// handshake uses them, or waits for the load to finish.
func warm(cfg proto.Config, serverURL string, pod *local.WebIdentity) {
	r, err := local.Route(cfg.Helper.Mappings, serverURL)
	if err != nil || !local.VerifiesWithSystemRoots(cfg.Helper.Env, r.Reg.Service) {
		return // no goroutine at all: it costs a thread
	}
	warming.Add(1)
	go func() {
		defer warming.Done()
		// The identity may read ~/.aws: not on main's way.
		if p, err := local.PlanFor(cfg.Helper.Env, cfg.Helper.Mappings, serverURL, pod); err == nil && !p.Anonymous() {
			loadRoots()
		}
	}()
}

// loadRoots makes crypto/x509 load the system roots (tests count calls).
var loadRoots = func() { _, _ = x509.SystemCertPool() }

// hit is the cached token for serverURL (as pod when not nil) that the full
// path would serve without asking AWS.
func hit(cfg proto.Config, tc *local.TokenCache, serverURL string, pod *local.WebIdentity) (local.Credentials, bool) {
	return tc.FreshLookup(func() (string, bool) {
		p, err := local.PlanFor(cfg.Helper.Env, cfg.Helper.Mappings, serverURL, pod)
		return p.Key, err == nil && !p.Anonymous()
	})
}
