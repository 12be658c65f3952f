// Package templates renders credential templates: the list and the form
// (new and edit) with its schema's default values.
package templates

import (
	"slices"

	"github.com/trustcred/trustcred/views/ui"
	"github.com/trustcred/trustcred/views/verification"
)

// Errors maps an input name to its message; "" is the form-level message.
type Errors map[string]string

// Choice is one option of a select.
type Choice = ui.Option

// Kinds are the template kinds.
var Kinds = []Choice{{Value: "certificate", Label: "Certificate"}, {Value: "diploma", Label: "Diploma"}, {Value: "license", Label: "License"}, {Value: "badge", Label: "Badge (Open Badges 3.0)"}}

// Cryptosuites are the signatures a template may use.
var Cryptosuites = []Choice{
	{Value: "eddsa-rdfc-2022", Label: "eddsa-rdfc-2022 (recommended: JSON-LD canonicalization)"},
	{Value: "eddsa-jcs-2022", Label: "eddsa-jcs-2022 (JSON canonicalization)"},
}

// Default is one schema field's default value input.
type Default struct {
	Name, Label, Type, Value string
	Options                  []Choice // for select fields
}

// Input is the default's input name.
func (d Default) Input() string { return "default_" + d.Name }

// Form is the new and edit template page.
type Form struct {
	Action, Title, Cancel                                                          string
	ID                                                                             string // "" for a new template
	Name, Description                                                              string
	SchemaID                                                                       string
	Schemas                                                                        []Choice // active schemas (and the current one)
	Kind, Cryptosuite                                                              string
	ValidityDays                                                                   string
	IsPublic                                                                       bool
	DisplayTitle, DisplayDescription, DisplayCriteria, DisplayImageURL             string
	AchievementName, AchievementDescription, AchievementCriteria, AchievementImage string
	Alignments                                                                     []Alignment // the achievement's alignment rows
	Defaults                                                                       []Default
	// The certificate design of the PDF: "" is TrustCred's default.
	DesignID      string
	Designs       []Choice // the default, active designs (and the current one)
	ActiveDesigns []string // ids that may be saved
	DesignURL     string   // the chosen design's editor, for those who may open it
	Errors        Errors
	// The edit page's preview of the saved template: the credential as a
	// person sees it and its JSON-LD, or a note why there is none.
	Preview      string
	PreviewHuman verification.Human
	PreviewNote  string
	BasedOn      *BasedOn         // adopted from the marketplace
	Update       *AvailableUpdate // the source lists a newer version
	Market       *Market          // an existing template's place in the marketplace
}

// Alignment is one row of the achievement's alignment: inputs
// alignment.<i>.<target_name|target_url|target_framework|target_code|target_description>.
type Alignment struct {
	TargetName, TargetURL, TargetFramework, TargetCode, TargetDescription string
}

// MaxAlignments is how many rows the form offers to add.
const MaxAlignments = 20

// BasedOn is where an adopted template came from: "Based on X by Y,
// version N", linking to the original while it is listed.
type BasedOn struct {
	Name, Issuer, URL string
	Version           int
	SignedBy          string // the DID whose key signed the version copied, once verified
	Unverified        bool   // a signed origin that does not verify
}

// Market is an existing template's place in the marketplace.
type Market struct {
	Public     bool
	Version    int    // the listed version, when public
	URL        string // its marketplace page, when public
	PublishURL string // the publish page, for those who may publish
}

// Row is one template in the list.
type Row struct {
	ID, Name, Kind, Schema, SchemaID, Cryptosuite string
	Active, Public, SchemaActive                  bool
	CanWrite                                      bool
	UpdateVersion                                 int // an adopted copy whose source lists this newer version
}

// Index is the templates list.
type Index struct {
	Rows     []Row
	CanWrite bool
}

// Update is the page of an update available to an adopted template: what
// the publisher changed between the copy's version and the listed one,
// what applying does with each change, and a choice for each conflict.
type Update struct {
	ID, Name               string // the copy
	Source, Publisher, URL string // the source template, its publisher and its marketplace page
	From, To, CopyVersion  int
	Changes                []UpdateChange
	Error                  string // about the whole form
	Action, Cancel         string
}

// UpdateChange is one change of an update, worded for people.
type UpdateChange struct {
	Label   string
	Kind    string // added, removed or changed
	Old     string // the copy's base version's value
	New     string // the listed version's value
	Mine    string // the copy's value (conflicts)
	Details []string
	State   string // apply, same or conflict
	Input   string // conflicts: the name of the choice's select
	Choice  string // mine or theirs, as chosen
	Error   string
}

// UpdateChoices are a conflict's two choices.
var UpdateChoices = []Choice{{Value: "theirs", Label: "Take the update"}, {Value: "mine", Label: "Keep yours"}}

// AvailableUpdate is the notice of an update on a copy's page.
type AvailableUpdate struct {
	Version int
	URL     string
}

// DefaultDesign is the label of "no design of the organization".
const DefaultDesign = "TrustCred default"

// DesignActive says whether the chosen design may be saved.
func (f Form) DesignActive() bool { return slices.Contains(f.ActiveDesigns, f.DesignID) }

// DesignName is the chosen design's label.
func (f Form) DesignName() string {
	for _, c := range f.Designs {
		if c.Value == f.DesignID {
			return c.Label
		}
	}
	return DefaultDesign
}
