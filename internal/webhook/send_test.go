package webhook

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/outbound"
)

func TestCheckURL(t *testing.T) {
	for _, tc := range []struct {
		url          string
		allowPrivate bool
		ok           bool
	}{
		{"https://hooks.example.com/trustcred", false, true},
		{"https://hooks.example.com:8443/x?y=1", false, true},
		{"http://hooks.example.com/trustcred", false, false},
		{"http://hooks.example.com/trustcred", true, false},
		{"http://127.0.0.1:8080/hook", true, true},
		{"http://localhost:8080/hook", true, true},
		{"http://127.0.0.1:8080/hook", false, false},
		{"http://127.0.0.1/hook", true, false}, // no port: not a test receiver
		{"https://127.0.0.1/hook", false, false},
		{"https://10.0.0.5/hook", false, false},
		{"https://[::1]/hook", false, false},
		{"https://169.254.169.254/latest/meta-data", false, false},
		{"https://10.0.0.5/hook", true, true},
		{"https://user:pass@hooks.example.com/", false, false},
		{"ftp://hooks.example.com/", false, false},
		{"hooks.example.com/x", false, false},
		{"https://", false, false},
		{"https://hooks.example.com/#frag", false, false},
	} {
		if err := CheckURL(tc.url, tc.allowPrivate); (err == nil) != tc.ok {
			t.Errorf("CheckURL(%q, allowPrivate %v) = %v, want ok %v", tc.url, tc.allowPrivate, err, tc.ok)
		}
	}
}

// A receiver gets the body with the Standard Webhooks headers, and what
// it answers is what the attempt records, whatever it does.
func TestSend(t *testing.T) {
	key, _ := ParseSecret(specSecret)
	body := []byte(`{"type":"credential.issued","version":1,"timestamp":"2026-06-01T09:30:00Z","data":{}}`)
	var verified atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		got, _ := io.ReadAll(r.Body)
		if err := (Verifier{Keys: [][]byte{key}}).Verify(r.Header, got); err == nil && r.Header.Get("Content-Type") == "application/json" {
			verified.Add(1)
		}
		w.Write([]byte("thanks"))
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "database locked", 500) })
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(410) })
	mux.HandleFunc("/slow-down", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(429)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusTemporaryRedirect) })
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 64<<10))
		for range 160 { // 10 MB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	})
	mux.HandleFunc("/drop", func(w http.ResponseWriter, r *http.Request) {
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			c.Close()
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	s := NewSender(true, time.Second)
	now := time.Now()
	send := func(path string) Attempt {
		return s.Send(context.Background(), srv.URL+path, "evt_1", now, body, Sign(key, "evt_1", now, body))
	}
	if a := send("/ok"); !a.OK() || a.Status != 200 || a.Response != "thanks" || verified.Load() != 1 || a.RequestHeaders.Get(HeaderID) != "evt_1" {
		t.Errorf("/ok: %+v, verified %d", a, verified.Load())
	}
	if a := send("/fail"); a.OK() || a.Status != 500 || !strings.Contains(a.Response, "database locked") {
		t.Errorf("/fail: %+v", a)
	}
	if a := send("/gone"); a.OK() || !a.Gone() {
		t.Errorf("/gone: %+v", a)
	}
	if a := send("/slow-down"); a.OK() || a.RetryAfter != 2*time.Minute {
		t.Errorf("/slow-down: %+v", a)
	}
	if a := send("/redirect"); a.OK() || a.Status != 307 || verified.Load() != 1 {
		t.Errorf("/redirect was followed or taken: %+v", a)
	}
	if a := send("/huge"); !a.OK() || len(a.Response) != ResponseKept {
		t.Errorf("/huge: status %d, kept %d bytes, err %v", a.Status, len(a.Response), a.Err)
	}
	start := time.Now()
	if a := send("/hang"); a.OK() || a.Err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("/hang: %+v after %v", a, time.Since(start))
	}
	if a := send("/drop"); a.OK() || a.Err == nil {
		t.Errorf("/drop: %+v", a)
	}
}

// Without private addresses allowed, a name that resolves to loopback is
// refused when connecting, and the receiver sees nothing.
func TestSendRefusesPrivateAddresses(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	s := NewSender(false, time.Second)
	a := s.Send(context.Background(), "https://localhost:"+port+"/hook", "evt_1", time.Now(), []byte("{}"))
	if !errors.Is(a.Err, outbound.ErrBlockedAddress) || hits.Load() != 0 {
		t.Errorf("attempt %+v, %d hits", a, hits.Load())
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              0,
		"30":                            30 * time.Second,
		"0":                             0,
		"-5":                            0,
		"soon":                          0,
		"99999999":                      MaxRetryAfter,
		"Mon, 01 Jun 2026 09:10:00 GMT": 10 * time.Minute,
		"Mon, 01 Jun 2026 08:00:00 GMT": 0,
	} {
		if got := retryAfter(v, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", v, got, want)
		}
	}
}
