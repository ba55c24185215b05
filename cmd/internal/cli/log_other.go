//go:build !unix

package cli

import "io/fs"

// oNoFollow: Windows has no O_NOFOLLOW; openLogFile checks with Lstat.
const oNoFollow = 0

// linkCount: hard links are not counted here.
func linkCount(fs.FileInfo) uint64 { return 1 }
