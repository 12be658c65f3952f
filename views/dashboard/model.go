package dashboard

import "github.com/trustcred/trustcred/views/ui"

// Model is the dashboard's view model. Each panel is nil (or empty) for
// people whose role does not see it.
type Model struct {
	Name, Organization, Role string
	Email                    string
	EmailUnverified          bool     // the banner that asks to confirm the address
	OrgPending               bool     // the organization awaits approval: nothing else to show
	Actions                  []Action // quick actions the role may take
	Checklist                []Step   // a new organization's getting-started steps; nil once done
	Platform                 *Platform
	Org                      *Org
	Verifier                 *Verifier
	Recipient                *Recipient
}

// Action is one quick action.
type Action struct {
	Label, Href, TestID string
	Primary             bool
}

// Step is one item of the getting-started checklist; Href is "" when the
// person's role cannot do it.
type Step struct {
	Label, Text, Href, TestID string
	Done                      bool
}

// StepsDone counts the steps done.
func StepsDone(steps []Step) int {
	n := 0
	for _, s := range steps {
		if s.Done {
			n++
		}
	}
	return n
}

// Platform is what platform operators see: organizations by status, users,
// and the newest registrations awaiting approval.
type Platform struct {
	Counts      []ui.StatProps
	Pending     []Pending
	PendingLink string // the organizations console, filtered to pending
}

// Pending is one organization awaiting approval.
type Pending struct {
	Name, Slug, Type   string
	AdminEmail         string
	AdminEmailVerified bool
	Registered         string
}

// Org is what members of an active organization who read its work see.
type Org struct {
	Stats          []ui.StatProps // this month's figures
	Batches        bool           // the bulk panel is shown (the role issues)
	PendingBatches []Batch
	Verifications  []Verification
	Members        []ui.StatProps // nil without the members permission
	Events         []Event        // nil without the audit permission
	Audit          bool           // the audit panel is shown (possibly empty)
}

// Batch is a bulk issuance not finished yet.
type Batch struct {
	Name, Template, Status, Rows, Created, Href string
}

// Verification is one verification, of the organization's credential or
// by the person themselves.
type Verification struct {
	At, Verdict string
	Credential  string // the recipient, or the credential's public id
	Issuer      string // a verifier's own verifications: the issuer, when known
	Href        string // the credential's page ("" for one not ours)
}

// Event is one recent audit entry.
type Event struct {
	At, Actor, Action, Summary string
}

// Verifier is a verifier's panel: the verify box and their own latest
// verifications.
type Verifier struct {
	Recent []Verification
}

// Recipient is a recipient's panel: the credentials issued to them.
type Recipient struct {
	Credentials   []Received
	EmailVerified bool // credentials addressed to the email are found only once it is confirmed
}

// Received is one credential issued to the person.
type Received struct {
	Name, Issuer, Issued, Status, Href string
}
