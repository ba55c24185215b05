// Package atomicfile replaces a private (0600) file so that a reader, or a
// crash, sees the old contents or the new ones, never a mix: the token
// cache and the client config files configure edits both write this way.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Options are what the callers do differently.
type Options struct {
	// TempPattern is the os.CreateTemp pattern of the temporary file in
	// the target's directory; the default is "."+base+".tmp-*".
	TempPattern string
	// Prepare, if not nil, runs on the temporary file after its mode is
	// set and before any byte is written (configure gives it the old
	// file's owner there).
	Prepare func(*os.File) error
	// SyncDir fsyncs the directory after the rename, making the rename
	// itself durable where the platform allows it.
	SyncDir bool
	// NoSync skips the file's fsync before the rename. The replacement is
	// still atomic for readers, but after a power cut (or an ENOSPC that
	// only writeback reports) the file may be empty or cut short: only for
	// callers whose readers treat such a file as absent and whose old
	// contents, if the write does not survive, are not missed.
	NoSync bool
}

// syncFile is (*os.File).Sync (tests count the calls).
var syncFile = (*os.File).Sync

// Write replaces path with data: a temporary file in the same directory,
// mode 0600 before any byte is written, fsync (unless NoSync), then Replace
// over path. The
// temporary file is removed on every error path. The rename replaces a
// symlink at path instead of following it.
//
// The file's fsync surfaces ENOSPC from delayed allocation before the
// rename, so a full file system never replaces a good file with an empty one.
func Write(path string, data []byte, o Options) (err error) {
	dir, name := filepath.Split(path)
	dir = filepath.Clean(dir)
	pattern := o.TempPattern
	if pattern == "" {
		pattern = "." + name + ".tmp-*"
	}
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if o.Prepare != nil {
		if err = o.Prepare(f); err != nil {
			return err
		}
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if !o.NoSync {
		if err = syncFile(f); err != nil {
			return err
		}
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = Replace(dir, filepath.Base(f.Name()), name); err != nil {
		return err
	}
	if o.SyncDir {
		if d, derr := os.Open(dir); derr == nil {
			_ = d.Sync() // not possible (nor needed) everywhere
			d.Close()
		}
	}
	return nil
}
