package local

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/ecr-login/ecr-login/internal/testenv"
)

// yamlCorpus holds documents the small reader accepts. For each, yaml.v3
// (the reference) must read the same tree.
var yamlCorpus = []string{
	testenv.ExampleMappings,
	"",
	"# only a comment\n",
	"---\nregistries:\n",
	"registries: ~\n",
	"registries: null\n",
	"registries:\n- match: a.example.com\n  profile: p\n- match: b\n",
	"registries:\n  -\n    match: a\n    profile: \"p q\"\n",
	"registries:\n  - match: 'it''s'   # comment\n    registry: \"a\\tb\\u00e9\\\\\"\n",
	"registries:\n  - match: bob's\n    profile: x#y\n",
	"\uFEFFregistries:\r\n  - match: crlf\r\n    profile: p\r\n",
	"registries:\n  - match: a\n    profile:\n",
	"registries:\n  - profile: p\n    match: \"*.dkr.ecr.eu-west-1.amazonaws.com\"\n\n\n  - match: x\n...\n",
	"\"registries\":\n  - 'match': x\n",
	"registries:\n  - match: a\n    nested:\n      - one\n      - two\n    map:\n      k: v\n",
	"registries:\n  - - a\n    - b\n",
	"registries:\n  - 12\n  - true\n",
	"a: http://x.example.com/path\n",
	"registries:\n  - match: a b c\n",
}

// toPlain turns either parser's tree into maps, slices, strings and nil,
// with every scalar as its text, for comparison.
func fromYAML(n *yaml.Node) any {
	switch n.Kind {
	case yaml.DocumentNode:
		return fromYAML(n.Content[0])
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i < len(n.Content); i += 2 {
			m[n.Content[i].Value] = fromYAML(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		s := []any{}
		for _, c := range n.Content {
			s = append(s, fromYAML(c))
		}
		return s
	}
	if n.Tag == "!!null" {
		return nil
	}
	return n.Value
}

func fromMini(n *ynode) any {
	switch n.kind {
	case yMap:
		m := map[string]any{}
		for i, k := range n.keys {
			m[k.value] = fromMini(n.items[i])
		}
		return m
	case ySeq:
		s := []any{}
		for _, c := range n.items {
			s = append(s, fromMini(c))
		}
		return s
	case yNull:
		return nil
	}
	return n.value
}

// checkAgainstYAML fails when the small reader accepts doc but reads it
// differently from yaml.v3, or when yaml.v3 refuses it.
func checkAgainstYAML(t *testing.T, doc string) {
	t.Helper()
	mini, err := parseYAML([]byte(doc))
	if err != nil {
		return // refusing is always allowed; the error tests check the messages
	}
	var ref yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &ref); err != nil {
		t.Fatalf("%q: accepted here, refused by yaml.v3: %v", doc, err)
	}
	if mini == nil || len(ref.Content) == 0 {
		if mini != nil || (len(ref.Content) != 0 && fromYAML(&ref) != nil) {
			t.Fatalf("%q: empty in one reader only: %#v vs %#v", doc, mini, ref.Content)
		}
		return
	}
	if got, want := fromMini(mini), fromYAML(&ref); !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\n got %#v\nwant %#v (yaml.v3)", doc, got, want)
	}
}

func TestMiniYAMLAgreesWithYAMLv3(t *testing.T) {
	for _, doc := range yamlCorpus {
		if _, err := parseYAML([]byte(doc)); err != nil {
			t.Errorf("%q: %v", doc, err)
			continue
		}
		checkAgainstYAML(t, doc)
	}
}

func FuzzMiniYAML(f *testing.F) {
	for _, doc := range yamlCorpus {
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, doc string) { checkAgainstYAML(t, doc) })
}

func TestLoadMappingsRefusesWhatItDoesNotRead(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"two documents", "registries:\n---\nregistries:\n  - match: 123456789012.dkr.ecr.us-east-1.amazonaws.com\n    profile: p\n", ":2: a second YAML document"},
		{"start then two", "---\nregistries:\n---\n", ":3: a second YAML document"},
		{"after end", "registries:\n...\nregistries:\n", ":3: content after the end of the document"},
		{"long line", "registries:\n  - match: " + strings.Repeat("a", 1000) + "\n", ":2: a line longer than 1000 bytes"},
		{"tab after the colon", "registries:\n  - match:\tx\n", ":2: a tab character"},
		{"line separator", "registries:\n  - match: a\u2028b\n", ":2: a control character"},
		{"end with nothing before", "... \n", ":1: the end of the document (\"...\") before any content"},
		{"end marker with content", "registries:\n... x\n", ":2: content after the end of the document"},
		{"flow list", "registries: [a, b]\n", ":1: flow style"},
		{"flow map entry", "registries:\n  - {match: a, profile: p}\n", ":2: flow style"},
		{"alias", "registries:\n  - match: *.dkr.ecr.eu-west-1.amazonaws.com\n", ":2: a value starting with \"*\" must be quoted"},
		{"anchor", "registries:\n  - match: &a x\n", ":2: unsupported YAML syntax \"&\""},
		{"block scalar", "registries:\n  - match: |\n      x\n", ":2: unsupported YAML syntax \"|\""},
		{"tab", "registries:\n\t- match: x\n", ":2: a tab in the indentation"},
		{"unterminated", "registries:\n  - match: \"abc\n", ":2: unterminated"},
		{"bad indentation", "registries:\n  - match: a\n    profile: b\n   role_arn: c\n", ":4: bad indentation"},
		{"colon in value", "registries:\n  - match: a: b\n", ":2: a value with \": \" in it must be quoted"},
		{"duplicate top key", "registries:\nregistries:\n", ":2: \"registries\" given twice"},
		{"not UTF-8", "registries:\n  - match: \xff\n", ":1: the file is not UTF-8"},
		{"bad escape", "registries:\n  - match: \"\\q\"\n", ":2: unsupported escape"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testenv.ConfigFile(t, tc.body)
			_, err := LoadMappings(p, true)
			if err == nil || !errors.Is(err, ErrMappingConfig) || !strings.Contains(err.Error(), p+tc.want) {
				t.Fatalf("err = %v; want %q after %s", err, tc.want, p)
			}
		})
	}
}

func TestLoadMappingsBoundsTheFileSize(t *testing.T) {
	body := "registries:\n" + strings.Repeat("# padding\n", maxConfigSize/10+1)
	p := testenv.ConfigFile(t, body)
	_, err := LoadMappings(p, false)
	if err == nil || !errors.Is(err, ErrMappingConfig) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "at most") {
		t.Fatalf("err = %v", err)
	}
	// Just under the bound is read.
	if _, err := LoadMappings(testenv.ConfigFile(t, body[:maxConfigSize]), false); err != nil {
		t.Fatalf("a file of %d bytes: %v", maxConfigSize, err)
	}
}

func TestLoadMappingsRefusesDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadMappings(dir, false); err == nil || !errors.Is(err, ErrMappingConfig) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("directory: err = %v", err)
	}
}
