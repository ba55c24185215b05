package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func newTestServer(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	rec := filepath.Join(t.TempDir(), "record.jsonl")
	f, err := os.OpenFile(rec, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	ts := httptest.NewServer(&server{record: f, logger: log.New(io.Discard, "", 0)})
	t.Cleanup(ts.Close)
	return ts, rec
}

func TestPing(t *testing.T) {
	ts, _ := newTestServer(t)
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		req, _ := http.NewRequest(method, ts.URL+"/_ping", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("API-Version") != "1.45" || resp.Header.Get("OSType") != "linux" {
			t.Errorf("%s /_ping: %d %v", method, resp.StatusCode, resp.Header)
		}
		if want := map[string]string{http.MethodGet: "OK", http.MethodHead: ""}[method]; string(body) != want {
			t.Errorf("%s /_ping body %q, want %q", method, body, want)
		}
	}
}

func TestVersionAndNotImplemented(t *testing.T) {
	ts, _ := newTestServer(t)
	resp, err := http.Get(ts.URL + "/v1.45/version")
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ ApiVersion, Os string }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != 200 || v.ApiVersion != "1.45" || v.Os != "linux" {
		t.Errorf("version: %d %+v %v", resp.StatusCode, v, err)
	}
	resp.Body.Close()

	resp, err = http.Get(ts.URL + "/v1.45/containers/json")
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Message string }
	_ = json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if resp.StatusCode != 404 || m.Message != "not implemented" {
		t.Errorf("other endpoint: %d %+v", resp.StatusCode, m)
	}
}

func TestImagesCreateRecordsAuth(t *testing.T) {
	ts, rec := newTestServer(t)
	auth, _ := json.Marshal(map[string]string{"username": "AWS", "password": "s3cret", "serveraddress": "123456789012.dkr.ecr.us-east-1.amazonaws.com"})
	for _, enc := range []*base64.Encoding{base64.URLEncoding, base64.RawURLEncoding} {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1.45/images/create?fromImage=123456789012.dkr.ecr.us-east-1.amazonaws.com%2Frepo&tag=v1", nil)
		req.Header.Set("X-Registry-Auth", enc.EncodeToString(auth))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), `{"status":"Pulled"}`) {
			t.Errorf("images/create: %d %s", resp.StatusCode, body)
		}
	}
	// No auth header at all: still answered, recorded with an error.
	resp, err := http.Post(ts.URL+"/images/create?fromImage=example.com%2Fr&tag=latest", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	f, err := os.Open(rec)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("record line %q: %v", sc.Text(), err)
		}
		got = append(got, r)
	}
	if len(got) != 3 {
		t.Fatalf("got %d records, want 3: %+v", len(got), got)
	}
	want := Record{FromImage: "123456789012.dkr.ecr.us-east-1.amazonaws.com/repo", Tag: "v1", Username: "AWS", Password: "s3cret", ServerAddress: "123456789012.dkr.ecr.us-east-1.amazonaws.com"}
	for i := 0; i < 2; i++ {
		if got[i] != want {
			t.Errorf("record %d = %+v, want %+v", i, got[i], want)
		}
	}
	if got[2].FromImage != "example.com/r" || got[2].Username != "" || got[2].Error == "" {
		t.Errorf("record without auth = %+v", got[2])
	}
}
