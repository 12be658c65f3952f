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
// accountExistsEmail tells the owner of an account that someone registered
// an organization with their address: the registration page answered as
// for any registration, so that it does not tell who has an account.
func accountExistsEmail(to, org, base string) mail.Message {
	return mail.Message{
		To:      to,
		Subject: "You already have a TrustCred account",
		Text: fmt.Sprintf(`Someone, perhaps you, tried to register %s on TrustCred with this email address.
You already have an account with it, so nothing was registered.

To sign in, open %s/login
If you do not remember your password, choose a new one at %s/password/forgot
To add an organization to your account, ask the platform operator.

If this was not you, ignore this email: nothing has changed.
`, oneLine(org), base, base),
	}
}

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
