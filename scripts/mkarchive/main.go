// Command mkarchive packs a directory into a reproducible .tar.gz or .zip for
// scripts/release.sh: entries in lexical order under one top-level directory,
// every mtime set to -mtime (SOURCE_DATE_EPOCH), owner root (0:0), mode 0755
// for directories and for files with any execute bit, 0644 for the rest, and
// a gzip header without a file name or time. The same input tree and flags
// give the same bytes whatever the files' times, modes, owners and umask.
//
// Usage:
//
//	mkarchive -o NAME.tar.gz|NAME.zip -mtime EPOCH -prefix TOPDIR SRCDIR
package main

import (
	"archive/tar"
	"archive/zip"
	"compress/flate"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	out := flag.String("o", "", "output file: .tar.gz or .zip")
	mtime := flag.Int64("mtime", -1, "modification time of every entry, seconds since the epoch (SOURCE_DATE_EPOCH)")
	prefix := flag.String("prefix", "", "top-level directory inside the archive")
	flag.Parse()
	if *out == "" || *mtime < 0 || *prefix == "" || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: mkarchive -o NAME.tar.gz|NAME.zip -mtime EPOCH -prefix TOPDIR SRCDIR")
		os.Exit(2)
	}
	if err := run(*out, flag.Arg(0), *prefix, time.Unix(*mtime, 0).UTC()); err != nil {
		fmt.Fprintln(os.Stderr, "mkarchive:", err)
		os.Exit(1)
	}
}

// entry is one file or directory to pack, with its normalised header fields.
type entry struct {
	name string // slash-separated, under the prefix; directories end in "/"
	src  string // path on disk ("" for directories)
	mode fs.FileMode
	size int64
}

// collect walks src in lexical order (fs.WalkDir's order) and returns the
// entries with normalised modes. Anything but regular files and directories
// is refused: a release archive holds no links or devices.
func collect(src, prefix string) ([]entry, error) {
	prefix = strings.Trim(path.Clean(filepath.ToSlash(prefix)), "/")
	if prefix == "" || prefix == "." || strings.HasPrefix(prefix, "..") {
		return nil, fmt.Errorf("bad prefix %q", prefix)
	}
	var out []entry
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		name := prefix
		if rel != "." {
			name = prefix + "/" + filepath.ToSlash(rel)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case info.IsDir():
			out = append(out, entry{name: name + "/", mode: fs.ModeDir | 0o755})
		case info.Mode().IsRegular():
			mode := fs.FileMode(0o644)
			if info.Mode().Perm()&0o111 != 0 {
				mode = 0o755
			}
			out = append(out, entry{name: name, src: p, mode: mode, size: info.Size()})
		default:
			return fmt.Errorf("%s: not a regular file or directory", p)
		}
		return nil
	})
	return out, err
}

func run(out, src, prefix string, mtime time.Time) (err error) {
	entries, err := collect(src, prefix)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(out+".tmp", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(out + ".tmp")
		}
	}()
	switch {
	case strings.HasSuffix(out, ".tar.gz"):
		err = writeTarGz(f, entries, mtime)
	case strings.HasSuffix(out, ".zip"):
		err = writeZip(f, entries, mtime)
	default:
		err = errors.New("output name must end in .tar.gz or .zip")
	}
	if err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(out+".tmp", out)
}

func writeTarGz(w io.Writer, entries []entry, mtime time.Time) error {
	// A zero gzip.Header: no file name, MTIME 0, OS "unknown".
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{
			Name:    e.name,
			Mode:    int64(e.mode.Perm()),
			ModTime: mtime,
			Uname:   "root",
			Gname:   "root",
			Format:  tar.FormatUSTAR,
		}
		if e.mode.IsDir() {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag = tar.TypeReg
			h.Size = e.size
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
		if err := copyFile(tw, e); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

func writeZip(w io.Writer, entries []entry, mtime time.Time) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestCompression)
	})
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: mtime}
		if e.mode.IsDir() {
			h.Method = zip.Store
		}
		h.SetMode(e.mode)
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
		if err := copyFile(fw, e); err != nil {
			return err
		}
	}
	return zw.Close()
}

// copyFile copies e's content, checking it still has the size collected.
func copyFile(w io.Writer, e entry) error {
	if e.src == "" {
		return nil
	}
	f, err := os.Open(e.src)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(w, f)
	if err != nil {
		return fmt.Errorf("%s: %w", e.src, err)
	}
	if n != e.size {
		return fmt.Errorf("%s: changed while being archived", e.src)
	}
	return nil
}
