package local

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file reads the small YAML subset config.yaml needs: block mappings,
// block sequences, plain, 'single-' and "double-quoted" scalars on one line,
// comments, and one document. Everything else YAML allows (flow collections,
// anchors and aliases, tags, block scalars, multi-line scalars, several
// documents) is refused with the line it is on, never guessed at.
//
// Why not a YAML library: every run of the helper, cache hits included, pays
// for the packages it links at start-up. go.yaml.in/yaml/v3 cost a cache hit
// 0.3-0.6 ms and 26 KB of init allocations for a file that, when it exists at
// all, holds a few lines. See "Performance" in the README and
// cmd/docker-credential-ecr-login/initbudget_test.go.

type ynodeKind int

const (
	yNull ynodeKind = iota
	yScalar
	yMap
	ySeq
)

// ynode is one node of the parsed document. A map's keys are scalar nodes
// in keys, and its values are in items at the same index.
type ynode struct {
	kind  ynodeKind
	line  int
	value string
	keys  []*ynode
	items []*ynode
}

// yline is one line with content: its indentation, and the text after it
// with the comment and trailing blanks removed.
type yline struct {
	num    int
	indent int
	text   string
}

type yamlError struct {
	line int
	msg  string
}

func (e *yamlError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

func yerr(line int, format string, a ...any) error {
	return &yamlError{line: line, msg: fmt.Sprintf(format, a...)}
}

// maxYAMLLine bounds one line of config.yaml.
const maxYAMLLine = 1000

// parseYAML returns the document's root node, or nil for a document with no
// content.
func parseYAML(data []byte) (*ynode, error) {
	if !utf8.Valid(data) {
		return nil, yerr(1, "the file is not UTF-8 text")
	}
	text := strings.TrimPrefix(string(data), "\uFEFF")
	if i := strings.IndexFunc(text, notPrintable); i >= 0 {
		return nil, yerr(1+strings.Count(text[:i], "\n"), "a control character (%U); YAML allows only printable text", []rune(text[i:])[0])
	}
	var lines []yline
	started, ended := false, false // "---" seen or content seen; "..." seen
	for i, raw := range strings.Split(text, "\n") {
		num := i + 1
		raw = strings.TrimSuffix(raw, "\r")
		if strings.Contains(raw, "\r") {
			return nil, yerr(num, "a carriage return inside a line")
		}
		body := strings.TrimLeft(raw, " ")
		indent := len(raw) - len(body)
		if strings.HasPrefix(body, "\t") {
			return nil, yerr(num, "a tab in the indentation; YAML indents with spaces")
		}
		body, err := stripComment(body, num)
		if err != nil {
			return nil, err
		}
		if body == "" {
			continue
		}
		if len(raw) > maxYAMLLine {
			// YAML readers limit a key to 1024 characters; no entry needs more.
			return nil, yerr(num, "a line longer than %d bytes", maxYAMLLine)
		}
		if strings.ContainsRune(raw, '\t') {
			// YAML gives tabs different meanings by position (a separator
			// after ":" or "-", content inside a scalar, a trailing blank);
			// config.yaml needs none. Lines that are only a comment were
			// skipped above.
			return nil, yerr(num, "a tab character; config.yaml uses spaces")
		}
		if indent == 0 && (body == "---" || strings.HasPrefix(body, "--- ")) {
			if started || ended {
				return nil, yerr(num, "a second YAML document (\"---\"); the file must be one document: put every entry under one `registries:`")
			}
			started = true
			if rest := strings.TrimSpace(body[3:]); rest != "" {
				return nil, yerr(num, "content after \"---\"; start it on the next line")
			}
			continue
		}
		if indent == 0 && (body == "..." || strings.HasPrefix(body, "... ")) {
			if rest := strings.TrimSpace(body[3:]); rest != "" {
				return nil, yerr(num, "content after the end of the document (\"...\"); the file must be one document")
			}
			if len(lines) == 0 {
				// YAML readers refuse an end marker that ends no document.
				return nil, yerr(num, "the end of the document (\"...\") before any content")
			}
			ended = true
			continue
		}
		if ended {
			return nil, yerr(num, "content after the end of the document (\"...\"); the file must be one document")
		}
		if indent == 0 && strings.HasPrefix(body, "%") {
			return nil, yerr(num, "YAML directives are not supported")
		}
		started = true
		lines = append(lines, yline{num: num, indent: indent, text: body})
	}
	if len(lines) == 0 {
		return nil, nil
	}
	p := &yparser{lines: lines}
	root, err := p.block(lines[0].indent)
	if err != nil {
		return nil, err
	}
	if p.i < len(p.lines) {
		return nil, yerr(p.lines[p.i].num, "bad indentation")
	}
	return root, nil
}

// notPrintable is YAML's definition of what a file may not contain, plus
// the characters YAML 1.1 readers take as line breaks (NEL, U+2028, U+2029)
// and a byte order mark past the start, which this reader refuses rather
// than interpret.
func notPrintable(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return false
	case r == 0x85 || r == 0x2028 || r == 0x2029, r == 0xfeff: // a BOM only leads the file
		return true
	case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0:
		return true
	case r >= 0xd800 && r < 0xe000, r == 0xfffe, r == 0xffff:
		return true
	}
	return false
}

// stripComment removes a "#" comment (at the start or after a blank, and
// outside quotes) and trailing blanks.
func stripComment(s string, num int) (string, error) {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '"' && c == '\\':
			i++
		case quote != 0 && c == quote:
			if quote == '\'' && i+1 < len(s) && s[i+1] == '\'' {
				i++
				continue
			}
			quote = 0
		case quote != 0:
		case c == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			return strings.TrimRight(s[:i], " \t"), nil
		case (c == '"' || c == '\'') && startsToken(s, i):
			quote = c
		}
	}
	if quote != 0 {
		return "", yerr(num, "unterminated quoted string (a value must fit on one line)")
	}
	return strings.TrimRight(s, " \t"), nil
}

// startsToken says whether s[i] begins a scalar: at the start of the line or
// after "- " or ": " (a quote inside a plain scalar, as in bob's, is a letter).
func startsToken(s string, i int) bool {
	j := i - 1
	for j >= 0 && (s[j] == ' ' || s[j] == '\t') {
		j--
	}
	return j < 0 || (j < i-1 && (s[j] == ':' || s[j] == '-'))
}

type yparser struct {
	lines []yline
	i     int
}

// block parses the sequence or mapping whose lines start at indent.
func (p *yparser) block(indent int) (*ynode, error) {
	l := p.lines[p.i]
	if isSeqItem(l.text) {
		return p.seq(indent)
	}
	if _, _, ok, err := splitKey(l); err != nil {
		return nil, err
	} else if !ok {
		// A lone scalar: only valid as a whole document or a sequence item.
		p.i++
		return scalar(l.text, l.num)
	}
	return p.mapping(indent)
}

func isSeqItem(text string) bool { return text == "-" || strings.HasPrefix(text, "- ") }

func (p *yparser) seq(indent int) (*ynode, error) {
	n := &ynode{kind: ySeq, line: p.lines[p.i].num}
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.indent < indent {
			break
		}
		if l.indent > indent {
			return nil, yerr(l.num, "bad indentation")
		}
		if !isSeqItem(l.text) {
			break
		}
		rest := strings.TrimLeft(l.text[1:], " ")
		if rest == "" {
			p.i++
			if p.i < len(p.lines) && p.lines[p.i].indent > indent {
				item, err := p.block(p.lines[p.i].indent)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, item)
			} else {
				n.items = append(n.items, &ynode{kind: yNull, line: l.num})
			}
			continue
		}
		// "- key: value": the item is a block starting at the column of rest,
		// and the lines that follow at that column continue it.
		col := l.indent + len(l.text) - len(rest)
		p.lines[p.i] = yline{num: l.num, indent: col, text: rest}
		item, err := p.block(col)
		if err != nil {
			return nil, err
		}
		n.items = append(n.items, item)
	}
	return n, nil
}

func (p *yparser) mapping(indent int) (*ynode, error) {
	n := &ynode{kind: yMap, line: p.lines[p.i].num}
	seen := map[string]bool{}
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.indent < indent || (l.indent == indent && isSeqItem(l.text)) {
			break
		}
		if l.indent > indent {
			return nil, yerr(l.num, "bad indentation")
		}
		key, rest, ok, err := splitKey(l)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, yerr(l.num, "expected `key: value`")
		}
		if seen[key] {
			return nil, yerr(l.num, "%q given twice", key)
		}
		seen[key] = true
		p.i++
		var v *ynode
		switch {
		case rest != "":
			if v, err = scalar(rest, l.num); err != nil {
				return nil, err
			}
		case p.i < len(p.lines) && (p.lines[p.i].indent > indent ||
			p.lines[p.i].indent == indent && isSeqItem(p.lines[p.i].text)):
			// A nested block; a sequence may sit at its key's indentation.
			if v, err = p.block(p.lines[p.i].indent); err != nil {
				return nil, err
			}
		default:
			v = &ynode{kind: yNull, line: l.num}
		}
		n.keys = append(n.keys, &ynode{kind: yScalar, line: l.num, value: key})
		n.items = append(n.items, v)
	}
	return n, nil
}

// splitKey splits "key: rest". ok is false when the line is not a mapping
// entry (no ": " outside quotes).
func splitKey(l yline) (key, rest string, ok bool, err error) {
	s := l.text
	if s[0] == '"' || s[0] == '\'' {
		end := closingQuote(s)
		if end < 0 {
			return "", "", false, yerr(l.num, "unterminated quoted string")
		}
		after := s[end+1:]
		if after != ":" && !strings.HasPrefix(after, ": ") {
			return "", "", false, nil
		}
		k, err := scalar(s[:end+1], l.num)
		if err != nil {
			return "", "", false, err
		}
		return k.value, strings.TrimSpace(after[1:]), true, nil
	}
	i := strings.Index(s, ": ")
	if i < 0 {
		if !strings.HasSuffix(s, ":") {
			return "", "", false, nil
		}
		i = len(s) - 1
	}
	key = strings.TrimRight(s[:i], " \t")
	if key == "" {
		return "", "", false, yerr(l.num, "a mapping entry without a key")
	}
	if k, err := scalar(key, l.num); err != nil {
		return "", "", false, err // the same message as for a value
	} else if k.kind != yScalar {
		return "", "", false, yerr(l.num, "a null key")
	}
	return key, strings.TrimSpace(s[i+1:]), true, nil
}

// closingQuote returns the index of the quote closing the scalar s starts
// with, or -1.
func closingQuote(s string) int {
	q := s[0]
	for i := 1; i < len(s); i++ {
		switch {
		case q == '"' && s[i] == '\\':
			i++
		case s[i] == q && q == '\'' && i+1 < len(s) && s[i+1] == '\'':
			i++
		case s[i] == q:
			return i
		}
	}
	return -1
}

// scalar reads one value: plain, 'single-quoted' or "double-quoted".
func scalar(s string, num int) (*ynode, error) {
	n := &ynode{kind: yScalar, line: num}
	switch s[0] {
	case '"', '\'':
		end := closingQuote(s)
		if end < 0 {
			return nil, yerr(num, "unterminated quoted string")
		}
		if end != len(s)-1 {
			return nil, yerr(num, "text after a quoted string")
		}
		if s[0] == '\'' {
			n.value = strings.ReplaceAll(s[1:end], "''", "'")
			return n, nil
		}
		v, err := unquoteDouble(s[:end+1])
		if err != nil {
			return nil, yerr(num, "%v", err)
		}
		n.value = v
		return n, nil
	case '[', '{':
		return nil, yerr(num, "flow style (%q) is not supported; write one `key: value` per line and a list with `- ` items", s[:1])
	case '*':
		return nil, yerr(num, "a value starting with \"*\" must be quoted, as in \"*.dkr.ecr.eu-west-1.amazonaws.com\" (YAML aliases are not supported)")
	case '&', '!', '|', '>', '%', '@', '`', ',', ']', '}', '#':
		return nil, yerr(num, "unsupported YAML syntax %q (anchors, tags and block scalars are not supported); quote the value", s[:1])
	case '-', '?', ':':
		if len(s) == 1 || s[1] == ' ' || s[1] == '\t' {
			return nil, yerr(num, "unsupported YAML syntax %q; quote the value", s[:1])
		}
	}
	if strings.Contains(s, ": ") || strings.HasSuffix(s, ":") {
		return nil, yerr(num, "a value with \": \" in it must be quoted")
	}
	switch s {
	case "~", "null", "Null", "NULL":
		n.kind = yNull
		return n, nil
	}
	n.value = s
	return n, nil
}

// unquoteDouble decodes a double-quoted YAML scalar: the escapes shared with
// Go (\" \\ \n \t \r \0 \a \b \f \v \e \xXX \uXXXX \UXXXXXXXX).
func unquoteDouble(s string) (string, error) {
	body := s[1 : len(s)-1]
	if !strings.Contains(body, `\`) {
		return body, nil
	}
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(body) {
			return "", fmt.Errorf("bad escape at the end of %s", s)
		}
		i++
		switch e := body[i]; e {
		case '"', '\\':
			b.WriteByte(e)
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '0':
			b.WriteByte(0)
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case 'e':
			b.WriteByte(0x1b)
		case 'x', 'u', 'U':
			size := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if i+1+size > len(body) {
				return "", fmt.Errorf("bad \\%c escape in %s", e, s)
			}
			r, err := strconv.ParseUint(body[i+1:i+1+size], 16, 32)
			if err != nil || !utf8.ValidRune(rune(r)) {
				return "", fmt.Errorf("bad \\%c escape in %s", e, s)
			}
			b.WriteRune(rune(r))
			i += size
		default:
			return "", fmt.Errorf("unsupported escape \\%c in %s", e, s)
		}
	}
	return b.String(), nil
}
