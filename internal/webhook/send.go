package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"time"

	"github.com/trustcred/trustcred/internal/outbound"
)

// Limits of one delivery attempt.
const (
	// ResponseKept is how much of a receiver's response body is kept in
	// the delivery log.
	ResponseKept = 4 << 10
	// AttemptTimeout bounds a whole attempt: connecting, sending, the
	// response's headers and the part of its body that is read.
	AttemptTimeout = 10 * time.Second
	// MaxRetryAfter caps the wait a receiver's Retry-After asks for.
	MaxRetryAfter = 6 * time.Hour
	// IdleConnsPerHost is how many connections to one receiver are kept
	// open between deliveries: the outbound queue's workers
	// (jobs.QueueOutbound).
	IdleConnsPerHost = 50
	// drained is how much of a response past ResponseKept is read and
	// thrown away so that its connection serves the next delivery; a
	// longer answer closes the connection instead.
	drained = 64 << 10
)

// ErrURL is an endpoint URL TrustCred does not send to.
var ErrURL = errors.New("webhook: the URL must be https:// (http:// only to a loopback address when private addresses are allowed)")

// CheckURL tells whether deliveries may go to raw: an absolute https URL
// without credentials; http only to a loopback host with a port when
// allowPrivate (as test receivers listen). The address itself is checked
// again when connecting.
func CheckURL(raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return ErrURL
	}
	switch u.Scheme {
	case "https":
		if !allowPrivate {
			if ip, err := netip.ParseAddr(u.Hostname()); err == nil && outbound.Blocked(ip) {
				return fmt.Errorf("%w: %w", ErrURL, outbound.ErrBlockedAddress)
			}
		}
		return nil
	case "http":
		host := u.Hostname()
		ip, err := netip.ParseAddr(host)
		if allowPrivate && u.Port() != "" && (host == "localhost" || err == nil && ip.IsLoopback()) {
			return nil
		}
	}
	return ErrURL
}

// Attempt is what one delivery attempt did, as the delivery log shows it.
type Attempt struct {
	RequestHeaders http.Header
	Status         int           // the receiver's HTTP status; 0 when none came
	Response       string        // the first ResponseKept bytes of its body
	Duration       time.Duration // from sending to the end of what was read
	Err            error         // why there was no response (timeout, refused, blocked…)
	RetryAfter     time.Duration // what a 429 or 503 asked for with Retry-After, capped
}

// OK reports whether the receiver took the delivery (any 2xx).
func (a Attempt) OK() bool { return a.Err == nil && a.Status >= 200 && a.Status < 300 }

// Gone reports whether the receiver said the endpoint no longer exists
// (410): it is disabled at once.
func (a Attempt) Gone() bool { return a.Status == http.StatusGone }

// Sender posts deliveries: through the outbound address guard, without
// following redirects (a 3xx is a failed attempt), without any proxy,
// within AttemptTimeout, reading at most ResponseKept bytes back.
type Sender struct {
	AllowPrivate bool
	Timeout      time.Duration // AttemptTimeout when zero
	UserAgent    string
	client       *http.Client
}

// NewSender makes a Sender.
func NewSender(allowPrivate bool, timeout time.Duration) *Sender {
	if timeout <= 0 {
		timeout = AttemptTimeout
	}
	s := &Sender{AllowPrivate: allowPrivate, Timeout: timeout, UserAgent: "TrustCred-Webhooks/1"}
	// Keep a connection per delivery worker to a receiver: net/http keeps
	// two idle connections per host by default, so a busy endpoint's
	// deliveries opened (and left in TIME_WAIT) a connection each.
	tr := outbound.Transport(timeout, allowPrivate)
	tr.MaxIdleConns = 4 * IdleConnsPerHost
	tr.MaxIdleConnsPerHost = IdleConnsPerHost
	s.client = &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return s
}

// Send posts body to endpoint with the Standard Webhooks headers: id (the
// same on every attempt), the attempt's time and the signatures.
func (s *Sender) Send(ctx context.Context, endpoint, id string, now time.Time, body []byte, signatures ...string) Attempt {
	var a Attempt
	if err := CheckURL(endpoint, s.AllowPrivate); err != nil {
		a.Err = err
		return a
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		a.Err = err
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.UserAgent)
	Headers(req.Header, id, now, signatures...)
	a.RequestHeaders = req.Header.Clone()
	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		a.Duration = time.Since(start)
		a.Err = err
		return a
	}
	defer resp.Body.Close()
	// What was read before a broken connection is still worth logging.
	kept, _ := io.ReadAll(io.LimitReader(resp.Body, ResponseKept))
	a.Duration = time.Since(start)
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drained))
	a.Status = resp.StatusCode
	a.Response = string(kept)
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		a.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return a
}

// retryAfter reads a Retry-After header: seconds or an HTTP date; zero
// when absent or unreadable, at most MaxRetryAfter.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}
