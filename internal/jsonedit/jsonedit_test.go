package jsonedit

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func keys(ms []Member) (ks, raw []string) {
	for _, m := range ms {
		ks = append(ks, m.Key)
		raw = append(raw, string(m.RawKey))
	}
	return ks, raw
}

// TestParseFileKeepsOrderAndKeys: members in file order, duplicates kept,
// keys as written (escapes and all), values without surrounding space.
func TestParseFileKeepsOrderAndKeys(t *testing.T) {
	t.Parallel()
	ms, err := ParseFile([]byte("{\"z\": 1, \"\\u0061\" :  [1, 2] , \"z\": {\"b\":true}, \"m<&>\": null}\n"))
	if err != nil {
		t.Fatal(err)
	}
	ks, raw := keys(ms)
	if !slices.Equal(ks, []string{"z", "a", "z", "m<&>"}) || !slices.Equal(raw, []string{`"z"`, `"\u0061"`, `"z"`, `"m<&>"`}) {
		t.Errorf("keys %q, raw %q", ks, raw)
	}
	if string(ms[1].Value) != "[1, 2]" || string(ms[2].Value) != `{"b":true}` {
		t.Errorf("values %q %q", ms[1].Value, ms[2].Value)
	}
	for _, empty := range []string{"", " \n\t"} {
		if ms, err := ParseFile([]byte(empty)); err != nil || ms != nil {
			t.Errorf("%q: %v, %v; want an empty object", empty, ms, err)
		}
	}
}

// TestParseErrors: where the error is, and what a non-object is.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{`{"auths": {`, []string{"not valid JSON", "line 1, column 12"}},
		{"{\n  \"auths\": {},\n}", []string{"not valid JSON", "line 3, column 1"}},
		{"{\n\t\"a\": tru\n}", []string{"not valid JSON", "line 2, column 10", "literal true"}},
		{`{"a":1} x`, []string{"not valid JSON", "line 1, column 9"}},
		{"{}\n{}", []string{"not valid JSON", "after top-level value", "line 2, column 1"}},
		{`{'a': 1}`, []string{"not valid JSON"}},
		{"\xef\xbb\xbf{}", []string{"not valid JSON", "byte-order mark"}},
		{`[1]`, []string{"the top level is an array, not a JSON object"}},
		{`"s"`, []string{"the top level is a string, not a JSON object"}},
		{`null`, []string{"the top level is null, not a JSON object"}},
		{`12`, []string{"the top level is a number, not a JSON object"}},
	} {
		_, err := ParseFile([]byte(tt.in))
		for _, w := range tt.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %v, want %q", tt.in, err, w)
			}
		}
	}
	if _, err := ParseObject(json.RawMessage(`true`)); err == nil || err.Error() != "is a boolean, not a JSON object" {
		t.Errorf("ParseObject(true): %v", err)
	}
	if ms, err := ParseObject(json.RawMessage(`{"h": "x"}`)); err != nil || len(ms) != 1 || ms[0].Key != "h" {
		t.Errorf("ParseObject: %v, %v", ms, err)
	}
}

// TestRender: tab indentation from prefix, values re-indented, keys as
// written; RenderFile adds the final newline.
func TestRender(t *testing.T) {
	t.Parallel()
	ms, err := ParseFile([]byte(`{"\u0061":{"x":[1,{"y":2}]},"b":"<&>","c":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n\t\"\\u0061\": {\n\t\t\"x\": [\n\t\t\t1,\n\t\t\t{\n\t\t\t\t\"y\": 2\n\t\t\t}\n\t\t]\n\t},\n\t\"b\": \"<&>\",\n\t\"c\": {}\n}\n"
	if got := string(RenderFile(ms)); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	inner := []Member{NewMember("public.ecr.aws", json.RawMessage(`"ecr-login"`))}
	if got := string(Render(inner, "\t")); got != "{\n\t\t\"public.ecr.aws\": \"ecr-login\"\n\t}" {
		t.Errorf("nested: %q", got)
	}
	if got := string(RenderFile(nil)); got != "{}\n" {
		t.Errorf("empty: %q", got)
	}
}

func TestNewMemberAndKind(t *testing.T) {
	t.Parallel()
	if m := NewMember("a<b>&\"", json.RawMessage("1")); string(m.RawKey) != `"a<b>&\""` || m.Key != "a<b>&\"" {
		t.Errorf("NewMember key %s", m.RawKey)
	}
	for v, want := range map[string]string{"": "empty", "{}": "an object", "[]": "an array", `"x"`: "a string",
		"true": "a boolean", "false": "a boolean", "null": "null", "-1.5": "a number"} {
		if got := Kind(json.RawMessage(v)); got != want {
			t.Errorf("Kind(%q) = %q, want %q", v, got, want)
		}
	}
}

// FuzzParseFile: ParseFile accepts exactly the blank input and the valid
// JSON objects; what it accepts renders to valid JSON that parses back to
// the same members.
func FuzzParseFile(f *testing.F) {
	for _, s := range []string{"", "{}", `{"a":1,"a":[{"b":null}]}`, `{"a":`, `[]`, "{}{}", "\xef\xbb\xbf{}", `{"\u00e9":"\ud800"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ms, err := ParseFile(data)
		blank := len(bytes.TrimSpace(data)) == 0
		isObject := json.Valid(data) && bytes.TrimSpace(data)[0] == '{'
		if (err == nil) != (blank || isObject) {
			t.Fatalf("ParseFile(%q): %v", data, err)
		}
		if err != nil {
			return
		}
		out := RenderFile(ms)
		if !json.Valid(out) {
			t.Fatalf("rendered invalid JSON %q", out)
		}
		again, err := ParseFile(out)
		if err != nil || len(again) != len(ms) {
			t.Fatalf("reparse: %v, %d members, want %d", err, len(again), len(ms))
		}
		for i := range ms {
			if !bytes.Equal(again[i].RawKey, ms[i].RawKey) || !json.Valid(again[i].Value) {
				t.Fatalf("member %d: %s became %s", i, ms[i].RawKey, again[i].RawKey)
			}
		}
	})
}
