//go:build !windows

package cache

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

func openNoFollow(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil && errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("%w: %s is a symlink; remove it", ErrUnsafe, path)
	}
	return f, err
}

func openLockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil && errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("%w: %s is a symlink; remove it", ErrUnsafe, path)
	}
	return f, err
}

func tryLock(f *os.File) (bool, error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		case errors.Is(err, syscall.EINTR):
			continue
		default:
			return false, err
		}
	}
}

func unlockFile(f *os.File) { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }

// checkDir refuses a directory that another user owns or that others may write:
// anyone who can write there could plant tokens or swap files. It refuses a
// symbolic link to a directory too (whoever controls the link decides where
// tokens go); the directories above it may be links.
func checkDir(dir string) error {
	if lfi, err := os.Lstat(dir); err == nil && lfi.Mode()&os.ModeSymlink != 0 {
		to, _ := os.Readlink(dir)
		return fmt.Errorf("%w: %s is a symbolic link (to %s), so the cache is not used; replace the link with a directory, or set AWS_ECR_CACHE_DIR to the real one", ErrUnsafe, dir, to)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: %s is not a directory; remove it or use another cache directory", ErrUnsafe, dir)
	}
	return checkOwner(dir, fi, "directory")
}

// checkFile refuses a cache file that is not a regular file of ours, private to us.
func checkFile(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is not a regular file; remove it", ErrUnsafe, f.Name())
	}
	return checkOwner(f.Name(), fi, "file")
}

func checkOwner(path string, fi os.FileInfo, what string) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if uid := os.Geteuid(); int(st.Uid) != uid {
		return fmt.Errorf("%w: %s %s is owned by uid %d, not %d; use a cache directory of your own", ErrUnsafe, what, path, st.Uid, uid)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		fix := "chmod 600"
		if what == "directory" {
			fix = "chmod 700"
		}
		return fmt.Errorf("%w: %s %s is writable by other users (mode %04o); make it private: %s %s", ErrUnsafe, what, path, fi.Mode().Perm(), fix, path)
	}
	return nil
}
