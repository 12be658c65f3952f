// Package verification renders the public verification pages: a
// credential's page (/v/{id}) and the upload form (/verify).
package verification

import "fmt"

// Field is one labelled value of a credential.
type Field struct{ Label, Value string }

// Check is one verification step as the page shows it.
type Check struct {
	Title   string
	Passed  bool
	Skipped bool
	Unknown bool // could not be checked right now
	Detail  string
}

// Verdict is the overall outcome: valid, revoked, suspended, expired,
// invalid, or unavailable (the check could not be completed right now).
type Verdict string

// Headline is the verdict in words.
func (v Verdict) Headline() string {
	switch v {
	case "valid":
		return "Valid credential"
	case "revoked":
		return "Revoked by its issuer"
	case "suspended":
		return "Suspended by its issuer"
	case "expired":
		return "Expired"
	case "unavailable":
		return "Could not check right now"
	}
	return "Not valid"
}

// Explanation says what the verdict means for the person checking.
func (v Verdict) Explanation() string {
	switch v {
	case "valid":
		return "The signature is genuine, the issuer's key is the issuer's, and the issuer has not revoked or suspended it."
	case "revoked":
		return "The issuer has withdrawn this credential for good. Do not rely on it."
	case "suspended":
		return "The issuer has suspended this credential for now. Do not rely on it until it is reinstated."
	case "expired":
		return "The credential was valid but its validity period has ended."
	case "unavailable":
		return "We could not complete the check right now. This says nothing about the credential: try again in a moment."
	}
	return "This credential could not be verified: see the checks below."
}

func (v Verdict) tone() string {
	switch v {
	case "valid":
		return "border-green-600 bg-green-50 text-green-900"
	case "suspended", "expired", "unavailable":
		return "border-amber-500 bg-amber-50 text-amber-900"
	}
	return "border-red-600 bg-red-50 text-red-900"
}

// Human is a credential as a person reads it: what the public page shows
// (HumanView), and the issue form's preview before it is signed.
type Human struct {
	Title          string
	Description    string
	IssuerName     string
	IssuerURL      string // the issuer's public page; "" for no link
	IssuerLogo     string
	IssuerVerified bool
	RecipientName  string
	Fields         []Field
	Achievement    string // badge criteria
	IssuedAt       string
	ValidUntil     string
	Nested         bool // inside another page (the issue preview): the title is not the page's h1
}

// Credential is one credential with its verification, for its page.
type Credential struct {
	Human
	PublicID     string
	URL          string // the page's own link, to share
	JSONURL      string
	QRPNG, QRSVG string
	IssuerDID    string
	Verdict      Verdict
	Checks       []Check
	LinkedInURL  string
	// Approvals, when the credential was issued through approvals: the
	// approvals its signed evidence records.
	Approvals *Approvals
	// BrandScope is the issuer's branded-area class when it has a look ("" otherwise).
	BrandScope string
}

// Approvals are a credential's signed approvals.
type Approvals struct {
	Required, Eligible int // approvals required; people who could give them
	People             []Approver
}

// Approver is one signed approval.
type Approver struct{ Name, Role, When string }

// Summary is "Approved by 2 of 3 eligible reviewers".
func (a Approvals) Summary() string {
	role := "approvers"
	if len(a.People) > 0 && a.People[0].Role != "" {
		role = a.People[0].Role + "s"
		for _, p := range a.People {
			if p.Role+"s" != role {
				role = "approvers"
			}
		}
	}
	if a.Eligible > 0 {
		return fmt.Sprintf("Approved by %d of %d eligible %s", len(a.People), a.Eligible, role)
	}
	return fmt.Sprintf("Approved by %d %s", len(a.People), role)
}

// Awaiting is the public page of a credential waiting for approval.
type Awaiting struct{ IssuerName string }

// Upload is the /verify form and, after a submission, its outcome.
type Upload struct {
	Text   string // what was pasted, shown again
	Error  string // a problem with the input itself
	Result *Result
}

// Result is the outcome of verifying a brought document.
type Result struct {
	Kind    string // credential or presentation
	Verdict Verdict
	Checks  []Check
	Issuer  string // the issuer's DID (a presentation's holder's)
	// Who the issuer is, when the DID says: one of our organizations (its
	// name, public page, verified domain), or a did:web's domain.
	IssuerName     string
	IssuerURL      string
	IssuerVerified bool
	IssuerDomain   string
	IssuerClaimed  string // the name the document gives its issuer, unconfirmed
	Title          string
	RecipientName  string
	Subject        []Field
	Credentials    []Result // a presentation's credentials
	OurPage        string   // the credential's page here, when TrustCred issued it
	PDF            *PDFText // for a certificate PDF: whether its page shows the signed values
}

// PDFText is whether an uploaded certificate PDF's visible text is what its
// design shows for the embedded (signed) credential.
type PDFText struct {
	Matches     bool
	Signed      []string // "field: value" of the runs that show signed values
	Differences []string // expected → found, when it does not match
}

// State is "matches" or "differs" (the section's data-matches).
func (p PDFText) State() string {
	if p.Matches {
		return "matches"
	}
	return "differs"
}
