//go:build windows

// Command holdopen is a Windows test program for e2e/wine.sh: it opens a file
// for reading, says so by creating -ready, keeps the file open until a file
// matching the -until pattern exists (or -timeout passes), then closes it and
// exits.
//
//	holdopen -file C:\users\me\.ecr\cache\ecr-login-cache.json -share rw -ready X -until Y
//
// -share picks the CreateFile share mode the way other programs open files:
//
//	rw   FILE_SHARE_READ|FILE_SHARE_WRITE: Go's os.Open, most editors and
//	     tools; nobody may delete or rename over the file meanwhile.
//	rwd  also FILE_SHARE_DELETE: what ecr-login's cache reader uses.
//	r    FILE_SHARE_READ only.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/windows"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "holdopen:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		file    = flag.String("file", "", "file to hold open (required)")
		share   = flag.String("share", "rw", "share mode: r, rw or rwd")
		ready   = flag.String("ready", "", "created once the file is open (required)")
		until   = flag.String("until", "", "close the file once a file matching this pattern (filepath.Glob) exists (required)")
		timeout = flag.Duration("timeout", 60*time.Second, "close the file after this long in any case")
	)
	flag.Parse()
	if *file == "" || *ready == "" || *until == "" || flag.NArg() > 0 {
		return errors.New("usage: holdopen -file F -ready R -until U [-share r|rw|rwd] [-timeout D]")
	}
	modes := map[string]uint32{
		"r":   windows.FILE_SHARE_READ,
		"rw":  windows.FILE_SHARE_READ | windows.FILE_SHARE_WRITE,
		"rwd": windows.FILE_SHARE_READ | windows.FILE_SHARE_WRITE | windows.FILE_SHARE_DELETE,
	}
	mode, ok := modes[*share]
	if !ok {
		return fmt.Errorf("-share %q: want r, rw or rwd", *share)
	}
	p, err := windows.UTF16PtrFromString(*file)
	if err != nil {
		return err
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ, mode, nil, windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", *file, err)
	}
	f := os.NewFile(uintptr(h), *file)
	defer f.Close()
	n, err := io.Copy(io.Discard, f)
	if err != nil {
		return fmt.Errorf("read %s: %w", *file, err)
	}
	if err := os.WriteFile(*ready, nil, 0o644); err != nil {
		return err
	}
	fmt.Printf("holding %s open (share %s, %d bytes read)\n", *file, *share, n)
	deadline := time.Now().Add(*timeout)
	for {
		m, err := filepath.Glob(*until)
		if err != nil {
			return fmt.Errorf("-until %q: %w", *until, err)
		}
		if len(m) > 0 {
			fmt.Printf("released: %s exists\n", m[0])
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not appear within %s", *until, *timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
