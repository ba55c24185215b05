// Package jsonedit edits a JSON object the way a person would: members
// stay in file order with their keys as written, values are kept, and the
// result is indented as Docker writes config.json. Parse errors say where
// (line and column).
package jsonedit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Member is one key of a JSON object, kept as written.
type Member struct {
	RawKey []byte // the key's JSON string token as written
	Key    string
	Value  json.RawMessage // as written, without surrounding space
}

// NewMember is the member key: value, the key written as encoding/json
// does but without HTML escaping.
func NewMember(key string, value json.RawMessage) Member {
	k, _ := marshalString(key) // a string always encodes
	return Member{RawKey: k, Key: key, Value: value}
}

// ParseFile parses a whole file as one JSON object and returns its members
// in order. Empty (or all-space) data is an empty object. Errors describe
// the file and carry line:column.
func ParseFile(data []byte) ([]Member, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	return parseObject(data, true)
}

// ParseObject parses v, a value inside a file, as one JSON object and
// returns its members in order. Its errors read after the value's name
// ("is an array, not a JSON object").
func ParseObject(v json.RawMessage) ([]Member, error) {
	return parseObject(v, false)
}

// RenderFile writes ms as a file, as Docker does: tab-indented, keys in
// order, values as written, and a final newline.
func RenderFile(ms []Member) []byte {
	return append(Render(ms, ""), '\n')
}

// checkSyntax reports a JSON syntax error in data with its line and column.
// (json.Unmarshal's offsets are exact; json.Decoder's are not always.)
func checkSyntax(data []byte) error {
	var raw json.RawMessage
	err := json.Unmarshal(data, &raw)
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	off := se.Offset
	if off == int64(len(data)) && strings.Contains(se.Error(), "end of JSON input") {
		off++ // point past the end, not at the last byte
	}
	hint := ""
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		hint = "; it starts with a UTF-8 byte-order mark, which Docker cannot read either"
	}
	return fmt.Errorf("not valid JSON: %v (at %s)%s", se, lineCol(data, off), hint)
}

// parseObject parses data as one JSON object and returns its members in
// order. With top, errors describe the file.
func parseObject(data []byte, top bool) ([]Member, error) {
	if err := checkSyntax(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	fail := func(err error) ([]Member, error) {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("not valid JSON: %v (at %s)", se, lineCol(data, se.Offset))
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return nil, fmt.Errorf("not valid JSON: unexpected end of input (at %s)", lineCol(data, int64(len(data))+1))
		}
		return nil, fmt.Errorf("not valid JSON: %v", err)
	}
	tok, err := dec.Token()
	if err != nil {
		return fail(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		what := describeToken(tok)
		if top {
			return nil, fmt.Errorf("the top level is %s, not a JSON object", what)
		}
		return nil, fmt.Errorf("is %s, not a JSON object", what)
	}
	var ms []Member
	for dec.More() {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		key, ok := tok.(string)
		if !ok { // the decoder reports a syntax error first; be safe anyway
			return nil, fmt.Errorf("not valid JSON: object key is not a string (at %s)", lineCol(data, before+1))
		}
		rawKey := bytes.TrimLeft(data[before:dec.InputOffset()], " \t\r\n,")
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return fail(err)
		}
		ms = append(ms, Member{RawKey: bytes.Clone(rawKey), Key: key, Value: bytes.TrimSpace(v)})
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return fail(err)
	}
	off := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return fail(err)
		}
		rest := data[off:]
		off += int64(len(rest) - len(bytes.TrimLeft(rest, " \t\r\n")))
		return nil, fmt.Errorf("not valid JSON: more data after the top-level object (at %s)", lineCol(data, off+1))
	}
	return ms, nil
}

// describeToken names the kind of JSON value tok starts.
func describeToken(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			return "an array"
		}
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", tok)
}

// lineCol describes the byte at 1-based offset off (as json.SyntaxError
// counts: the error is at the off-th byte) as "line L, column C".
func lineCol(data []byte, off int64) string {
	if off < 1 {
		off = 1
	}
	if off > int64(len(data))+1 {
		off = int64(len(data)) + 1
	}
	before := data[:off-1]
	line := 1 + bytes.Count(before, []byte("\n"))
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

// Kind names the kind of the JSON value v ("an object", "a string", ...).
func Kind(v json.RawMessage) string {
	if len(v) == 0 {
		return "empty"
	}
	switch v[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func marshalString(s string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Render writes ms as a JSON object indented by one tab per level,
// starting at prefix; values are re-indented, keys kept as written.
func Render(ms []Member, prefix string) []byte {
	if len(ms) == 0 {
		return []byte("{}")
	}
	var b bytes.Buffer
	b.WriteString("{\n")
	for i, m := range ms {
		b.WriteString(prefix + "\t")
		b.Write(m.RawKey)
		b.WriteString(": ")
		if err := json.Indent(&b, m.Value, prefix+"\t", "\t"); err != nil {
			b.Write(m.Value) // cannot happen: the value was decoded as JSON
		}
		if i < len(ms)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(prefix + "}")
	return b.Bytes()
}
