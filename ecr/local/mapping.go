package local

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strings"
	"sync"
	"syscall"
)

// Mapping says how to get credentials for the registries a `match` pattern
// names: with which AWS profile or role, and, for a name in front of ECR
// (a proxy, a pull-through cache, a CNAME), which ECR registry it stands for.
type Mapping struct {
	Match      string // a host, or a glob with one DNS label per "*" (like kubelet's)
	Registry   string // the ECR registry a non-ECR name resolves to ("" = the host itself)
	Profile    string // shared-config profile to use instead of the default chain
	RoleARN    string // role assumed with the profile's (or the default chain's) credentials
	ExternalID string // sts:ExternalId for RoleARN

	// Line is where the mapping starts in its file.
	Line int

	target *Registry // Registry, parsed
}

// Mappings is the optional configuration file (~/.ecr/config.yaml or
// AWS_ECR_CONFIG). The zero value maps nothing.
type Mappings struct {
	Path string
	List []Mapping
}

// ErrMappingConfig marks an invalid configuration file.
var ErrMappingConfig = errors.New("invalid configuration file")

// roleARN is checked with a length bound on the side: a {1,512} repetition
// here would cost every run of the helper a millisecond and 2 MiB at start.
var roleARN = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$`) }) // compiled when a mapping names a role

const maxRoleARN = 2048

// maxConfigSize bounds config.yaml: every run reads it, cache hits included,
// and a few hundred mappings take a few tens of KiB.
const maxConfigSize = 1 << 20

// LoadMappings reads the configuration file at path. A missing file is an
// empty configuration when required is false (the default location) and an
// error when true (a path the user named). Every problem is reported with the
// file and line, and nothing falls back silently.
func LoadMappings(path string, required bool) (*Mappings, error) {
	ms := &Mappings{Path: path}
	data, err := readConfig(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !required {
			return ms, nil
		}
		return nil, fmt.Errorf("%w: %v", ErrMappingConfig, err)
	}
	root, err := parseYAML(data)
	if err != nil {
		var ye *yamlError
		if errors.As(err, &ye) {
			return nil, fmt.Errorf("%w: %s:%d: %s", ErrMappingConfig, path, ye.line, ye.msg)
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrMappingConfig, path, err)
	}
	if root == nil {
		return ms, nil // empty file
	}
	bad := func(n *ynode, format string, a ...any) error {
		return fmt.Errorf("%w: %s:%d: %s", ErrMappingConfig, path, n.line, fmt.Sprintf(format, a...))
	}
	if root.kind != yMap {
		return nil, bad(root, "the top level must be a mapping with a `registries:` list")
	}
	for i, k := range root.keys {
		v := root.items[i]
		if k.value != "registries" {
			return nil, bad(k, "unknown key %q (known: registries)", k.value)
		}
		if v.kind == yNull {
			continue
		}
		if v.kind != ySeq {
			return nil, bad(v, "`registries` must be a list")
		}
		for _, item := range v.items {
			m, err := parseMapping(item, bad)
			if err != nil {
				return nil, err
			}
			ms.List = append(ms.List, m)
		}
	}
	return ms, nil
}

// readConfig reads a regular file of at most maxConfigSize bytes. Anything
// else (a FIFO, a device, a directory) is refused without reading: opening
// does not block (O_NONBLOCK), so a FIFO cannot hang the helper.
func readConfig(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		what := "a special file"
		switch t := fi.Mode().Type(); {
		case t&os.ModeNamedPipe != 0:
			what = "a FIFO"
		case t&os.ModeDir != 0:
			what = "a directory"
		case t&os.ModeSocket != 0:
			what = "a socket"
		case t&os.ModeDevice != 0:
			what = "a device"
		}
		return nil, fmt.Errorf("%s is not a regular file but %s; the configuration must be a plain file", path, what)
	}
	if fi.Size() > maxConfigSize {
		return nil, fmt.Errorf("%s is %d bytes; a configuration file may have at most %d (1 MiB)", path, fi.Size(), maxConfigSize)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %v", path, err)
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("%s has grown past %d bytes (1 MiB) while being read", path, maxConfigSize)
	}
	return data, nil
}

func parseMapping(n *ynode, bad func(*ynode, string, ...any) error) (Mapping, error) {
	m := Mapping{Line: n.line}
	if n.kind != yMap {
		return m, bad(n, "each entry of `registries` must be a mapping with at least `match:`")
	}
	for i, k := range n.keys {
		v := n.items[i]
		if v.kind != yScalar && v.kind != yNull {
			return m, bad(v, "%q must be a string", k.value)
		}
		val := strings.TrimSpace(v.value)
		switch k.value {
		case "match":
			m.Match = strings.ToLower(val)
		case "registry":
			m.Registry = val
		case "profile":
			m.Profile = val
		case "role_arn":
			m.RoleARN = val
		case "external_id":
			m.ExternalID = val
		default:
			return m, bad(k, "unknown key %q (known: match, registry, profile, role_arn, external_id)", k.value)
		}
	}
	if m.Match == "" {
		return m, bad(n, "entry has no `match:`")
	}
	if err := checkGlob(m.Match); err != nil {
		return m, bad(n, "match %q: %v", m.Match, err)
	}
	if m.Registry != "" {
		reg, err := ParseRegistry(m.Registry)
		if err != nil {
			return m, bad(n, "registry %q is not an Amazon ECR registry host", m.Registry)
		}
		m.target = &reg
	} else if !strings.Contains(m.Match, "*") {
		if _, err := ParseRegistry(m.Match); err != nil {
			return m, bad(n, "match %q is not an ECR registry, so it needs `registry:` naming the ECR registry it stands for", m.Match)
		}
	}
	if m.RoleARN != "" && (len(m.RoleARN) > maxRoleARN || !roleARN().MatchString(m.RoleARN)) {
		return m, bad(n, "role_arn %q is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", m.RoleARN)
	}
	if m.ExternalID != "" && m.RoleARN == "" {
		return m, bad(n, "external_id needs role_arn")
	}
	if m.Profile == "" && m.RoleARN == "" && m.Registry == "" {
		return m, bad(n, "entry for %q sets none of profile, role_arn, registry", m.Match)
	}
	return m, nil
}

// checkGlob accepts a host name whose labels may be "*" globs.
func checkGlob(p string) error {
	if strings.ContainsAny(p, "/:@ ") {
		return errors.New("a match is a host name, without scheme, port or path")
	}
	for _, label := range strings.Split(p, ".") {
		if label == "" {
			return errors.New("empty DNS label")
		}
		if _, err := path.Match(label, ""); err != nil {
			return fmt.Errorf("bad glob in label %q", label)
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '*' || c == '?' || c == '[' || c == ']') {
				return fmt.Errorf("label %q has a character that is not allowed in a host name", label)
			}
		}
	}
	return nil
}

// Match returns the first mapping whose pattern matches host (normalised,
// without port), or nil.
func (ms *Mappings) Match(host string) *Mapping {
	if ms == nil {
		return nil
	}
	labels := strings.Split(host, ".")
	for i := range ms.List {
		if globMatch(ms.List[i].Match, labels) {
			return &ms.List[i]
		}
	}
	return nil
}

// globMatch matches like kubelet's image globs: the same number of labels,
// each label matched with path.Match.
func globMatch(pattern string, labels []string) bool {
	pl := strings.Split(pattern, ".")
	if len(pl) != len(labels) {
		return false
	}
	for i := range pl {
		if ok, _ := path.Match(pl[i], labels[i]); !ok {
			return false
		}
	}
	return true
}

// Where names the mapping in messages: "~/.ecr/config.yaml:12".
func (m *Mapping) Where(file string) string { return fmt.Sprintf("%s:%d", file, m.Line) }
