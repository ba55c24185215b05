package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var epoch = time.Unix(1700000000, 0).UTC()

// tree writes the same content twice with different file times and modes.
func tree(t *testing.T, fileTime time.Time, binMode os.FileMode) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]os.FileMode{"zz-bin": binMode, "README.md": 0o600, "doc/a.yaml": 0o664}
	for name, mode := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("content of "+name), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, fileTime, fileTime); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func build(t *testing.T, src, ext string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "a"+ext)
	if err := run(out, src, "pkg_1.0.0_linux_amd64", epoch); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSameBytesWhateverTimesAndModes(t *testing.T) {
	a := tree(t, time.Unix(1, 0), 0o755)
	b := tree(t, time.Now(), 0o700)
	for _, ext := range []string{".tar.gz", ".zip"} {
		if !bytes.Equal(build(t, a, ext), build(t, b, ext)) {
			t.Errorf("%s: two trees differing only in times and modes gave different archives", ext)
		}
	}
}

type hdr struct {
	name  string
	mode  int64
	mtime time.Time
}

var want = []hdr{
	{"pkg_1.0.0_linux_amd64/", 0o755, epoch},
	{"pkg_1.0.0_linux_amd64/README.md", 0o644, epoch},
	{"pkg_1.0.0_linux_amd64/doc/", 0o755, epoch},
	{"pkg_1.0.0_linux_amd64/doc/a.yaml", 0o644, epoch},
	{"pkg_1.0.0_linux_amd64/zz-bin", 0o755, epoch},
}

func TestTarGzHeaders(t *testing.T) {
	data := build(t, tree(t, time.Now(), 0o700), ".tar.gz")
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() {
		t.Errorf("gzip header has name %q, time %v; want neither", zr.Name, zr.ModTime)
	}
	tr := tar.NewReader(zr)
	var got []hdr
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "root" || h.Gname != "root" {
			t.Errorf("%s: owner %d:%d %s:%s, want root", h.Name, h.Uid, h.Gid, h.Uname, h.Gname)
		}
		got = append(got, hdr{h.Name, h.Mode, h.ModTime.UTC()})
	}
	checkHeaders(t, got)
}

func TestZipHeaders(t *testing.T) {
	data := build(t, tree(t, time.Now(), 0o700), ".zip")
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var got []hdr
	for _, f := range zr.File {
		got = append(got, hdr{f.Name, int64(f.Mode().Perm()), f.Modified.UTC()})
	}
	checkHeaders(t, got)
}

func checkHeaders(t *testing.T, got []hdr) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("entries %v, want %v", got, want)
	}
	for i := range want {
		if got[i].name != want[i].name || got[i].mode != want[i].mode || !got[i].mtime.Equal(want[i].mtime) {
			t.Errorf("entry %d = %s %o %v, want %s %o %v", i, got[i].name, got[i].mode, got[i].mtime,
				want[i].name, want[i].mode, want[i].mtime)
		}
	}
}

func TestRefusesLinksAndBadNames(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	out := filepath.Join(t.TempDir(), "a.tar.gz")
	if err := run(out, dir, "p", epoch); err == nil {
		t.Error("a symlink was archived")
	}
	for _, p := range []string{out, out + ".tmp"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("a failed run left %s behind", p)
		}
	}
	if err := run(filepath.Join(t.TempDir(), "a.tar"), t.TempDir(), "p", epoch); err == nil {
		t.Error("an unknown extension was accepted")
	}
}
