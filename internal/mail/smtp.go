package mail

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Timeout bounds connecting and each SMTP command of a Send.
const Timeout = 10 * time.Second

// security is how a connection is protected.
type security int

const (
	startTLSOpportunistic security = iota // smtp://: STARTTLS when offered
	startTLSMandatory                     // smtp+starttls://: STARTTLS or fail
	implicitTLS                           // smtps://: TLS from the first byte
)

// SMTP sends through an SMTP server (github.com/wneessen/go-mail), one
// connection per message.
type SMTP struct {
	host     string
	port     int
	security security
	user     string
	pass     string
	from     *netmail.Address
	insecure bool   // skip certificate verification (lab setups only)
	redacted string // the URL without its password, for String
}

// NewSMTP parses and checks an SMTP URL:
//
//	smtp://user:pass@host:port?from=TrustCred%20<noreply@example.org>
//
// Schemes: smtp (STARTTLS when the server offers it; port 25), smtps
// (implicit TLS; port 465), smtp+starttls (STARTTLS required; port 587).
// Query parameters: from (required, the From address, percent-encoded) and
// insecure_skip_verify=true (do not verify the server certificate; for lab
// setups only). User and password are optional; when given, the password
// is only sent over TLS or to a loopback server. Errors wrap ErrInvalidURL
// and never contain the password.
func NewSMTP(rawURL string) (*SMTP, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidURL}, args...)...)
	}
	if !strings.Contains(rawURL, "://") {
		return nil, bad("no scheme (want smtp://, smtps:// or smtp+starttls://)")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error repeats the URL, and its detail may quote a piece of a
		// password whose special characters were not percent-encoded.
		return nil, bad("cannot parse (percent-encode special characters in the user name and password)")
	}
	s := &SMTP{}
	var defaultPort int
	switch u.Scheme {
	case "smtp":
		s.security, defaultPort = startTLSOpportunistic, 25
	case "smtp+starttls":
		s.security, defaultPort = startTLSMandatory, 587
	case "smtps":
		s.security, defaultPort = implicitTLS, 465
	default:
		return nil, bad("unsupported scheme %q (want smtp, smtps or smtp+starttls)", u.Scheme)
	}
	if u.Opaque != "" {
		return nil, bad("want %s://host", u.Scheme)
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, bad("no host")
	}
	s.port = defaultPort
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, bad("port %q out of range", p)
		}
		s.port = n
	}
	if u.Path != "" && u.Path != "/" {
		// Not quoted: an unencoded "/" in a password starts the path.
		return nil, bad("unexpected path (percent-encode special characters in the user name and password)")
	}
	if u.Fragment != "" {
		return nil, bad("unexpected fragment")
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
		if s.user == "" {
			return nil, bad("password without user name")
		}
		if s.pass == "" {
			return nil, bad("user name without password")
		}
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, bad("bad query string")
	}
	for key, values := range q {
		if len(values) > 1 {
			return nil, bad("query parameter %q given %d times", key, len(values))
		}
		switch key {
		case "from":
		case "insecure_skip_verify":
			s.insecure, err = strconv.ParseBool(values[0])
			if err != nil {
				return nil, bad("insecure_skip_verify=%q is not true or false", values[0])
			}
		default:
			return nil, bad("unknown query parameter %q (want from, insecure_skip_verify)", key)
		}
	}
	from := q.Get("from")
	if from == "" {
		return nil, bad("missing from parameter (…?from=TrustCred%%20<noreply@example.org>)")
	}
	if strings.ContainsAny(from, "\r\n") {
		return nil, bad("from address contains a line break")
	}
	s.from, err = netmail.ParseAddress(from)
	if err != nil {
		return nil, bad("from address %q: %v", from, err)
	}
	s.redacted = u.Redacted()
	return s, nil
}

// String is the URL with the password masked.
func (s *SMTP) String() string { return s.redacted }

// Send validates m and delivers it over a new connection. Connecting and
// each SMTP command time out after Timeout; cancelling ctx aborts the
// transaction. The error never contains the password.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	msg, err := s.message(m)
	if err != nil {
		return err
	}

	// go-mail honours ctx only while dialling; closing the connection when
	// ctx ends aborts whatever command is under way.
	var stop func() bool
	tlsConfig := &tls.Config{
		ServerName:         s.host,
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: s.insecure, // #nosec G402 -- the operator's explicit opt-in (insecure=true in the SMTP URL) for lab servers
	}
	addr := net.JoinHostPort(s.host, strconv.Itoa(s.port))
	dial := func(dctx context.Context, network, _ string) (net.Conn, error) {
		d := &net.Dialer{}
		var conn net.Conn
		var err error
		if s.security == implicitTLS {
			conn, err = (&tls.Dialer{NetDialer: d, Config: tlsConfig}).DialContext(dctx, network, addr)
		} else {
			conn, err = d.DialContext(dctx, network, addr)
		}
		if err != nil {
			return nil, err
		}
		stop = context.AfterFunc(ctx, func() { _ = conn.Close() })
		return conn, nil
	}
	opts := []gomail.Option{
		gomail.WithPort(s.port),
		gomail.WithTimeout(Timeout),
		gomail.WithTLSConfig(tlsConfig),
		gomail.WithDialContextFunc(dial),
	}
	switch s.security {
	case startTLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case startTLSMandatory:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case implicitTLS:
		opts = append(opts, gomail.WithSSL())
	}
	if s.user != "" {
		// PLAIN and LOGIN refuse to run over an unencrypted connection
		// unless the server is on loopback.
		opts = append(opts,
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1,
				gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(s.user),
			gomail.WithPassword(s.pass),
		)
	}
	client, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return s.redact(fmt.Errorf("mail: smtp client for %s: %w", addr, err))
	}
	err = client.DialAndSendWithContext(ctx, msg)
	if stop != nil {
		stop()
	}
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			err = fmt.Errorf("%w (%v)", cerr, err)
		}
		return s.redact(fmt.Errorf("mail: send via %s: %w", addr, err))
	}
	return nil
}

// message builds the MIME message: a text part, and the HTML part as an
// alternative when there is one.
func (s *SMTP) message(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(s.from.String()); err != nil {
		return nil, fmt.Errorf("mail: from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("%w: recipient: %v", ErrInvalidMessage, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	// RFC 3834: no out-of-office replies to invitations and resets.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// redact keeps the password out of an error's text (a server may echo
// what it was sent); errors.Is and errors.As still see the original.
func (s *SMTP) redact(err error) error {
	if s.pass == "" || !strings.Contains(err.Error(), s.pass) {
		return err
	}
	return redactedError{err: err, secret: s.pass}
}

type redactedError struct {
	err    error
	secret string
}

func (e redactedError) Error() string {
	return strings.ReplaceAll(e.err.Error(), e.secret, "xxxxx")
}

func (e redactedError) Unwrap() error { return e.err }
