// Command fakedockerd is a tiny stand-in for the Docker daemon, used only by
// the e2e suite (e2e/run.sh). It listens on a unix socket and implements just
// enough of the Engine API for `docker pull` to run end to end:
//
//	GET|HEAD /_ping                     200 "OK", API-Version 1.45, OSType linux
//	GET /v*/version                     minimal version JSON
//	POST /v*/images/create?fromImage=.. decodes X-Registry-Auth into the record
//	                                    file (one JSON object per line) and
//	                                    answers a one-line progress stream
//	anything else                       404 {"message":"not implemented"}
//
// The docker CLI builds X-Registry-Auth itself by running the credential
// helper named in DOCKER_CONFIG/config.json, so the record file shows which
// credentials the CLI obtained from the helper. It never talks to a registry.
package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"sync"
	"syscall"
	"time"
)

const apiVersion = "1.45"

// Record is one line of the record file.
type Record struct {
	FromImage     string `json:"fromImage"`
	Tag           string `json:"tag"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	ServerAddress string `json:"serveraddress"`
	Error         string `json:"error,omitempty"`
}

// authConfig mirrors the fields of the Engine API's AuthConfig that matter here.
type authConfig struct {
	Username      string `json:"username"`
	Password      string `json:"password"`
	ServerAddress string `json:"serveraddress"`
	IdentityToken string `json:"identitytoken,omitempty"`
}

var (
	versionPath = regexp.MustCompile(`^(/v[0-9]+(\.[0-9]+)?)?/version$`)
	createPath  = regexp.MustCompile(`^(/v[0-9]+(\.[0-9]+)?)?/images/create$`)
)

type server struct {
	mu     sync.Mutex
	record *os.File
	logger *log.Logger
}

// decodeAuth decodes an X-Registry-Auth header value. The CLI sends base64url
// with padding; unpadded and standard alphabets are accepted too.
func decodeAuth(v string) (authConfig, error) {
	var ac authConfig
	if v == "" {
		return ac, errors.New("no X-Registry-Auth header")
	}
	var raw []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.URLEncoding, base64.RawURLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if raw, err = enc.DecodeString(v); err == nil {
			break
		}
	}
	if err != nil {
		return ac, fmt.Errorf("X-Registry-Auth is not base64: %v", err)
	}
	if err := json.Unmarshal(raw, &ac); err != nil {
		return ac, fmt.Errorf("X-Registry-Auth is not JSON: %v", err)
	}
	return ac, nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.logger.Printf("%s %s", r.Method, r.URL.RequestURI())
	h := w.Header()
	h.Set("API-Version", apiVersion)
	h.Set("OSType", "linux")
	h.Set("Docker-Experimental", "false")
	h.Set("Server", "fakedockerd")

	switch {
	case r.URL.Path == "/_ping" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
		h.Set("Pragma", "no-cache")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write([]byte("OK"))
		}
	case versionPath.MatchString(r.URL.Path) && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{
			"Version":       "0.0.0-fakedockerd",
			"ApiVersion":    apiVersion,
			"MinAPIVersion": "1.24",
			"Os":            "linux",
			"Arch":          "amd64",
			"GitCommit":     "fake",
			"GoVersion":     runtime.Version(),
			"KernelVersion": "fake",
			"BuildTime":     time.Unix(0, 0).UTC().Format(time.RFC3339),
			"Components": []map[string]any{
				{"Name": "Engine", "Version": "0.0.0-fakedockerd", "Details": map[string]string{
					"ApiVersion":    apiVersion,
					"MinAPIVersion": "1.24",
					"Os":            "linux",
					"Arch":          "amd64",
					"GitCommit":     "fake",
					"GoVersion":     runtime.Version(),
					"Experimental":  "false",
				}},
			},
		})
	case createPath.MatchString(r.URL.Path) && r.Method == http.MethodPost:
		s.imagesCreate(w, r)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "not implemented"})
	}
}

func (s *server) imagesCreate(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rec := Record{FromImage: q.Get("fromImage"), Tag: q.Get("tag")}
	ac, err := decodeAuth(r.Header.Get("X-Registry-Auth"))
	if err != nil {
		rec.Error = err.Error()
	}
	rec.Username, rec.Password, rec.ServerAddress = ac.Username, ac.Password, ac.ServerAddress
	if err := s.append(rec); err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "record: " + err.Error()})
		return
	}
	if rec.FromImage == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "fromImage is required"})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	_ = enc.Encode(map[string]string{"status": "Pulling from " + rec.FromImage, "id": rec.Tag})
	_ = enc.Encode(map[string]string{"status": "Pulled"})
}

func (s *server) append(rec Record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.record == nil {
		return nil
	}
	if _, err := s.record.Write(append(b, '\n')); err != nil {
		return err
	}
	return s.record.Sync()
}

func main() {
	socket := flag.String("socket", "", "unix socket path to listen on (required)")
	record := flag.String("record", "", "file to append one JSON line per image pull to")
	quiet := flag.Bool("quiet", false, "do not log requests to stderr")
	flag.Parse()
	if *socket == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: fakedockerd -socket PATH [-record FILE] [-quiet]")
		os.Exit(2)
	}
	logger := log.New(os.Stderr, "fakedockerd: ", log.LstdFlags|log.Lmicroseconds)
	if *quiet {
		logger.SetOutput(discard{})
	}
	s := &server{logger: logger}
	if *record != "" {
		f, err := os.OpenFile(*record, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			log.Fatalf("fakedockerd: %v", err)
		}
		s.record = f
	}
	if fi, err := os.Lstat(*socket); err == nil && fi.Mode()&os.ModeSocket != 0 {
		_ = os.Remove(*socket)
	}
	ln, err := net.Listen("unix", *socket)
	if err != nil {
		log.Fatalf("fakedockerd: %v", err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		_ = srv.Close()
	}()
	logger.Printf("listening on %s", *socket)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("fakedockerd: %v", err)
	}
	_ = os.Remove(*socket)
	if s.record != nil {
		_ = s.record.Close()
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
