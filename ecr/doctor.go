package ecr

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"

	"github.com/ecr-login/ecr-login/ecr/local"
)

// Check is one step of Doctor: what was checked, whether it passed, what
// was found, and what to do when it did not pass. Nothing in it is secret.
type Check struct {
	Name    string
	OK      bool
	Skipped bool
	Detail  string
	Remedy  string
}

// Doctor checks, step by step, everything a `get` for registry depends on:
// how the host parses, which mapping applies, which credential source the
// SDK will use and whether it resolves, who the caller is (STS
// GetCallerIdentity), a real token fetch, and the cache directory. With an
// empty registry it checks the default credentials and the cache only.
// It writes nothing to the cache.
func (h *Helper) Doctor(ctx context.Context, registry string) []Check {
	var checks []Check
	add := func(c Check) { checks = append(checks, c) }

	reg, via, where := Registry{}, Access{}, ""
	if registry != "" {
		p, err := local.Route(h.cfg.Mappings, registry)
		if err != nil {
			add(Check{Name: "registry", Detail: "not an Amazon ECR registry host, and no mapping in the configuration file names it",
				Remedy: "use a host like 123456789012.dkr.ecr.us-east-1.amazonaws.com, or map the name in ~/.ecr/config.yaml with `registry:`"})
			return checks
		}
		reg, via, where = p.Reg, p.Via, p.Where
		detail := fmt.Sprintf("%s: service %s, partition %s, region %s", reg.Host, reg.Service, reg.Partition, reg.Region)
		if reg.AccountID != "" {
			detail += ", account " + reg.AccountID
		}
		if v := reg.Variant(); v != "" {
			detail += ", endpoint " + v
		}
		add(Check{Name: "registry", OK: true, Detail: detail})
		switch {
		case where != "":
			add(Check{Name: "mapping", OK: true, Detail: fmt.Sprintf("%s applies: %s", where, describeAccess(via))})
		case h.cfg.Mappings != nil && len(h.cfg.Mappings.List) > 0:
			add(Check{Name: "mapping", OK: true, Detail: "no mapping in " + h.cfg.Mappings.Path + " matches; the default credential chain applies"})
		default:
			add(Check{Name: "mapping", OK: true, Detail: "no configuration file; the default credential chain applies"})
		}
	}

	id, err := local.IdentityFor(h.cfg.Env, via)
	if err != nil {
		add(Check{Name: "credential source", Detail: Redact(err.Error()), Remedy: "fix the profile name or the AWS config files"})
		return checks
	}
	src := Check{Name: "credential source", OK: id.Source != SourceNone, Detail: fmt.Sprintf("%s: %s", id.Source, id.Description)}
	if !src.OK {
		src.Remedy = noCredentialsError(reg, id).Message
	}
	add(src)
	add(Check{Name: "cache key", OK: true, Detail: h.KeyMode()})
	if !src.OK {
		return checks
	}
	ctx, reap := withReaper(ctx) // no credential_process outlives the check
	defer reap()
	if p, ok := h.fetcher.(CredentialProber); ok {
		if !h.probeCredentials(ctx, p, reg, via, id, add) {
			return checks
		}
	} else {
		add(Check{Name: "credentials", Skipped: true, Detail: "not checked: this fetcher cannot resolve credentials on its own"})
	}

	if registry != "" {
		start := time.Now()
		tokCtx, cancelTok := context.WithTimeout(ctx, h.cfg.Timeout)
		defer cancelTok()
		tok, err := h.fetcher.FetchToken(tokCtx, reg, via)
		if err != nil {
			fe := classify(err, reg, id, h.cfg.Timeout)
			add(Check{Name: "token", Detail: "GetAuthorizationToken failed: " + fe.Kind.Error(), Remedy: Redact(fe.Message)})
		} else {
			add(Check{Name: "token", OK: true, Detail: fmt.Sprintf("ECR issued a token for user %s, valid until %s (took %s)",
				tok.Username, tok.ExpiresAt.UTC().Format(time.RFC3339), time.Since(start).Round(time.Millisecond))})
		}
	}
	add(h.cacheCheck(id))
	return checks
}

// probeCredentials adds the credentials and caller identity steps; false
// when the credentials did not resolve (the steps after need them).
func (h *Helper) probeCredentials(ctx context.Context, p CredentialProber, reg Registry, via Access, id Identity, add func(Check)) bool {
	region := reg.Region
	if region == "" {
		region = local.DefaultRegion(h.cfg.Env)
	}
	// Each step has its own time: one that hangs (an unreachable STS) is
	// reported as its own failure and the steps after it still run.
	credCtx, cancel := context.WithTimeout(ctx, h.cfg.Timeout)
	defer cancel()
	creds, callerIdentity, err := p.ProbeCredentials(credCtx, region, via)
	if err != nil {
		fe := classify(&stagedError{stageCredentials, err}, reg, id, h.cfg.Timeout)
		add(Check{Name: "credentials", Detail: fe.Kind.Error(), Remedy: Redact(fe.Message)})
		return false
	}
	exp := "do not expire"
	if creds.CanExpire {
		exp = "expire at " + creds.Expires.UTC().Format(time.RFC3339) + " (in " + creds.Expires.Sub(h.now()).Round(time.Minute).String() + ")"
	}
	add(Check{Name: "credentials", OK: true, Detail: fmt.Sprintf("key id …%s from %s; they %s", local.Last4(creds.AccessKeyID), creds.Source, exp)})

	whoBudget := min(h.cfg.Timeout, callerIdentityBudget)
	whoCtx, cancelWho := context.WithTimeout(ctx, whoBudget)
	defer cancelWho()
	who, err := callerIdentity(whoCtx)
	if err != nil {
		c := Check{Name: "caller identity", Detail: "STS GetCallerIdentity failed"}
		var apiErr smithy.APIError
		switch {
		case errors.As(err, &apiErr):
			c.Remedy = fmt.Sprintf("STS refused the credentials (%s: %s); check them, or the profile", apiErr.ErrorCode(), apiErr.ErrorMessage())
		case certificateFailure(err) != nil:
			c.Detail = "the certificate of STS is not trusted (" + certificateReason(err) + ")"
			c.Remedy = trustRemedy("AWS_ENDPOINT_URL_STS")
		case whoCtx.Err() != nil && ctx.Err() == nil:
			c.Detail = fmt.Sprintf("STS GetCallerIdentity did not answer within %s", whoBudget)
			c.Remedy = "check network and proxy settings (HTTPS_PROXY, NO_PROXY, AWS_ENDPOINT_URL_STS); this step only checks who you are, the token step below does not need it"
		default:
			c.Detail = "could not reach STS: " + firstLine(err)
			c.Remedy = "check network and proxy settings (HTTPS_PROXY, NO_PROXY, AWS_ENDPOINT_URL_STS); this step only checks who you are, the token step below does not need it"
		}
		c.Detail = Redact(c.Detail)
		c.Remedy = Redact(c.Remedy)
		add(c)
	} else {
		add(Check{Name: "caller identity", OK: true, Detail: fmt.Sprintf("%s (account %s)", aws.ToString(who.Arn), aws.ToString(who.Account))})
	}
	return true
}

// callerIdentityBudget bounds doctor's STS GetCallerIdentity step.
const callerIdentityBudget = 10 * time.Second

func describeAccess(via Access) string {
	switch {
	case via.Profile != "" && via.RoleARN != "":
		return fmt.Sprintf("profile %q, then role %s", via.Profile, via.RoleARN)
	case via.Profile != "":
		return fmt.Sprintf("profile %q", via.Profile)
	case via.RoleARN != "":
		return "role " + via.RoleARN + " assumed with the default chain"
	}
	return "the default chain"
}

// cacheCheck reports the cache directory: where, permissions, writable, entries.
func (h *Helper) cacheCheck(id Identity) Check {
	c := Check{Name: "cache"}
	if h.store == nil {
		c.OK, c.Detail = true, "caching is off (AWS_ECR_DISABLE_CACHE); every pull asks ECR"
		return c
	}
	dir := h.store.Dir()
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		c.OK, c.Detail = true, dir+" does not exist yet; it is created (0700) on the first fetch"
		return c
	case err != nil:
		c.Detail, c.Remedy = err.Error(), "make "+dir+" a directory you own, mode 0700"
		return c
	}
	if err := h.store.CheckDir(); err != nil {
		c.Detail, c.Remedy = err.Error(), "make "+dir+" a directory you own, mode 0700, or set AWS_ECR_CACHE_DIR"
		return c
	}
	tmp, err := os.CreateTemp(dir, ".doctor-*")
	if err != nil {
		c.Detail, c.Remedy = dir+" is not writable: "+err.Error(), "make "+dir+" a directory you own, mode 0700, or set AWS_ECR_CACHE_DIR"
		return c
	}
	tmp.Close()
	os.Remove(tmp.Name())
	if fi.Mode().Perm()&0o022 != 0 {
		c.Detail, c.Remedy = fmt.Sprintf("%s is writable by others (mode %04o); the cache is not used", dir, fi.Mode().Perm()), "chmod 700 "+dir
		return c
	}
	mine, fresh, total := h.tokens.FreshFor(id.ID)
	c.OK = true
	c.Detail = fmt.Sprintf("%s (mode %04o): %d entries, %d for this identity (%d fresh) in %s", dir, fi.Mode().Perm(), total, mine, len(fresh), filepath.Base(h.store.Path()))
	return c
}
