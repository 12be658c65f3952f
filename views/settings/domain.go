package settings

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
}
