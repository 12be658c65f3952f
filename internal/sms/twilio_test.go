package sms_test

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/trustcred/trustcred/internal/sms"
	"github.com/trustcred/trustcred/internal/sms/smstest"
)

func twilio(s *smstest.Server) *sms.Twilio {
	return &sms.Twilio{AccountSID: smstest.AccountSID, AuthToken: smstest.AuthToken, From: smstest.From, BaseURL: s.URL}
}

// A message goes out as Twilio wants it (basic auth, form fields) and its
// SID comes back; Twilio's errors are told apart: permanent (invalid
// number, bad credentials) or to retry (429, 5xx).
func TestTwilioSend(t *testing.T) {
	ctx := context.Background()
	s := smstest.Start(t)
	tw := twilio(s)
	res, err := tw.Send(ctx, sms.Message{To: "+14155550123", Body: "Hello", StatusCallback: "https://tc.example/sms/twilio/status"})
	if err != nil || res.ID == "" || res.Status != "queued" {
		t.Fatalf("send: %+v %v", res, err)
	}
	got := s.Messages()
	if len(got) != 1 || got[0].To != "+14155550123" || got[0].From != smstest.From || got[0].Body != "Hello" ||
		got[0].StatusCallback != "https://tc.example/sms/twilio/status" || got[0].SID != res.ID {
		t.Fatalf("the server got %+v", got)
	}

	_, err = tw.Send(ctx, sms.Message{To: smstest.InvalidNumber, Body: "Hello"})
	var e *sms.Error
	if !errors.As(err, &e) || e.HTTPStatus != 400 || e.Code != 21211 || !sms.Permanent(err) ||
		e.Message != "The 'To' number +15005550001 is not a valid phone number." {
		t.Fatalf("invalid number: %#v", err)
	}
	for _, status := range []int{429, 500, 503} {
		s.FailNext(status)
		_, err = tw.Send(ctx, sms.Message{To: "+14155550123", Body: "Hello"})
		if !errors.As(err, &e) || e.HTTPStatus != status || sms.Permanent(err) {
			t.Fatalf("%d: %#v, want a temporary error", status, err)
		}
	}
	bad := twilio(s)
	bad.AuthToken = "wrong"
	if _, err = bad.Send(ctx, sms.Message{To: "+14155550123", Body: "Hello"}); !errors.As(err, &e) || e.Code != 20003 || !sms.Permanent(err) {
		t.Fatalf("bad credentials: %#v", err)
	}
	if n := len(s.Messages()); n != 1 {
		t.Fatalf("%d messages accepted, want 1", n)
	}
	if _, err := (sms.Unconfigured{}).Send(ctx, sms.Message{}); !errors.Is(err, sms.ErrNotConfigured) {
		t.Fatal(err)
	}
}

// Twilio's own documented example of a request signature.
func TestTwilioSignature(t *testing.T) {
	params := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+14158675310"}, "Digits": {"1234"},
		"From": {"+14158675310"}, "To": {"+18005551212"}}
	const u = "https://mycompany.com/myapp.php?foo=1&bar=2"
	if got := sms.TwilioSignature("12345", u, params); got != "GvWf1cFY/Q7PnoempGyD5oXAezc=" {
		t.Fatalf("signature %q", got)
	}
	if !sms.ValidTwilioSignature("12345", u, params, "GvWf1cFY/Q7PnoempGyD5oXAezc=") {
		t.Fatal("the documented signature does not verify")
	}
	params.Set("Digits", "1235")
	if sms.ValidTwilioSignature("12345", u, params, "GvWf1cFY/Q7PnoempGyD5oXAezc=") {
		t.Fatal("a changed parameter verifies")
	}
	if sms.ValidTwilioSignature("", u, params, "") {
		t.Fatal("an empty signature verifies")
	}
}
