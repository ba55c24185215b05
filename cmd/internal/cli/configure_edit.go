package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/ecr-login/ecr-login/ecr"
	"github.com/ecr-login/ecr-login/internal/atomicfile"
	"github.com/ecr-login/ecr-login/internal/jsonedit"
)

// Planning, showing and writing one config file's change.

// helperChange is one credHelpers entry added or replaced.
type helperChange struct {
	host, was string // was is "" for an added entry
}

// configEdit is a planned change to one config file.
type configEdit struct {
	path      string // the path named (may be a symlink)
	target    string // the file written: path with symlinks resolved
	existed   bool
	old       []byte // the file's bytes
	oldPretty []byte // old, re-indented as it would be written
	newPretty []byte // the new file
	changes   []helperChange
	modeNote  string

	credsStore string // top-level credsStore, if a string
}

// planEdit reads path (through symlinks) and works out the new contents with
// credHelperName set for each host. It touches nothing.
func planEdit(path string, hosts []string) (*configEdit, error) {
	return planConfigEdit(path, func(d *configDoc) ([]helperChange, error) { return d.setHelpers(hosts) })
}

// planConfigEdit reads path (through symlinks) and works out the new contents
// after apply. It touches nothing.
func planConfigEdit(path string, apply func(*configDoc) ([]helperChange, error)) (*configEdit, error) {
	e := &configEdit{path: path, target: path}
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// A missing file, possibly under a symlinked directory: write at the
		// resolved directory so the rename lands where Docker looks.
		if dir, derr := filepath.EvalSymlinks(filepath.Dir(path)); derr == nil {
			e.target = filepath.Join(dir, filepath.Base(path))
		}
	case err != nil:
		return nil, err
	default:
		if e.target, err = filepath.EvalSymlinks(path); err != nil {
			if fi.Mode()&fs.ModeSymlink != 0 {
				return nil, fmt.Errorf("%s is a symlink that cannot be followed (%v); fix or remove it, nothing was changed", path, err)
			}
			return nil, err
		}
		if fi, err = os.Stat(e.target); err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s is not a regular file; nothing was changed", e.target)
		}
		if err := checkReplaceable(e.target, fi); err != nil {
			return nil, err
		}
		if fi.Size() > maxConfigFileSize {
			return nil, fmt.Errorf("%s is %d bytes, more than a config file should be; nothing was changed", e.target, fi.Size())
		}
		if e.old, err = os.ReadFile(e.target); err != nil {
			return nil, err
		}
		e.existed = true
		if perm := fi.Mode().Perm(); perm != 0o600 && runtime.GOOS != "windows" {
			e.modeNote = fmt.Sprintf("Note: its permissions changed from %04o to 0600 (it can hold credentials).", perm)
		}
	}

	name := e.target
	if name != filepath.Clean(path) {
		name = fmt.Sprintf("%s (via %s)", e.target, path)
	}
	doc, err := parseConfig(e.old)
	if err != nil {
		return nil, fmt.Errorf("%s: %w; fix or move it aside, nothing was changed", name, err)
	}
	e.credsStore = doc.credsStore()
	if len(bytes.TrimSpace(e.old)) > 0 {
		e.oldPretty = doc.render()
	}
	if e.changes, err = apply(doc); err != nil {
		return nil, fmt.Errorf("%s: %w; fix or move it aside, nothing was changed", name, err)
	}
	e.newPretty = doc.render()
	return e, nil
}

func (e *configEdit) oldLabel() string {
	if !e.existed {
		return "/dev/null"
	}
	return e.path
}

func (e *configEdit) printChanges(w io.Writer) {
	for _, c := range e.changes {
		if c.was == "" {
			fmt.Fprintf(w, "  added     %q: %q\n", c.host, credHelperName)
		} else {
			fmt.Fprintf(w, "  replaced  %q: %q (was %q)\n", c.host, credHelperName, c.was)
		}
	}
}

// volatile says whether the file is under $XDG_RUNTIME_DIR.
func (e *configEdit) volatile(env ecr.Getenv) bool {
	d := env("XDG_RUNTIME_DIR")
	if d == "" {
		return false
	}
	rel, err := filepath.Rel(d, e.path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// write creates the target's directory (0700) if needed and replaces the
// target atomically, keeping its owner (configwrite.go) and syncing the
// directory so the rename itself is durable.
func (e *configEdit) write() error {
	dir := filepath.Dir(e.target)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		if err := os.Chmod(dir, 0o700); err != nil { // whatever the umask
			return err
		}
	}
	return atomicfile.Write(e.target, e.newPretty, atomicfile.Options{Prepare: keepOwner(e.target), SyncDir: true})
}

// configDoc is a config file's top-level object in file order.
type configDoc struct {
	members []jsonedit.Member
}

// parseConfig parses a config file. Empty (or all-space) data is an empty object.
func parseConfig(data []byte) (*configDoc, error) {
	ms, err := jsonedit.ParseFile(data)
	if err != nil {
		return nil, err
	}
	return &configDoc{members: ms}, nil
}

// render writes the document as Docker does: tab-indented, keys in file
// order, values as written, and a final newline.
func (d *configDoc) render() []byte { return jsonedit.RenderFile(d.members) }

// Docker and the containers tools decode config files with encoding/json,
// which matches keys to struct fields case-insensitively (strings.EqualFold):
// "CredHelpers" is credHelpers to them, and the last one wins.

// credsStore returns the top-level "credsStore" string, if any.
func (d *configDoc) credsStore() string {
	var s string
	for _, m := range d.members {
		if strings.EqualFold(m.Key, "credsStore") {
			s = ""
			_ = json.Unmarshal(m.Value, &s)
		}
	}
	return s
}

// setHelpers sets credHelpers[host] = credHelperName for each host, keeping every
// other entry as written, and returns what changed. A credHelpers member that
// is not an object of strings (null counts as empty) is an error.
func (d *configDoc) setHelpers(hosts []string) ([]helperChange, error) {
	idx, entries, err := d.credHelpers()
	if err != nil {
		return nil, err
	}

	want, _ := json.Marshal(credHelperName)
	var changes []helperChange
	for _, h := range hosts {
		found := false
		var was string
		for i := range entries {
			if entries[i].Key != h {
				continue
			}
			found = true
			// Duplicate keys: the last one is what Docker uses; set them all.
			_ = json.Unmarshal(entries[i].Value, &was)
			if !bytes.Equal(entries[i].Value, want) {
				entries[i].Value = want
			}
		}
		switch {
		case !found:
			entries = append(entries, jsonedit.NewMember(h, want))
			changes = append(changes, helperChange{host: h})
		case was != credHelperName:
			changes = append(changes, helperChange{host: h, was: was})
		}
	}
	if len(changes) == 0 {
		return nil, nil
	}
	val := jsonedit.Render(entries, "\t")
	if idx >= 0 {
		d.members[idx].Value = val
	} else {
		d.members = append(d.members, jsonedit.NewMember("credHelpers", val))
	}
	return changes, nil
}
