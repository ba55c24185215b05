package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/ecr-login/ecr-login/ecr"
	"github.com/ecr-login/ecr-login/internal/jsonedit"
	"github.com/ecr-login/ecr-login/internal/textdiff"
)

// credHelpers finds the top-level "credHelpers" member (Docker matches keys
// case-insensitively) and parses its entries, which must all be strings.
// idx is -1 when there is none; null counts as empty.
func (d *configDoc) credHelpers() (idx int, entries []jsonedit.Member, err error) {
	idx = -1
	for i, m := range d.members {
		if strings.EqualFold(m.Key, "credHelpers") {
			if idx >= 0 {
				return -1, nil, fmt.Errorf(`"credHelpers" appears more than once (as %s and %s; Docker ignores the case of keys)`,
					d.members[idx].RawKey, m.RawKey)
			}
			idx = i
		}
	}
	if idx < 0 || string(d.members[idx].Value) == "null" {
		return idx, nil, nil
	}
	if entries, err = jsonedit.ParseObject(d.members[idx].Value); err != nil {
		return -1, nil, fmt.Errorf(`%s %v`, d.members[idx].RawKey, err)
	}
	for _, en := range entries {
		var s string
		if len(en.Value) == 0 || en.Value[0] != '"' || json.Unmarshal(en.Value, &s) != nil {
			return -1, nil, fmt.Errorf(`%s entry %s is %s, not a string`, d.members[idx].RawKey, en.RawKey, jsonedit.Kind(en.Value))
		}
	}
	return idx, entries, nil
}

// removeHelpers deletes the credHelpers entries whose value is credHelperName:
// those for hosts, or every one when hosts is empty. Entries naming another
// helper are kept whatever their host. A credHelpers object left empty is
// removed with its key. It returns the hosts removed (was = credHelperName).
func (d *configDoc) removeHelpers(hosts []string) ([]helperChange, error) {
	idx, entries, err := d.credHelpers()
	if err != nil || len(entries) == 0 {
		return nil, err
	}
	want := map[string]bool{}
	for _, h := range hosts {
		want[h] = true
	}
	var kept []jsonedit.Member
	var changes []helperChange
	seen := map[string]bool{}
	for _, en := range entries {
		var v string
		_ = json.Unmarshal(en.Value, &v) // credHelpers checked they are strings
		if v == credHelperName && (len(hosts) == 0 || want[en.Key]) {
			if !seen[en.Key] { // a duplicate key is one entry to Docker
				seen[en.Key] = true
				changes = append(changes, helperChange{host: en.Key, was: v})
			}
			continue
		}
		kept = append(kept, en)
	}
	if len(changes) == 0 {
		return nil, nil
	}
	if len(kept) == 0 {
		d.members = append(d.members[:idx:idx], d.members[idx+1:]...)
	} else {
		d.members[idx].Value = jsonedit.Render(kept, "\t")
	}
	return changes, nil
}

// removeHostNames normalises REGISTRY arguments for --remove. Unlike adding,
// any name is accepted (an entry may name a host the configuration file no
// longer maps); ECR hosts are written the way configure writes them.
func removeHostNames(regs []string) []string {
	var hosts []string
	for _, r := range regs {
		h := strings.ToLower(strings.TrimSpace(r))
		if reg, err := ecr.ParseRegistry(r); err == nil {
			h = reg.Host
		}
		hosts = append(hosts, h)
	}
	return hosts
}

// runConfigureRemove implements `configure docker|podman|containers --remove`.
func runConfigureRemove(cmd string, regs []string, dryRun bool, authFile *string, stdout, stderr io.Writer, env ecr.Getenv) int {
	fail := func(err error) int {
		fmt.Fprintf(stderr, "%s configure %s --remove: %v\n", DockerHelperName, cmd, err)
		return 1
	}
	var path string
	var err error
	if cmd == "docker" {
		path, _, err = dockerConfigPath(env)
	} else {
		path, _, err = containersAuthPath(*authFile, env)
	}
	if err != nil {
		return fail(err)
	}
	hosts := removeHostNames(regs)
	e, err := planConfigEdit(path, func(d *configDoc) ([]helperChange, error) { return d.removeHelpers(hosts) })
	if err != nil {
		return fail(err)
	}
	target := path
	if e.target != filepath.Clean(path) {
		target = fmt.Sprintf("%s (resolves to %s)", path, e.target)
	}
	removed := map[string]bool{}
	for _, c := range e.changes {
		removed[c.host] = true
	}
	for _, h := range hosts {
		if !removed[h] {
			fmt.Fprintf(stdout, "%s: no %q entry naming %s; left alone.\n", target, h, credHelperName)
		}
	}
	switch {
	case !e.existed:
		fmt.Fprintf(stdout, "%s does not exist; nothing to remove.\n", target)
		return 0
	case len(e.changes) == 0:
		fmt.Fprintf(stdout, "%s: no credHelpers entry names %s; nothing to remove.\n", target, credHelperName)
		return 0
	case dryRun:
		fmt.Fprintf(stdout, "Dry run: would change %s:\n", target)
		printRemovals(stdout, e.changes)
		fmt.Fprintln(stdout)
		fmt.Fprint(stdout, textdiff.Unified(e.oldLabel(), path+" (new)", e.oldPretty, e.newPretty))
		if !bytes.Equal(e.old, e.oldPretty) {
			fmt.Fprintln(stdout, "\n(The file would also be re-indented; the diff compares both versions re-indented the same way.)")
		}
		fmt.Fprintln(stdout, "\nNothing written (--dry-run).")
		return 0
	}
	if err := e.write(); err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "Updated %s:\n", target)
	printRemovals(stdout, e.changes)
	if e.modeNote != "" {
		fmt.Fprintln(stdout, e.modeNote)
	}
	return 0
}

func printRemovals(w io.Writer, changes []helperChange) {
	for _, c := range changes {
		fmt.Fprintf(w, "  removed   %q: %q\n", c.host, c.was)
	}
}
