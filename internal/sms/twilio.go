package sms

import (
	"context"
	"crypto/hmac"
	"crypto/sha1" // #nosec G505 -- Twilio signs its callbacks with HMAC-SHA1 (its protocol); we only verify
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// TwilioBaseURL is the address of Twilio's REST API.
const TwilioBaseURL = "https://api.twilio.com"

// Twilio sends through Twilio's Messages API: a form-encoded POST to
// {BaseURL}/2010-04-01/Accounts/{AccountSID}/Messages.json with To, From,
// Body and StatusCallback, authenticated with HTTP basic auth
// (AccountSID:AuthToken).
type Twilio struct {
	AccountSID string
	AuthToken  string // a secret: from the operator's environment only
	From       string // the sending number (E.164) or messaging service's sender
	BaseURL    string // "": TwilioBaseURL; tests point it at smstest
	Client     *http.Client
}

// Name is "twilio" (sms_deliveries.provider).
func (*Twilio) Name() string { return "twilio" }

// twilioMessage is the part of Twilio's message resource we read.
type twilioMessage struct {
	SID    string `json:"sid"`
	Status string `json:"status"`
}

// twilioError is Twilio's error body.
type twilioError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

// Send posts the message. 2xx with a SID: accepted. 4xx other than 429:
// a permanent *Error with Twilio's code and message (21211: the number is
// not valid; 21614: it cannot receive texts; 20003: bad credentials).
// 429 and 5xx: a temporary *Error, for the caller to retry. A transport
// failure is returned as is (temporary).
func (t *Twilio) Send(ctx context.Context, m Message) (Result, error) {
	base := strings.TrimRight(t.BaseURL, "/")
	if base == "" {
		base = TwilioBaseURL
	}
	form := url.Values{"To": {m.To}, "From": {t.From}, "Body": {m.Body}}
	if m.StatusCallback != "" {
		form.Set("StatusCallback", m.StatusCallback)
	}
	endpoint := base + "/2010-04-01/Accounts/" + url.PathEscape(t.AccountSID) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return Result{}, err
	}
	req.SetBasicAuth(t.AccountSID, t.AuthToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	c := t.Client
	if c == nil {
		c = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return Result{}, fmt.Errorf("sms: twilio: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return Result{}, fmt.Errorf("sms: twilio: reading the answer: %w", err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		var msg twilioMessage
		if err := json.Unmarshal(body, &msg); err != nil || msg.SID == "" {
			return Result{}, &Error{HTTPStatus: resp.StatusCode, Message: "answer without a message SID"}
		}
		return Result{ID: msg.SID, Status: msg.Status}, nil
	}
	e := &Error{HTTPStatus: resp.StatusCode, Permanent: resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests}
	var te twilioError
	if json.Unmarshal(body, &te) == nil && te.Message != "" {
		e.Code, e.Message = te.Code, te.Message
	} else {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return Result{}, e
}

// TwilioSignature is the X-Twilio-Signature of a request Twilio sends to
// fullURL with POST params: base64 of the HMAC-SHA1, keyed with the auth
// token, of the URL followed by each parameter's name and value, sorted by
// name.
func TwilioSignature(authToken, fullURL string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range keys {
		vs := append([]string(nil), params[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken)) // #nosec G401 -- HMAC-SHA1 is what Twilio signs with
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// ValidTwilioSignature reports whether signature is Twilio's for the
// request (constant-time comparison).
func ValidTwilioSignature(authToken, fullURL string, params url.Values, signature string) bool {
	if authToken == "" || signature == "" {
		return false
	}
	want := TwilioSignature(authToken, fullURL, params)
	return hmac.Equal([]byte(want), []byte(signature))
}
