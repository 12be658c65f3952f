package settings

import "github.com/trustcred/trustcred/views/ui"

// ProfileForm is the organization's profile as the form holds it.
type ProfileForm struct {
	Name, Slug, Type, Domain, Description, Website, MetadataURI, ContactEmail string
	Errors                                                                    Errors
}

// Option is one choice of a select.
type Option = ui.Option

// OrganizationTypes are the choices of the type select.
var OrganizationTypes = []Option{
	{Value: "educational", Label: "Educational institution"},
	{Value: "professional", Label: "Professional body"},
	{Value: "government", Label: "Government agency"},
	{Value: "corporate", Label: "Company"},
	{Value: "association", Label: "Association"},
}

// Profile is the profile page: the form and what is saved.
type Profile struct {
	Form      ProfileForm
	Name      string // saved
	Slug      string // saved
	DID       string
	PublicURL string // the organization's public page
	Status    string // pending, active, suspended or revoked
	Domain    Domain
	Logo      Logo
	// Categories is the chips partial.
	Categories Categories
}

// Domain is the domain verification panel.
type Domain struct {
	Name     string // the saved domain; "" for none
	Verified bool
	TXTName  string // where to publish the record
	TXTValue string // the record's value
	Error    string // why the last verification failed
}

// Logo is the logo panel.
type Logo struct {
	URL     string // the public URL, "" without a logo
	Error   string // why the last upload was refused
	MaxSize string // "1 MB"
}

// Categories is the issuer categories chips partial.
type Categories struct {
	Items []Category
	Name  string // the add form's value
	Error string // why it was refused
	Max   int
}

// Category is one chip.
type Category struct {
	ID, Name string
}

// Full reports whether no category can be added.
func (c Categories) Full() bool { return len(c.Items) >= c.Max }

// StatusLabel is how an organization status is shown.
func StatusLabel(s string) string {
	switch s {
	case "pending":
		return "Awaiting approval"
	case "active":
		return "Active"
	case "suspended":
		return "Suspended"
	case "revoked":
		return "Revoked"
	}
	return s
}
