package mail

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/trustcred/trustcred/internal/mailtest"
)

func TestMain(m *testing.M) { os.Exit(mailtest.Main(m)) }

const secret = "s3cret-pw" // must never appear in an error

func TestSMTPRoundTrip(t *testing.T) {
	srv := mailtest.Start(t)
	tests := []struct {
		name    string
		url     string
		subject string
		html    string
	}{
		{name: "text only", url: srv.SMTPURL(), subject: "Your invitation to TrustCred"},
		{name: "text and html", url: srv.SMTPURL(), subject: "Reset your password",
			html: `<p>Reset: <a href="https://trustcred.example/reset/abc">link</a></p>`},
		{name: "non-ascii subject", url: srv.SMTPURL(), subject: "Einladung – Universität Zürich"},
		{name: "with credentials", url: strings.Replace(srv.SMTPURL(), "smtp://", "smtp://user:"+secret+"@", 1),
			subject: "Authenticated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mailer, err := NewSMTP(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			to := mailtest.Address(t)
			text := "Open https://trustcred.example/invite/" + to + " to join.\n"
			if err := mailer.Send(t.Context(), Message{To: to, Subject: tt.subject, Text: text, HTML: tt.html}); err != nil {
				t.Fatal(err)
			}
			got := srv.WaitFor(t, to, 10*time.Second)
			if got.Subject != tt.subject {
				t.Errorf("subject = %q, want %q", got.Subject, tt.subject)
			}
			if strings.TrimSpace(got.Text) != strings.TrimSpace(text) {
				t.Errorf("text = %q, want %q", got.Text, text)
			}
			if got.From != "noreply@trustcred.test" || got.FromName != "TrustCred Test" {
				t.Errorf("from = %q <%s>, want TrustCred Test <noreply@trustcred.test>", got.FromName, got.From)
			}
			if len(got.To) != 1 || got.To[0] != to {
				t.Errorf("to = %v, want [%s]", got.To, to)
			}
			if tt.html == "" && got.HTML != "" {
				t.Errorf("html = %q, want none", got.HTML)
			}
			if tt.html != "" && !strings.Contains(got.HTML, `href="https://trustcred.example/reset/abc"`) {
				t.Errorf("html = %q, want the alternative part", got.HTML)
			}
			if n := len(srv.Messages(t, to)); n != 1 {
				t.Errorf("%d messages to %s, want 1", n, to)
			}
		})
	}
}

// The TLS modes against mailpit with a self-signed certificate: delivered
// with insecure_skip_verify=true (and, the server requiring STARTTLS, the
// opportunistic smtp:// mode upgrades), refused without it.
func TestSMTPTLS(t *testing.T) {
	withCreds := func(u string) string {
		i := strings.Index(u, "://") + 3
		return u[:i] + "user:" + secret + "@" + u[i:]
	}
	verify := func(u string) string { return strings.Replace(u, "&insecure_skip_verify=true", "", 1) }
	tests := []struct {
		name     string
		security mailtest.Security
		url      func(srv *mailtest.Server) string
		wantErr  string // "" when it must arrive
	}{
		{name: "starttls", security: mailtest.STARTTLS,
			url: func(srv *mailtest.Server) string { return withCreds(srv.SMTPURL()) }},
		{name: "opportunistic starttls", security: mailtest.STARTTLS,
			url: func(srv *mailtest.Server) string {
				return withCreds(strings.Replace(srv.SMTPURL(), "smtp+starttls://", "smtp://", 1))
			}},
		{name: "implicit tls", security: mailtest.TLS,
			url: func(srv *mailtest.Server) string { return withCreds(srv.SMTPURL()) }},
		{name: "starttls verifies the certificate", security: mailtest.STARTTLS, wantErr: "certificate",
			url: func(srv *mailtest.Server) string { return withCreds(verify(srv.SMTPURL())) }},
		{name: "implicit tls verifies the certificate", security: mailtest.TLS, wantErr: "certificate",
			url: func(srv *mailtest.Server) string { return withCreds(verify(srv.SMTPURL())) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mailtest.StartWith(t, tt.security)
			mailer, err := NewSMTP(tt.url(srv))
			if err != nil {
				t.Fatal(err)
			}
			to := mailtest.Address(t)
			err = mailer.Send(t.Context(), Message{To: to, Subject: "Over TLS", Text: "x"})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one about the %s", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error contains the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := srv.WaitFor(t, to, 10*time.Second)
			if got.Subject != "Over TLS" || got.Username != "user" {
				t.Errorf("got subject %q user %q, want Over TLS by user", got.Subject, got.Username)
			}
		})
	}
}

// The password goes in clear text to a loopback server only: reached as
// 127.0.0.2 (through a relay to mailpit), which go-mail does not count as
// local, Send refuses to authenticate without TLS.
func TestSMTPNoCleartextPassword(t *testing.T) {
	srv := mailtest.Start(t)
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	defer l.Close()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", srv.SMTPAddr())
			if err != nil {
				conn.Close()
				return
			}
			go func() { _, _ = io.Copy(up, conn); up.Close() }()
			go func() { _, _ = io.Copy(conn, up); conn.Close() }()
		}
	}()
	mailer, err := NewSMTP("smtp://user:" + secret + "@" + l.Addr().String() + "?from=a@example.org")
	if err != nil {
		t.Fatal(err)
	}
	to := mailtest.Address(t)
	err = mailer.Send(t.Context(), Message{To: to, Subject: "x", Text: "x"})
	if err == nil || !strings.Contains(err.Error(), "unencrypted") {
		t.Fatalf("err = %v, want a refusal to authenticate over an unencrypted connection", err)
	}
	time.Sleep(200 * time.Millisecond)
	if msgs := srv.Messages(t, to); len(msgs) != 0 {
		t.Errorf("message delivered anyway: %+v", msgs)
	}
}

// Against mailpit, which offers neither STARTTLS nor TLS, the TLS modes
// must fail rather than fall back to plain text.
func TestSMTPRefusesDowngrade(t *testing.T) {
	srv := mailtest.Start(t)
	host := srv.SMTPAddr()
	from := "?from=" + url.QueryEscape(mailtest.From)
	tests := []struct {
		name, url, want string
	}{
		{"mandatory starttls", "smtp+starttls://user:" + secret + "@" + host + from, "STARTTLS"},
		{"implicit tls", "smtps://user:" + secret + "@" + host + from, "TLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mailer, err := NewSMTP(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			to := mailtest.Address(t)
			err = mailer.Send(t.Context(), Message{To: to, Subject: "x", Text: "x"})
			if err == nil {
				t.Fatal("sent without TLS")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %s", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error contains the password: %v", err)
			}
			time.Sleep(200 * time.Millisecond)
			if msgs := srv.Messages(t, to); len(msgs) != 0 {
				t.Errorf("message delivered anyway: %+v", msgs)
			}
		})
	}
}

// A server that accepts and then says nothing: Send must return when ctx
// ends, not after the 10-second timeout.
func TestSMTPHonoursContext(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	mailer, err := NewSMTP("smtp://user:" + secret + "@" + l.Addr().String() + "?from=a@example.org")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = mailer.Send(ctx, Message{To: "b@example.org", Subject: "x", Text: "x"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Send took %v after the context ended", d)
	}
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("error contains the password: %v", err)
	}
}

func TestSMTPUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	mailer, err := NewSMTP("smtp://user:" + secret + "@" + addr + "?from=a@example.org")
	if err != nil {
		t.Fatal(err)
	}
	err = mailer.Send(t.Context(), Message{To: "b@example.org", Subject: "x", Text: "x"})
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("err = %v, want a dial error naming %s", err, addr)
	}
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("error contains the password: %v", err)
	}
}

func TestNewSMTP(t *testing.T) {
	good := []struct {
		url      string
		host     string
		port     int
		security security
		user     string
		from     string
		insecure bool
	}{
		{url: "smtp://mail.example.org?from=noreply@example.org",
			host: "mail.example.org", port: 25, security: startTLSOpportunistic, from: "<noreply@example.org>"},
		{url: "smtp://user:" + secret + "@mail.example.org:2525/?from=TrustCred%20<noreply@example.org>",
			host: "mail.example.org", port: 2525, security: startTLSOpportunistic, user: "user",
			from: `"TrustCred" <noreply@example.org>`},
		{url: "smtps://user%40example.org:p%40ss%2Fw%3Ford@mail.example.org?from=TrustCred+%3Cnoreply%40example.org%3E",
			host: "mail.example.org", port: 465, security: implicitTLS, user: "user@example.org",
			from: `"TrustCred" <noreply@example.org>`},
		{url: "smtp+starttls://mail.example.org?from=noreply@example.org&insecure_skip_verify=true",
			host: "mail.example.org", port: 587, security: startTLSMandatory, from: "<noreply@example.org>", insecure: true},
		{url: "SMTP+STARTTLS://[::1]:1587?from=noreply@example.org&insecure_skip_verify=false",
			host: "::1", port: 1587, security: startTLSMandatory, from: "<noreply@example.org>"},
	}
	for _, tt := range good {
		t.Run(tt.url, func(t *testing.T) {
			s, err := NewSMTP(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if s.host != tt.host || s.port != tt.port || s.security != tt.security || s.user != tt.user ||
				s.from.String() != tt.from || s.insecure != tt.insecure {
				t.Errorf("got host %q port %d security %d user %q from %s insecure %v",
					s.host, s.port, s.security, s.user, s.from, s.insecure)
			}
			if strings.Contains(s.String(), "s3cret") || strings.Contains(s.String(), "p%40ss") {
				t.Errorf("String() shows the password: %s", s)
			}
		})
	}

	bad := []struct {
		url, want string
	}{
		{"", "no scheme"},
		{"mail.example.org:25", "no scheme"},
		{"http://user:" + secret + "@mail.example.org?from=a@example.org", `unsupported scheme "http"`},
		{"smtp://user:" + secret + "@?from=a@example.org", "no host"},
		{"smtp://user:" + secret + "@:25?from=a@example.org", "no host"},
		{"smtp://user:" + secret + "@mail.example.org:0?from=a@example.org", `port "0" out of range`},
		{"smtp://user:" + secret + "@mail.example.org:70000?from=a@example.org", `port "70000" out of range`},
		{"smtp://user:" + secret + "@mail.example.org:x25?from=a@example.org", "cannot parse"},
		{"smtp://user:" + secret + "@mail.example.org/inbox?from=a@example.org", "unexpected path"},
		{"smtp://user:" + secret + "@mail.example.org?from=a@example.org#frag", "unexpected fragment"},
		{"smtp://user:" + secret + "@mail.example.org", "missing from parameter"},
		{"smtp://user:" + secret + "@mail.example.org?from=", "missing from parameter"},
		{"smtp://user:" + secret + "@mail.example.org?from=not-an-address", "from address"},
		{"smtp://user:" + secret + "@mail.example.org?from=a@example.org%0D%0ABcc:x@example.org", "line break"},
		{"smtp://user:" + secret + "@mail.example.org?from=a@example.org&from=b@example.org", `"from" given 2 times`},
		{"smtp://user:" + secret + "@mail.example.org?form=a@example.org", `unknown query parameter "form"`},
		{"smtp://user:" + secret + "@mail.example.org?from=a@example.org&insecure_skip_verify=maybe", "insecure_skip_verify"},
		{"smtp://user:" + secret + "@mail.example.org?from=a@example.org&x=%zz", "bad query string"},
		{"smtp://user@mail.example.org?from=a@example.org", "user name without password"},
		{"smtp://:" + secret + "@mail.example.org?from=a@example.org", "password without user name"},
		// Special characters in the password that were not percent-encoded.
		{"smtp://user:" + secret + "%zz@mail.example.org?from=a@example.org", "cannot parse"},
		{"smtp://user:" + secret + "/x@mail.example.org?from=a@example.org", "cannot parse"},
		{"smtp://user:25/" + secret + "@mail.example.org?from=a@example.org", "unexpected path"},
		{"smtp://user:pa#" + secret + "@mail.example.org?from=a@example.org", "cannot parse"},
	}
	for _, tt := range bad {
		t.Run(tt.url, func(t *testing.T) {
			_, err := NewSMTP(tt.url)
			if !errors.Is(err, ErrInvalidURL) {
				t.Fatalf("err = %v, want ErrInvalidURL", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error contains the password: %v", err)
			}
		})
	}
}

func TestMessageValidate(t *testing.T) {
	smtp, err := NewSMTP("smtp://127.0.0.1:1?from=a@example.org") // never dialled: validation comes first
	if err != nil {
		t.Fatal(err)
	}
	mailers := map[string]Mailer{"smtp": smtp, "log": NewLog(slog.New(slog.DiscardHandler))}
	tests := []struct {
		name string
		msg  Message
		want string
	}{
		{"CRLF in to", Message{To: "a@example.org\r\nBcc: evil@example.org", Subject: "x", Text: "x"}, "recipient contains a line break"},
		{"LF in to", Message{To: "a@example.org\nBcc: evil@example.org", Subject: "x", Text: "x"}, "recipient contains a line break"},
		{"CRLF in subject", Message{To: "a@example.org", Subject: "Hi\r\nBcc: evil@example.org", Text: "x"}, "subject contains a line break"},
		{"CR in subject", Message{To: "a@example.org", Subject: "Hi\rBcc: evil@example.org", Text: "x"}, "subject contains a line break"},
		{"no recipient", Message{Subject: "x", Text: "x"}, "no recipient"},
		{"two recipients", Message{To: "a@example.org, b@example.org", Subject: "x", Text: "x"}, "recipient"},
		{"bad recipient", Message{To: "not an address", Subject: "x", Text: "x"}, "recipient"},
		{"no text", Message{To: "a@example.org", Subject: "x", HTML: "<p>x</p>"}, "no text body"},
	}
	for _, tt := range tests {
		for name, m := range mailers {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				err := m.Send(t.Context(), tt.msg)
				if !errors.Is(err, ErrInvalidMessage) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("err = %v, want ErrInvalidMessage saying %q", err, tt.want)
				}
			})
		}
	}
	if err := (Message{To: "Ann <a@example.org>", Text: "x"}).Validate(); err != nil {
		t.Errorf("valid message refused: %v", err)
	}
}

// Our own check comes first, but go-mail must not write an injected header
// either: it encodes a line break in the subject and refuses it in an
// address.
func TestGoMailHeaderInjection(t *testing.T) {
	msg := gomail.NewMsg()
	if err := msg.To("a@example.org\r\nBcc: evil@example.org"); err == nil {
		t.Error("go-mail accepted a line break in an address")
	}
	if err := msg.From("a@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := msg.To("b@example.org"); err != nil {
		t.Fatal(err)
	}
	msg.Subject("Hi\r\nBcc: evil@example.org")
	msg.SetBodyString(gomail.TypeTextPlain, "x")
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		if strings.HasPrefix(strings.ToLower(sc.Text()), "bcc:") {
			t.Errorf("injected header written: %q\n%s", sc.Text(), buf.String())
		}
	}
}

func TestLogMailerLogsTheLink(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	link := "https://trustcred.example/invite/tok123"
	err := NewLog(logger).Send(t.Context(), Message{To: "ann@example.org", Subject: "Your invitation",
		Text: "Open " + link + " to join.", HTML: "<p>…</p>"})
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	if rec["level"] != "INFO" || rec["to"] != "ann@example.org" || rec["subject"] != "Your invitation" ||
		!strings.Contains(rec["text"].(string), link) || rec["html"] != true {
		t.Errorf("logged %s", buf.String())
	}
}

func TestFromConfig(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))

	m, err := FromConfig("smtp://mail.example.org?from=a@example.org", false, logger)
	if _, ok := m.(*SMTP); err != nil || !ok {
		t.Errorf("URL set: got %T, %v; want *SMTP", m, err)
	}
	if _, err := FromConfig("smtp://mail.example.org", true, logger); !errors.Is(err, ErrInvalidURL) {
		t.Errorf("bad URL: err = %v, want ErrInvalidURL", err)
	}
	m, err = FromConfig("", true, logger)
	if _, ok := m.(*Log); err != nil || !ok {
		t.Errorf("dev without URL: got %T, %v; want *Log", m, err)
	}

	buf.Reset()
	m, err = FromConfig("", false, logger)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "level=WARN") {
		t.Errorf("no warning logged for missing email configuration: %q", buf.String())
	}
	err = m.Send(t.Context(), Message{To: "ann@example.org", Subject: "x", Text: "x"})
	if !errors.Is(err, ErrNotConfigured) {
		t.Errorf("unconfigured Send: err = %v, want ErrNotConfigured", err)
	}
}
