package settings

import "strconv"

// CustomDomain is GET /settings/domain: the claim form when there is no
// domain, otherwise the DNS records to create and the domain's status.
type CustomDomain struct {
	Input  string // the form's value
	Error  string // why it was refused, next to the field
	Status DomainStatus
}

// DomainStatus is the status panel, swapped whole by "Check now" (htmx).
type DomainStatus struct {
	Name        string // the claimed domain; "" for none
	Verified    bool
	LastChecked string // "7 Dec 2026, 18:40 UTC"; "" when never checked
	LastError   string // the last check's failure, in words
	TXTName     string
	TXTValue    string
	CNAMETarget string // TrustCred's host
	Message     string // the outcome of the check just made, in words
	TLS         DomainTLS
	DID         DomainDID
}

// DomainDID is the issuer identity card of a verified domain.
type DomainDID struct {
	DomainDID string // did:web:<domain>
	HostDID   string // did:web:<TrustCred host>:orgs:<slug>
	On        bool   // new credentials are issued as DomainDID
	KeyMethod bool   // the organization issues as did:key: the choice does not apply
	// Issued is how many credentials were signed as DomainDID (on or off
	// now): they verify elsewhere only while this domain serves its
	// document, that is while it stays verified and the organization's.
	Issued int64
}

// issuedAs is "3 credentials issued as did:web:<domain>".
func (p DomainDID) issuedAs() string {
	n := strconv.FormatInt(p.Issued, 10) + " credentials"
	if p.Issued == 1 {
		n = "1 credential"
	}
	return n + " issued as " + p.DomainDID
}

// DomainTLS is the TLS card of a verified domain: the uploaded certificate
// (if any), the upload form with its errors, and whether TrustCred gets
// certificates by itself (ACME).
type DomainTLS struct {
	Shown     bool          // the domain is verified: the card is shown
	ACME      bool          // the operator turned on automatic certificates
	Chain     []CertSummary // the uploaded chain, leaf first; nil for none
	NotAfter  string        // the leaf's expiry, "7 Mar 2027, 12:00 UTC"
	DaysLeft  int
	Expired   bool
	CertInput string // the form's values after a refusal (the key is never echoed)
	CertError string
	KeyError  string
	Message   string // the outcome of the upload just made
}

// CertSummary is one certificate of a chain as the page shows it.
type CertSummary struct {
	Subject  string
	Issuer   string
	Names    string // the leaf's DNS names, comma separated
	NotAfter string
}

// removeQuestion is the Remove domain confirmation: it says what stops
// working, including, by number, the credentials issued under the domain's
// DID, whose document is served only on this domain.
func removeQuestion(d DomainStatus) string {
	q := "Remove " + d.Name + "? Its pages stop being served at once."
	switch {
	case d.DID.Issued > 0:
		q += " The " + d.DID.issuedAs() + " will fail verification everywhere, with TrustCred too: their DID document is served only on this domain. Adding the domain again and verifying it brings them back."
	case d.DID.On:
		q += " New credentials are then issued under TrustCred’s address."
	}
	return q
}
