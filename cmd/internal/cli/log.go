package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ecr-login/ecr-login/ecr"
)

// NewLogger returns the logger for a binary called name: warnings and errors
// (or the configured level) to stderr as one readable line each, and, when
// file is set, the same records with timestamps to that file (mode 0600).
// Every record passes through ecr.Redact first. The returned close function
// flushes and closes the file.
func NewLogger(name string, stderr io.Writer, level, file string) (*slog.Logger, func(), error) {
	lvl := parseLevel(level)
	handlers := []slog.Handler{&lineHandler{name: name, w: stderr, level: lvl, mu: new(sync.Mutex)}}
	closer := func() {}
	if file != "" {
		f, err := openLogFile(file)
		if err != nil {
			return nil, closer, err
		}
		handlers = append(handlers, slog.NewTextHandler(RedactingWriter(f), &slog.HandlerOptions{Level: lvl}))
		closer = func() { f.Close() }
	}
	if len(handlers) == 1 {
		return slog.New(redactingHandler{handlers[0]}), closer, nil
	}
	return slog.New(redactingHandler{slog.NewMultiHandler(handlers...)}), closer, nil
}

// openLogFile opens AWS_ECR_LOG_FILE for appending, mode 0600. It never
// follows a symbolic link (where the system can tell) nor writes to a file
// with other hard links, so it cannot be pointed at, or chmod, another file.
func openLogFile(file string) (*os.File, error) {
	if oNoFollow == 0 {
		if fi, err := os.Lstat(file); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			return nil, fmt.Errorf("log file %s (%s) is a symbolic link; refusing to write through it, name the real file", file, EnvLogFile)
		}
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE|oNoFollow, 0o600)
	if err != nil {
		if fi, lerr := os.Lstat(file); lerr == nil && fi.Mode()&os.ModeSymlink != 0 {
			return nil, fmt.Errorf("log file %s (%s) is a symbolic link; refusing to write through it, name the real file", file, EnvLogFile)
		}
		return nil, fmt.Errorf("opening log file: %w", err)
	}
	fi, err := f.Stat()
	switch {
	case err != nil:
		f.Close()
		return nil, fmt.Errorf("opening log file: %w", err)
	case !fi.Mode().IsRegular():
		f.Close()
		return nil, fmt.Errorf("log file %s (%s) is not a regular file", file, EnvLogFile)
	case linkCount(fi) > 1:
		f.Close()
		return nil, fmt.Errorf("log file %s (%s) has other hard links; refusing to write to it, name a file of its own", file, EnvLogFile)
	}
	if err := f.Chmod(0o600); err != nil { // the open file itself, never a link target
		f.Close()
		return nil, fmt.Errorf("opening log file: %w", err)
	}
	return f, nil
}

// RedactingWriter passes every write through ecr.Redact: the boundary for
// stderr and any other stream that must never carry a secret. Each write is
// redacted whole (loggers and fmt.Fprint write a message at once).
func RedactingWriter(w io.Writer) io.Writer {
	if _, ok := w.(redactingWriter); ok {
		return w
	}
	return redactingWriter{w}
}

type redactingWriter struct{ w io.Writer }

func (r redactingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(r.w, ecr.Redact(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// redactingHandler redacts a record's message and attribute values before
// any handler formats them (quoting would otherwise hide a secret from the
// writer's redaction).
type redactingHandler struct{ inner slog.Handler }

func (h redactingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h redactingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, ecr.Redact(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h redactingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = redactAttr(a)
	}
	return redactingHandler{h.inner.WithAttrs(red)}
}

func (h redactingHandler) WithGroup(name string) slog.Handler {
	return redactingHandler{h.inner.WithGroup(name)}
}

func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindGroup:
		g := v.Group()
		red := make([]slog.Attr, len(g))
		for i, x := range g {
			red[i] = redactAttr(x)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(red...)}
	case slog.KindString, slog.KindAny:
		return slog.String(a.Key, ecr.Redact(v.String()))
	}
	return slog.Attr{Key: a.Key, Value: v}
}

func parseLevel(s string) slog.Level {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug
	case "info":
		return slog.LevelInfo
	case "error":
		return slog.LevelError
	}
	return slog.LevelWarn
}

// lineHandler writes "name: level: message (key=value, ...)" lines.
type lineHandler struct {
	name  string
	w     io.Writer
	level slog.Level
	attrs []slog.Attr
	mu    *sync.Mutex
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(h.name)
	b.WriteString(": ")
	b.WriteString(strings.ToLower(r.Level.String()))
	b.WriteString(": ")
	b.WriteString(r.Message)
	var parts []string
	add := func(a slog.Attr) bool {
		if a.Key == "" {
			return true
		}
		v := a.Value.Resolve()
		s := v.String()
		if v.Kind() == slog.KindTime {
			s = v.Time().Format(time.RFC3339)
		}
		parts = append(parts, a.Key+"="+s)
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	if len(parts) > 0 {
		b.WriteString(" (")
		b.WriteString(strings.Join(parts, ", "))
		b.WriteString(")")
	}
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *lineHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &c
}

func (h *lineHandler) WithGroup(string) slog.Handler { return h }
