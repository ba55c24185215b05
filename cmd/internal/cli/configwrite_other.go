//go:build !unix

package cli

import "io/fs"

// fileOwner: not applicable; the file's ACL is the directory's business.
func fileOwner(fs.FileInfo) (uid, gid int, ok bool) { return 0, 0, false }
