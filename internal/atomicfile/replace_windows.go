//go:build windows

package atomicfile

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// replaceBudget bounds how long Replace retries while another program (an
// antivirus scanner, a backup or indexing service, an editor) holds the
// target open without sharing delete access.
const replaceBudget = time.Second

// Replace renames dir/from over dir/to. os.Root's Rename uses POSIX
// semantics where the file system has them (NTFS, Windows 10 1809 and later),
// which replace a file that others have open with FILE_SHARE_DELETE, as every
// reader of the cache does; elsewhere it falls back to a classic replace.
// A sharing violation is retried for up to replaceBudget.
func Replace(dir, from, to string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	return retryBusy(func() error { return root.Rename(from, to) }, func(err error) bool {
		return errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_SHARING_VIOLATION)
	}, replaceBudget)
}
