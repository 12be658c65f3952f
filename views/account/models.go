package account

import (
	"strings"
	"time"
)

// Errors maps a field name to its message; "" is the form-level message.
type Errors map[string]string

// PasswordForm is the change-password form. Passwords are never echoed.
type PasswordForm struct {
	NoPassword bool // the account signs in without a password (directory)
	Errors     Errors
}

// Session is one row of the sessions page.
type Session struct {
	ID       string
	Device   string // "Chrome on Linux"
	IP       string
	SignedIn time.Time
	LastSeen time.Time
	Current  bool // the session of this request
}

// Sessions is the sessions page.
type Sessions struct {
	Sessions []Session
}

// Others reports whether the user is signed in anywhere else.
func (s Sessions) Others() bool {
	for _, r := range s.Sessions {
		if !r.Current {
			return true
		}
	}
	return false
}

// MFA is the two-factor authentication page.
type MFA struct {
	Enabled     bool
	CodesLeft   int64
	OrgRequires bool       // the organization requires a second factor
	Setup       *Enrolment // an enrolment waiting for its confirmation code
	Errors      Errors     // code, disable_password, codes_password
}

// Enrolment is what the user needs to add TrustCred to their app.
type Enrolment struct {
	Secret string // base32, shown for manual entry
	QRURL  string // the PNG of the otpauth:// URL
}

// SecretGroups is the secret in groups of four, as apps ask it typed.
func (e Enrolment) SecretGroups() string {
	var b strings.Builder
	for i, r := range e.Secret {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// RecoveryCodes is the page that shows new recovery codes, once.
type RecoveryCodes struct {
	Codes []string
	New   bool // just enrolled (rather than replaced)
}

// When formats a moment for the account pages.
func When(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2 Jan 2006, 15:04 UTC")
}

// datetime is the machine-readable form for <time datetime>.
func datetime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
