package local

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestParseINI(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want map[string]map[string]string // sections that must be present with exactly these values
		not  []string                     // sections that must be absent
	}{
		{
			name: "comments",
			in:   "# c1\n; c2\n[default]\n  # indented comment\nregion = us-east-1 # inline\noutput = json ; inline\nx = a#b\ny = a;b\n\t; tab comment\n",
			want: map[string]map[string]string{"default": {"region": "us-east-1", "output": "json", "x": "a#b", "y": "a;b"}},
		},
		{
			name: "spaced headers",
			in:   "[profile  spaced ]\na = 1\n[ default ]\nb = 2\n[\tsso-session\tcorp\t]\nc = 3\n[profile x] # comment\nd = 4\n",
			want: map[string]map[string]string{"profile spaced": {"a": "1"}, "default": {"b": "2"}, "sso-session corp": {"c": "3"}, "profile x": {"d": "4"}},
		},
		{
			name: "mixed-case keys",
			in:   "[profile MixedCase]\nRole_ARN = arn:aws:iam::1:role/R\nAWS_Access_Key_ID = AKIA1\n",
			want: map[string]map[string]string{"profile MixedCase": {"role_arn": "arn:aws:iam::1:role/R", "aws_access_key_id": "AKIA1"}},
		},
		{
			name: "values with = inside",
			in:   "[default]\ncredential_process = /bin/sh -c \"a=b\"\nk=v=w\n",
			want: map[string]map[string]string{"default": {"credential_process": "/bin/sh -c \"a=b\"", "k": "v=w"}},
		},
		{
			name: "colon separator",
			in:   "[default]\nrole_arn: arn:aws:iam::1:role/r\nurl = https://x:443/y\n",
			want: map[string]map[string]string{"default": {"role_arn": "arn:aws:iam::1:role/r", "url": "https://x:443/y"}},
		},
		{
			name: "quoted values",
			in:   "[default]\na = \"quoted\"\nb = 'single'\nc = \"unbalanced\n",
			want: map[string]map[string]string{"default": {"a": "quoted", "b": "single", "c": "\"unbalanced"}},
		},
		{
			name: "nested sub-section kept as parent.key",
			in:   "[default]\ns3 =\n  max_concurrent_requests = 10\n  multipart_threshold = 64MB\nregion = us-west-2\n",
			want: map[string]map[string]string{"default": {"s3": "", "s3.max_concurrent_requests": "10", "s3.multipart_threshold": "64MB", "region": "us-west-2"}},
		},
		{
			name: "indented properties are properties",
			in:   "[profile ind]\n  role_arn = arn:aws:iam::1:role/r\n  source_profile = base\n\tregion = us-east-1\n",
			want: map[string]map[string]string{"profile ind": {"role_arn": "arn:aws:iam::1:role/r", "source_profile": "base", "region": "us-east-1"}},
		},
		{
			name: "continuation line",
			in:   "[default]\ncredential_process = /bin/creds\n    --verbose\n",
			want: map[string]map[string]string{"default": {"credential_process": "/bin/creds\n--verbose"}},
		},
		{
			name: "CRLF",
			in:   "[default]\r\nregion = us-east-1\r\n[profile p]\r\nrole_arn = arn:aws:iam::1:role/r\r\ns3 =\r\n  x = y\r\n",
			want: map[string]map[string]string{"default": {"region": "us-east-1"}, "profile p": {"role_arn": "arn:aws:iam::1:role/r", "s3": "", "s3.x": "y"}},
		},
		{
			name: "properties before any section, lines without separator",
			in:   "orphan = 1\n[default]\njunk line\nregion = r\n",
			want: map[string]map[string]string{"default": {"region": "r"}},
		},
		{
			name: "repeated section merges, last value wins",
			in:   "[default]\na = 1\nb = 1\n[profile x]\n[default]\nb = 2\n",
			want: map[string]map[string]string{"default": {"a": "1", "b": "2"}, "profile x": {}},
		},
		{
			name: "empty input",
			in:   "",
			want: map[string]map[string]string{},
		},
		{
			name: "not a header",
			in:   "[default]\na = 1\n[broken\nb = 2\n",
			want: map[string]map[string]string{"default": {"a": "1", "b": "2"}},
			not:  []string{"broken"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := parseINI(tc.in)
			if len(got) != len(tc.want) {
				t.Errorf("got %d sections %v, want %d", len(got), got, len(tc.want))
			}
			for name, vals := range tc.want {
				s, ok := got[name]
				if !ok {
					t.Errorf("section %q missing; have %v", name, got)
					continue
				}
				if len(s.values) != len(vals) {
					t.Errorf("section %q = %q, want %q", name, s.values, vals)
				}
				for k, v := range vals {
					if s.values[k] != v {
						t.Errorf("section %q: %s = %q, want %q", name, k, s.values[k], v)
					}
				}
			}
			for _, name := range tc.not {
				if _, ok := got[name]; ok {
					t.Errorf("section %q should not exist", name)
				}
			}
		})
	}
}

func TestParseINIFile(t *testing.T) {
	dir := t.TempDir()
	t.Run("missing file is empty", func(t *testing.T) {
		got, err := parseINIFile(filepath.Join(dir, "nope"))
		if err != nil || len(got) != 0 {
			t.Fatalf("got %v, %v", got, err)
		}
	})
	t.Run("empty path is empty", func(t *testing.T) {
		got, err := parseINIFile("")
		if err != nil || len(got) != 0 {
			t.Fatalf("got %v, %v", got, err)
		}
	})
	t.Run("directory errors", func(t *testing.T) {
		if _, err := parseINIFile(dir); err == nil || !strings.Contains(err.Error(), dir) {
			t.Fatalf("err = %v, want one naming %s", err, dir)
		}
	})
	t.Run("unopenable file is empty, like the SDK", func(t *testing.T) {
		if runtime.GOOS == "windows" || os.Geteuid() == 0 {
			t.Skip("needs file permissions that bind the test user")
		}
		p := filepath.Join(dir, "locked")
		if err := os.WriteFile(p, []byte("[default]\nregion = r\n"), 0o000); err != nil {
			t.Fatal(err)
		}
		got, err := parseINIFile(p)
		if err != nil || len(got) != 0 {
			t.Fatalf("got %v, %v", got, err)
		}
	})
	t.Run("file", func(t *testing.T) {
		p := filepath.Join(dir, "config")
		if err := os.WriteFile(p, []byte("[default]\nregion = r\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := parseINIFile(p)
		if err != nil || got["default"].values["region"] != "r" {
			t.Fatalf("got %v, %v", got, err)
		}
	})
}

// TestSubPropertyKeepsComment: the SDK's ini parser keeps " #..." in a
// sub-property's value (config/internal/ini handleSubProperty) and cuts it
// from a property's; the key reads the value the SDK uses.
func TestSubPropertyKeepsComment(t *testing.T) {
	got := parseINI("[services s]\necr =\n  endpoint_url = http://127.0.0.1:1/ #a\n[default]\nendpoint_url = http://127.0.0.1:1/ #a\n")
	if v := got["services s"].values["ecr.endpoint_url"]; v != "http://127.0.0.1:1/ #a" {
		t.Errorf("sub-property = %q, want the comment kept", v)
	}
	if v := got["default"].values["endpoint_url"]; v != "http://127.0.0.1:1/" {
		t.Errorf("property = %q, want the comment cut", v)
	}
}
