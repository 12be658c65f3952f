package mailtest

import (
	"net/smtp"
	"os"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestMessagesMatchTheExactRecipient(t *testing.T) {
	srv := Start(t)
	to := Address(t)
	other := "x" + to // a substring match would also find this one
	for _, rcpt := range []string{to, other, to} {
		body := "From: noreply@trustcred.test\r\nTo: " + rcpt + "\r\nSubject: hello " + rcpt + "\r\n\r\nbody\r\n"
		if err := smtp.SendMail(srv.SMTPAddr(), nil, "noreply@trustcred.test", []string{rcpt}, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	srv.WaitFor(t, other, 10*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for len(srv.Messages(t, to)) < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	msgs := srv.Messages(t, to)
	if len(msgs) != 2 {
		t.Fatalf("%d messages to %s, want 2: %+v", len(msgs), to, msgs)
	}
	for _, m := range msgs {
		if len(m.To) != 1 || m.To[0] != to || m.From != "noreply@trustcred.test" ||
			m.Subject != "hello "+to || strings.TrimSpace(m.Text) != "body" {
			t.Errorf("got %+v", m)
		}
	}
	if got := srv.Messages(t, Address(t)); len(got) != 0 {
		t.Errorf("messages to a fresh address: %+v", got)
	}
}

func TestAddressIsUnique(t *testing.T) {
	a, b := Address(t), Address(t)
	if a == b || !strings.HasSuffix(a, "@trustcred.test") || !strings.HasPrefix(a, "testaddressisunique-") {
		t.Errorf("Address gave %q and %q", a, b)
	}
}
