// Package smstest is a local server that speaks Twilio's Messages API, for
// tests: it checks basic auth and the form fields as Twilio does, records
// the messages it accepts, and answers like Twilio, including its errors
// (400 code 21211 for an invalid number, 429, 5xx) when told to.
package smstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Credentials the server accepts.
const (
	AccountSID = "AC00000000000000000000000000000001"
	AuthToken  = "test-auth-token-0123456789abcdef" // #nosec G101 -- the fake server's own test token, not a credential
	From       = "+15005550006"
)

// Sent is one message the server accepted.
type Sent struct {
	SID, To, From, Body, StatusCallback string
}

// Server is the fake Twilio.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	sent     []Sent
	requests int
	fail     []int // the answers to give next (status codes), first first
}

// Start starts a server, closed when the test ends.
func Start(t testing.TB) *Server {
	s := &Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// FailNext makes the next requests answer these statuses (429, 500, 503…)
// with Twilio's error body, one per request, before answering normally.
func (s *Server) FailNext(statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = append(s.fail, statuses...)
}

// Messages is what the server accepted, in order.
func (s *Server) Messages() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// Requests counts every request, accepted or not.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// InvalidNumber is a number the server refuses as Twilio refuses an
// invalid 'To' number (400, code 21211).
const InvalidNumber = "+15005550001"

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	var fail int
	if len(s.fail) > 0 {
		fail, s.fail = s.fail[0], s.fail[1:]
	}
	s.mu.Unlock()
	want := "/2010-04-01/Accounts/" + AccountSID + "/Messages.json"
	if r.Method != http.MethodPost || r.URL.Path != want {
		twilioError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	if u, p, ok := r.BasicAuth(); !ok || u != AccountSID || p != AuthToken {
		twilioError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		twilioError(w, http.StatusBadRequest, 20001, "Content-Type must be application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		twilioError(w, http.StatusBadRequest, 20001, "Unparseable form")
		return
	}
	switch {
	case fail == http.StatusTooManyRequests:
		twilioError(w, fail, 20429, "Too Many Requests")
		return
	case fail != 0:
		twilioError(w, fail, 20500, "Internal Server Error")
		return
	}
	to, from, body := r.PostForm.Get("To"), r.PostForm.Get("From"), r.PostForm.Get("Body")
	switch {
	case to == "":
		twilioError(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
		return
	case from == "":
		twilioError(w, http.StatusBadRequest, 21603, "A 'From' phone number is required.")
		return
	case body == "":
		twilioError(w, http.StatusBadRequest, 21602, "Message body is required.")
		return
	case to == InvalidNumber || !strings.HasPrefix(to, "+"):
		twilioError(w, http.StatusBadRequest, 21211, fmt.Sprintf("The 'To' number %s is not a valid phone number.", to))
		return
	}
	s.mu.Lock()
	sid := fmt.Sprintf("SM%032x", len(s.sent)+1)
	s.sent = append(s.sent, Sent{SID: sid, To: to, From: from, Body: body, StatusCallback: r.PostForm.Get("StatusCallback")})
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"sid": sid, "account_sid": AccountSID, "to": to, "from": from, "body": body,
		"status": "queued", "num_segments": "1", "direction": "outbound-api", "api_version": "2010-04-01",
		"error_code": nil, "error_message": nil, "uri": strings.TrimSuffix(want, ".json") + "/" + sid + ".json",
	})
}

func twilioError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"code": code, "message": msg, "more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code), "status": status,
	})
}
