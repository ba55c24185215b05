package textdiff

import (
	"slices"
	"strconv"
	"testing"
)

func TestUnified(t *testing.T) {
	t.Parallel()
	a := []byte("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n")
	b := []byte("a\nb\nc\nd\nE\nf\ng\nh\ni\nj\nk\nl\n")
	want := "--- x\n+++ y\n@@ -2,10 +2,11 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n i\n j\n k\n+l\n"
	if got := Unified("x", "y", a, b); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	far := []byte("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n")
	far2 := []byte("0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n")
	want = "--- x\n+++ y\n@@ -1,3 +1,4 @@\n+0\n 1\n 2\n 3\n@@ -9,4 +10,3 @@\n 9\n 10\n 11\n-12\n"
	if got := Unified("x", "y", far, far2); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := Unified("x", "y", nil, []byte("{}\n")); got != "--- x\n+++ y\n@@ -0,0 +1,1 @@\n+{}\n" {
		t.Errorf("from nothing: %q", got)
	}
}

// TestDiffLinesRebuildsBothSides checks the edit script on small inputs,
// and on a rest too big for the quadratic part (shown as replaced whole):
// its ' ' and '-' lines are a, its ' ' and '+' lines are b, and the line
// numbers count along.
func TestDiffLinesRebuildsBothSides(t *testing.T) {
	t.Parallel()
	big := func(prefix string, n int) []string {
		var l []string
		for i := range n {
			l = append(l, prefix+strconv.Itoa(i))
		}
		return l
	}
	for _, tt := range []struct{ a, b []string }{
		{nil, nil},
		{nil, []string{"x"}},
		{[]string{"x"}, nil},
		{[]string{"a", "b", "c"}, []string{"a", "c", "d"}},
		{[]string{"a", "b", "a", "b"}, []string{"b", "a", "b", "a"}},
		{append(append([]string{"head"}, big("a", 2100)...), "tail"), append(append([]string{"head"}, big("b", 2100)...), "tail")},
	} {
		var a, b []string
		for _, op := range diffLines(tt.a, tt.b) {
			if op.a != len(a) || op.b != len(b) {
				t.Fatalf("%d lines: op %c %q at %d,%d after %d,%d lines", len(tt.a), op.kind, op.text, op.a, op.b, len(a), len(b))
			}
			if op.kind != '+' {
				a = append(a, op.text)
			}
			if op.kind != '-' {
				b = append(b, op.text)
			}
		}
		if !slices.Equal(a, tt.a) || !slices.Equal(b, tt.b) {
			t.Errorf("%d/%d lines: rebuilt %d/%d lines differ", len(tt.a), len(tt.b), len(a), len(b))
		}
	}
	if n := len(diffLines([]string{"a", "b", "c"}, []string{"a", "x", "c"})); n != 4 {
		t.Errorf("a one-line change is %d ops, want 4 (the common lines kept)", n)
	}
}
