package handlers

import (
	"fmt"
	"time"

	"github.com/trustcred/trustcred/internal/mail"
)

// mailBudget bounds one email send from a request.
const mailBudget = 30 * time.Second

// linkExpiry is how an email states when its link stops working.
func linkExpiry(t time.Time) string { return t.UTC().Format("2 January 2006 at 15:04 UTC") }

// invitationEmail invites to to join org as role.
func invitationEmail(to, inviter, org, role, link string, expires time.Time) mail.Message {
	return mail.Message{
		To:      to,
		Subject: fmt.Sprintf("You are invited to join %s on TrustCred", oneLine(org)),
		Text: fmt.Sprintf(`%s has invited you to join %s on TrustCred as %s.

To accept, open this link and choose your password:

%s

The link works once and expires on %s. If you did not expect this invitation, ignore this email.
`, inviter, org, role, link, linkExpiry(expires)),
	}
}

// resetEmail carries a password reset link.
func resetEmail(to, link string, expires time.Time) mail.Message {
	return mail.Message{
		To:      to,
		Subject: "Reset your TrustCred password",
		Text: fmt.Sprintf(`Someone (hopefully you) asked to reset the password of your TrustCred account %s.

To choose a new password, open this link:

%s

The link works once and expires on %s. Setting a new password signs you out everywhere.
If you did not ask for this, ignore this email: your password stays as it is.
`, to, link, linkExpiry(expires)),
	}
}

// oneLine keeps a name from breaking the subject header.
func oneLine(s string) string {
	b := []rune(s)
	for i, r := range b {
		if r == '\r' || r == '\n' {
			b[i] = ' '
		}
	}
	return string(b)
}

// confirmationEmail asks the administrator who registered org to confirm
// their email address.
func confirmationEmail(to, org, link string, expires time.Time) mail.Message {
	return mail.Message{
		To:      to,
		Subject: fmt.Sprintf("Confirm your email address for %s on TrustCred", oneLine(org)),
		Text: fmt.Sprintf(`You registered %s on TrustCred with this email address.

To confirm it, open this link:

%s

The link works once and expires on %s. A platform operator reviews every new organization;
you can sign in meanwhile, and the organization's pages open once it is approved.
If you did not register, ignore this email.
`, org, link, linkExpiry(expires)),
	}
}
