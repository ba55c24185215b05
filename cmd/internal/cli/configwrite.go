package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
)

// Rules for replacing a client's existing config file (configure docker,
// configure podman). configure writes a new file and renames it over the old
// one, so a crash never leaves half a file; these keep that from changing
// anything but the contents:
//
//   - the owner and group stay: root configuring another user's file (say
//     through a symlink) leaves it that user's. Where they cannot be kept
//     (another user's file, not root), configure refuses.
//   - a file with other hard links is refused: a rename would split the
//     links, and writing in place is not atomic (a crash would leave a
//     truncated file that holds credentials). The user decides.
//   - a read-only file (no owner write bit, 0400) is refused: someone made it
//     read-only on purpose, and root would otherwise overwrite it.
//   - the mode becomes 0600 when it was looser, and configure says so
//     (config.json can hold credentials); it is never widened.

// checkReplaceable refuses to replace the regular file target (fi) when
// that would split hard links or override a read-only mode.
func checkReplaceable(target string, fi fs.FileInfo) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	if n := linkCount(fi); n > 1 {
		return fmt.Errorf("%s has %d hard links; replacing it would split them (and writing in place is not crash-safe). "+
			"Add the credHelpers entries by hand, or remove the other links; nothing was changed", target, n)
	}
	if fi.Mode().Perm()&0o200 == 0 {
		return fmt.Errorf("%s is read-only (mode %04o), so it was kept from changes on purpose; "+
			"make it writable (chmod u+w %s) and run again, or edit it by hand; nothing was changed", target, fi.Mode().Perm(), target)
	}
	return nil
}

// keepOwner returns what makes the new file of path owned like the
// existing one: it chowns the temporary file before the rename. Nothing to
// do when path does not exist or is ours already.
func keepOwner(path string) func(*os.File) error {
	fi, err := os.Stat(path)
	if err != nil {
		return nil
	}
	uid, gid, ok := fileOwner(fi)
	if !ok || (uid == os.Getuid() && gid == os.Getgid()) {
		return nil
	}
	return func(f *os.File) error {
		if err := f.Chown(uid, gid); err != nil {
			if errors.Is(err, fs.ErrPermission) {
				return fmt.Errorf("%s belongs to uid %d, gid %d, and the new file could not be given the same owner; "+
					"run configure as that user (or as root); nothing was changed", path, uid, gid)
			}
			return err
		}
		return nil
	}
}
