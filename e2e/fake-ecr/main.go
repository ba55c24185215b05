// Command fake-ecr serves the ecrtest fake Amazon ECR / ECR Public endpoint
// (AWS JSON 1.1 GetAuthorizationToken) on a TCP listener, for end-to-end tests.
//
// Usage:
//
//	fake-ecr -password PW [-listen 127.0.0.1:0] [-lifetime 12h] [-account 123456789012]
//	         [-rate 0 -burst 0] [-fault KIND -fault-times N -stall DUR] [-ready-file PATH]
//	         [-trust ROLE_ARN=SUBJECT]... [-role-password ROLE_ARN=PASSWORD]...
//
// Point the SDK at it with AWS_ENDPOINT_URL_ECR / AWS_ENDPOINT_URL_ECR_PUBLIC
// (or BaseEndpoint) = the URL written to -ready-file. Besides the AWS protocol
// (POST /) it serves:
//
//	GET  /_fake/calls  -> {"calls":N,"throttled":M,"log":[...]}
//	POST /_fake/reset  -> zero the counters (and refill the rate bucket)
//	POST /_fake/fault  <- {"kind":"throttling","times":2,"duration":"1s","service":"ecr"}
//
// One line per AWS call is logged to stderr (never the password). SIGINT or
// SIGTERM shuts it down cleanly (exit status 0) and removes the ready file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	log.SetPrefix("fake-ecr: ")
	if err := run(); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

func run() error {
	var (
		listen     = flag.String("listen", "127.0.0.1:0", "TCP address to listen on")
		password   = flag.String("password", "", "password returned in the token, base64(\"AWS:\"+password) (required)")
		lifetime   = flag.Duration("lifetime", ecrtest.DefaultLifetime, "token lifetime reported in expiresAt")
		account    = flag.String("account", ecrtest.DefaultAccountID, "account id used in proxyEndpoint")
		rate       = flag.Float64("rate", 0, "GetAuthorizationToken requests per second across all callers (0 = unlimited; ECR's quota is 20)")
		burst      = flag.Int("burst", 0, "token bucket size for -rate (0 = same as -rate, at least 1; ECR's quota is 200)")
		readyFile  = flag.String("ready-file", "", "write the server URL (http://host:port, no newline) here atomically once listening")
		faultTimes = flag.Int("fault-times", 0, "apply -fault to the first N calls only (0 = all)")
		stall      = flag.Duration("stall", 0, "duration for -fault stall (0 = until the client gives up)")
		fault      ecrtest.FaultKind
		trust      = pairFlag{}
		rolePW     = pairFlag{}
	)
	flag.Var(&trust, "trust", "ROLE_ARN=SUBJECT: AssumeRoleWithWebIdentity of ROLE_ARN is allowed for that token subject (repeatable)")
	flag.Var(&rolePW, "role-password", "ROLE_ARN=PASSWORD: tokens ECR issues to credentials of that assumed role carry PASSWORD instead of -password (repeatable)")
	flag.TextVar(&fault, "fault", ecrtest.FaultNone, "initial fault: one of none, server-error, throttling, access-denied, expired-token, unrecognized-client, invalid-signature, malformed-json, empty-authorization-data, no-token, token-not-base64, token-no-colon, expired-authorization, connection-reset, stall")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", flag.Args())
	}
	if *password == "" {
		return errors.New("-password is required")
	}
	if *rate < 0 || *burst < 0 {
		return errors.New("-rate and -burst must not be negative")
	}

	opts := []ecrtest.Option{
		ecrtest.WithPassword(*password),
		ecrtest.WithLifetime(*lifetime),
		ecrtest.WithAccountID(*account),
		ecrtest.WithOnCall(logCall),
		ecrtest.WithFault(ecrtest.Fault{Kind: fault, Times: *faultTimes, Duration: *stall}),
	}
	for _, kv := range trust {
		opts = append(opts, ecrtest.WithWebIdentityTrust(kv[0], kv[1]))
	}
	if len(rolePW) > 0 {
		byRole := map[string]string{}
		for _, kv := range rolePW {
			byRole[kv[0]] = kv[1]
		}
		opts = append(opts, ecrtest.WithPasswordFunc(func(c ecrtest.Call) string {
			if pw, ok := byRole[c.AssumedRole]; ok && c.AssumedRole != "" {
				return pw
			}
			return *password
		}))
	}
	if len(trust)+len(rolePW) > 0 {
		opts = append(opts, ecrtest.WithOnSTSCall(func(c ecrtest.STSCall) {
			log.Printf("sts %s role=%s subject=%s status=%d %s", c.Action, c.RoleArn, c.Subject, c.Status, c.ErrorCode)
		}))
	}
	if *rate > 0 {
		b := *burst
		if b == 0 {
			b = max(1, int(*rate))
		}
		opts = append(opts, ecrtest.WithRateLimit(*rate, b))
	}
	fake := ecrtest.New(opts...)

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	srv := &http.Server{
		Handler:           fake,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.Default(),
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	if *readyFile != "" {
		if err := writeFileAtomic(*readyFile, []byte(url)); err != nil {
			srv.Close()
			return fmt.Errorf("ready file: %w", err)
		}
		defer os.Remove(*readyFile)
	}
	log.Printf("listening on %s (account %s, lifetime %s, rate %g/s burst %d, fault %s)",
		url, *account, *lifetime, *rate, *burst, fault)

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	stop() // a second signal kills the process the default way
	log.Print("shutting down")
	fake.Close() // release stalled requests so Shutdown does not wait on them
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	log.Printf("served %d calls (%d throttled)", fake.CallCount(), fake.Throttled())
	return nil
}

func logCall(c ecrtest.Call) {
	outcome := "ok"
	switch {
	case c.ErrorCode != "":
		outcome = c.ErrorCode
	case c.Fault != ecrtest.FaultNone:
		outcome = "fault=" + c.Fault.String()
	}
	log.Printf("call service=%s region=%s key=%s status=%d %s", c.Service, c.Region, c.AccessKeyID, c.Status, outcome)
}

// writeFileAtomic writes data to a temporary file next to path and renames it
// into place, so readers never see a partial file.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// pairFlag collects repeated KEY=VALUE flags.
type pairFlag [][2]string

func (p *pairFlag) String() string { return fmt.Sprint(len(*p), " pairs") }

func (p *pairFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" || val == "" {
		return fmt.Errorf("%q: want KEY=VALUE", v)
	}
	*p = append(*p, [2]string{k, val})
	return nil
}
