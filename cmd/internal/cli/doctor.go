package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ecr-login/ecr-login/ecr"
)

// runDoctor prints each check of ecr.Helper.Doctor with ✓ or ✗ and the
// remedy, after the version and the settings in effect. It exits 0 only
// when every check passed. It never prints a secret.
func runDoctor(ctx context.Context, args []string, stdout, stderr io.Writer, environ []string, opts ...ecr.Option) int {
	stdout = RedactingWriter(stdout) // doctor's report never carries a secret
	if len(args) > 1 || (len(args) == 1 && strings.HasPrefix(args[0], "-")) {
		fmt.Fprintf(stderr, doctorUsage, DockerHelperName)
		return exitUsage
	}
	registry := ""
	if len(args) == 1 {
		registry = args[0]
	}
	mark := func(ok bool) string {
		if ok {
			return "✓"
		}
		return "✗"
	}
	fmt.Fprintf(stdout, "%s version: %s\n", mark(true), VersionLine(DockerHelperName))

	env := Environ(environ)
	cfg, err := LoadConfig(env)
	if err != nil {
		fmt.Fprintf(stdout, "%s settings: %v\n    fix: correct the setting or the file named above\n", mark(false), err)
		return 1
	}
	fmt.Fprintf(stdout, "%s settings: %s\n", mark(true), describeSettings(cfg, environ))

	h, _, closeLog, err := newHelper(ctx, DockerHelperName, environ, stderr, opts...)
	if err != nil {
		fmt.Fprintf(stdout, "%s settings: %v\n", mark(false), err)
		return 1
	}
	defer closeLog()
	code := 0
	for _, c := range h.Doctor(ctx, registry) {
		switch {
		case c.Skipped:
			fmt.Fprintf(stdout, "- %s: %s\n", c.Name, c.Detail)
		default:
			fmt.Fprintf(stdout, "%s %s: %s\n", mark(c.OK), c.Name, c.Detail)
		}
		if !c.OK && !c.Skipped {
			code = 1
			if c.Remedy != "" {
				fmt.Fprintf(stdout, "    fix: %s\n", c.Remedy)
			}
		}
	}
	fmt.Fprintln(stdout, describePodMode(env))
	if registry == "" {
		fmt.Fprintf(stdout, "- token: name a registry (`%s doctor HOST`) to check a real token fetch\n", DockerHelperName)
	}
	return code
}

// describeSettings lists the configuration file and the AWS_* variables in
// effect; the values of secret ones are never shown.
func describeSettings(cfg Config, environ []string) string {
	var parts []string
	switch m := cfg.Helper.Mappings; {
	case m != nil && len(m.List) > 0:
		parts = append(parts, fmt.Sprintf("config file %s (%d mappings)", m.Path, len(m.List)))
	case m != nil:
		parts = append(parts, "no config file at "+m.Path)
	}
	cache := cfg.Helper.CacheDir
	if cfg.Helper.CacheDisabled {
		cache = "off"
	}
	parts = append(parts, "cache "+cache, "refresh margin "+cfg.Helper.RefreshMargin.String(), "timeout "+cfg.Helper.Timeout.String())
	var vars []string
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "AWS_") || v == "" {
			continue
		}
		if secretVar(k) {
			vars = append(vars, k+" (set)")
		} else {
			vars = append(vars, k+"="+v)
		}
	}
	sort.Strings(vars)
	if len(vars) > 0 {
		parts = append(parts, "environment: "+strings.Join(vars, " "))
	}
	return strings.Join(parts, "; ")
}

func secretVar(k string) bool {
	for _, s := range []string{"SECRET", "TOKEN", "PASSWORD", "ACCESS_KEY"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}
