//go:build !linux

package main

import (
	"errors"
	"os"
)

const rssSupported = false

func maxRSSKiB(*os.ProcessState) int64 { return 0 }

func selfHWMKiB() int64 { return 0 }

type memFigures struct{ HWM, RssAnon, RssFile, RuMaxRSS int64 }

func peakRSS(string, []string, []string, []byte) (memFigures, []byte, int, error) {
	return memFigures{}, nil, -1, errors.New("peak RSS is only measured on Linux")
}
