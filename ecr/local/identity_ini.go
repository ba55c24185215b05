package local

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxSharedFileSize bounds what is read of a shared config or credentials
// file, or a container authorization token file.
const maxSharedFileSize = 4 << 20

// parseINIFile reads an AWS shared config file. Like the SDK, it counts a
// file it cannot open (missing, no permission) as empty, and fails on one it
// opens but cannot read (a directory).
func parseINIFile(path string) (map[string]section, error) {
	if path == "" {
		return map[string]section{}, nil
	}
	data, err := readSmallFile(path)
	switch {
	case errors.Is(err, errUnopenable):
		return map[string]section{}, nil
	case err != nil:
		return nil, fmt.Errorf("reading AWS shared config %s: %w", path, err)
	}
	return parseINI(string(data)), nil
}

// errUnopenable: the file does not exist or cannot be opened.
var errUnopenable = errors.New("cannot open")

// readSmallFile reads a regular file of at most maxSharedFileSize bytes. A
// FIFO, device or socket is refused before it is opened: the SDK would block
// on it forever (opening a FIFO waits for a writer), and a cache hit must
// answer without waiting.
func readSmallFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUnopenable, err)
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", path, fi.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUnopenable, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSharedFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxSharedFileSize {
		return nil, fmt.Errorf("%s is larger than %d MiB", path, maxSharedFileSize>>20)
	}
	return data, nil
}

// parseINI follows the SDK's parser (config/internal/ini): "#" and ";"
// comment lines and inline comments after a blank, "=" or ":" between key and
// value, keys lower-cased, values unquoted. An indented "k = v" line is a
// nested sub-property only under a key with an empty value
// ("s3 =\n  max_concurrent_requests = 10"), kept as
// "s3.max_concurrent_requests" (so a [services x] section's
// "ecr =\n  endpoint_url = URL" is "ecr.endpoint_url"), its value with any
// " #..." left in, as the SDK reads it; anywhere else it is
// an ordinary property, and an indented line without a separator continues
// the previous value.
func parseINI(data string) map[string]section {
	out := map[string]section{}
	var cur map[string]string // values of the current section; nil before the first
	key := ""                 // the last property set in cur
	for len(data) > 0 {
		var line string
		if i := strings.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, ""
		}
		line = strings.TrimSuffix(line, "\r")
		trimmed := strings.TrimLeft(line, " \t")
		if strings.TrimSpace(trimmed) == "" || trimmed[0] == '#' || trimmed[0] == ';' {
			continue
		}
		if name, ok := sectionHeader(line); ok {
			s, ok := out[name]
			if !ok {
				s = section{name: name, values: map[string]string{}}
				out[name] = s
			}
			cur, key = s.values, ""
			continue
		}
		if cur == nil {
			continue
		}
		indented := len(trimmed) < len(line)
		if !indented {
			if k, v, ok := splitProperty(trimPropertyComment(line)); ok {
				cur[k], key = unquote(v), k
			}
			continue
		}
		k, v, ok := splitProperty(trimmed)
		switch {
		case ok && key != "" && cur[key] == "":
			// The SDK keeps a comment on a sub-property in its value.
			cur[key+"."+k] = unquote(v)
		case ok:
			cur[k], key = strings.TrimSpace(trimPropertyComment(unquote(v))), k
		case key != "" && cur[key] != "":
			cur[key] += "\n" + trimmed
		}
	}
	return out
}

// sectionHeader parses "[type name]" (comments allowed after it) to
// "type name", with the blanks between type and name folded to one.
func sectionHeader(line string) (string, bool) {
	if i := strings.IndexAny(line, "#;"); i >= 0 {
		line = line[:i]
	}
	line = strings.TrimSpace(line)
	if len(line) < 2 || line[0] != '[' || line[len(line)-1] != ']' {
		return "", false
	}
	line = strings.TrimSpace(line[1 : len(line)-1])
	if i := strings.IndexAny(line, " \t"); i >= 0 {
		return line[:i] + " " + strings.TrimLeft(line[i:], " \t"), true
	}
	return line, true
}

func trimPropertyComment(s string) string {
	for _, c := range []string{" #", " ;", "\t#", "\t;"} {
		if i := strings.Index(s, c); i >= 0 {
			s = s[:i]
		}
	}
	return s
}

// splitProperty splits at the first "=", or at a ":" before it, and lower-cases the key.
func splitProperty(s string) (string, string, bool) {
	i := strings.IndexByte(s, '=')
	if c := strings.IndexByte(s, ':'); c >= 0 && (i < 0 || c < i) {
		i = c
	}
	if i < 0 {
		return "", "", false
	}
	return strings.ToLower(strings.TrimSpace(s[:i])), strings.TrimSpace(s[i+1:]), true
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}
