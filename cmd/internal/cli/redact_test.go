package cli

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecr-login/ecr-login/ecr"
)

// Every record the logger writes, to stderr and to the log file, passes
// through ecr.Redact: message, attributes, errors, groups, WithAttrs.
func TestLoggerRedactsEverything(t *testing.T) {
	const secret = `cli-logger-secret"with\quote-5e2a`
	const shaped = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	ecr.RememberSecrets(secret)
	file := filepath.Join(t.TempDir(), "helper.log")
	var stderr bytes.Buffer
	logger, closeLog, err := NewLogger("test", &stderr, "debug", file)
	if err != nil {
		t.Fatal(err)
	}
	logger.With("pre", "x "+secret).Error("failed: "+secret+" "+shaped,
		"cause", errors.New("boom "+shaped),
		slog.Group("g", "inner", secret),
		"plain", "keep me")
	closeLog()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for what, text := range map[string]string{"stderr": stderr.String(), "file": string(data)} {
		for _, s := range []string{"cli-logger-secret", "quote-5e2a", shaped} {
			if strings.Contains(text, s) {
				t.Errorf("%s holds %q:\n%s", what, s, text)
			}
		}
		if !strings.Contains(text, "keep me") || !strings.Contains(text, ecr.Redacted) {
			t.Errorf("%s lost ordinary text or shows no redaction:\n%s", what, text)
		}
	}
	var out bytes.Buffer
	RedactingWriter(&out).Write([]byte("token " + shaped + "\n"))
	if strings.Contains(out.String(), shaped) {
		t.Fatalf("RedactingWriter passed a secret: %q", out.String())
	}
}
