//go:build !windows

package atomicfile

import (
	"os"
	"path/filepath"
)

// Replace renames dir/from over dir/to; rename(2) is atomic.
func Replace(dir, from, to string) error {
	return os.Rename(filepath.Join(dir, from), filepath.Join(dir, to))
}
