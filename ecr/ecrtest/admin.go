// The admin API under /_fake/: call counts, the call log, fault injection
// and reset, for tests and scripts that drive the fake over HTTP.

package ecrtest

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
)

// --- admin API ----------------------------------------------------------------

// Stats is the body of GET /_fake/calls.
type Stats struct {
	Calls     int    `json:"calls"`
	Throttled int    `json:"throttled"`
	Log       []Call `json:"log"`

	STSCalls int       `json:"sts_calls"`
	STSLog   []STSCall `json:"sts_log"`
}

func (f *Fake) serveAdmin(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case AdminPrefix + "calls":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			adminMethodNotAllowed(w, "GET, HEAD")
			return
		}
		f.mu.Lock()
		st := Stats{Calls: len(f.calls), Throttled: f.throttled, Log: append([]Call{}, f.calls...),
			STSCalls: len(f.sts.calls), STSLog: append([]STSCall{}, f.sts.calls...)}
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, st)
	case AdminPrefix + "reset":
		if r.Method != http.MethodPost {
			adminMethodNotAllowed(w, "POST")
			return
		}
		f.Reset()
		writeJSON(w, http.StatusOK, Stats{Log: []Call{}, STSLog: []STSCall{}})
	case AdminPrefix + "fault":
		if r.Method != http.MethodPost {
			adminMethodNotAllowed(w, "POST")
			return
		}
		var fj faultJSON
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&fj); err != nil && !errors.Is(err, io.EOF) {
			http.Error(w, "bad fault: "+err.Error(), http.StatusBadRequest)
			return
		}
		ft := Fault{Kind: fj.Kind, Times: fj.Times, Service: fj.Service, Message: fj.Message}
		if fj.Duration != "" {
			d, err := time.ParseDuration(fj.Duration)
			if err != nil {
				http.Error(w, "bad fault duration: "+err.Error(), http.StatusBadRequest)
				return
			}
			ft.Duration = d
		}
		f.SetFault(ft)
		writeJSON(w, http.StatusOK, fj)
	default:
		http.NotFound(w, r)
	}
}

func adminMethodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
