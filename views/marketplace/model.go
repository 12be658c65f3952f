// Package marketplace renders the template marketplace: the public
// catalogue (cards, category sidebar, filters, search as you type, pages),
// a template's page with its rendered preview, and the publishing page of
// an organization's own template.
package marketplace

import (
	"github.com/trustcred/trustcred/views/ui"
	"github.com/trustcred/trustcred/views/verification"
)

// Path is where the catalogue lives.
const Path = "/marketplace"

// Errors maps a field to its message; "" is about the whole request.
type Errors map[string]string

// Option is one choice of a select.
type Option = ui.Option

// Filter is the catalogue's GET form, as typed: every state is a URL.
type Filter struct {
	Query, Category, Kind, MinRating, Verified, Sort string
	Alignment                                        string // an Open Badges alignment framework or target name
	IssuerType                                       string // the publishing organization's type
	Errors                                           Errors
	Alignments                                       []Option // the frameworks and targets listed templates align to
}

// The filters' choices.
var (
	Kinds = []Option{{Value: "certificate", Label: "Certificate"}, {Value: "diploma", Label: "Diploma"},
		{Value: "license", Label: "Licence"}, {Value: "badge", Label: "Badge"}}
	IssuerTypes = []Option{{Value: "educational", Label: "Educational"}, {Value: "professional", Label: "Professional body"},
		{Value: "government", Label: "Government"}, {Value: "corporate", Label: "Corporate"}, {Value: "association", Label: "Association"}}
	Ratings = []Option{{Value: "4", Label: "4 stars and up"}, {Value: "3", Label: "3 stars and up"},
		{Value: "2", Label: "2 stars and up"}, {Value: "1", Label: "1 star and up"}}
	Sorts = []Option{{Value: "relevance", Label: "Relevance"}, {Value: "rating", Label: "Highest rated"},
		{Value: "adopted", Label: "Most adopted"}, {Value: "newest", Label: "Newest"}, {Value: "trending", Label: "Trending (30 days)"}}
)

// KindLabel is the label of a template kind.
func KindLabel(kind string) string {
	for _, k := range Kinds {
		if k.Value == kind {
			return k.Label
		}
	}
	return kind
}

// Category is one entry of the category sidebar.
type Category struct {
	ID, Name string
	Child    bool   // under another category
	URL      string // the catalogue filtered by it
	Current  bool
}

// Card is a template in the grid.
type Card struct {
	ID, Name, Summary, Kind string
	IssuerName, IssuerSlug  string
	IssuerVerified          bool
	Category                string
	Rating                  string // "4.5"; "" when nobody rated it
	RatingCount, Adoptions  int
	Preview                 verification.Human // the thumbnail: the credential as it renders, with sample data
	URL                     string
	Alignments              []Alignment // the skills it aligns to: the card shows the first CardAlignments
	// Accent is the publisher's brand accent colour as its public pages apply it
	// (#rrggbb, branding.Palette.Applied), "" for none: the card's top stripe.
	Accent string
}

// CardAlignments is how many alignments a card shows; the rest it counts.
const CardAlignments = 3

// Index is the catalogue page.
type Index struct {
	Filter     Filter
	Categories []Category
	AllURL     string // every category, the other filters kept
	Cards      []Card
	First      string // the first page, when this is not it
	Next       string // the next page; "" on the last
	Filtered   bool   // a search or filter is on (the empty state says so)
}

// Field is one field of a template's schema.
type Field struct {
	Label, Type string
	Required    bool
}

// Detail is a template's page.
type Detail struct {
	Card
	Description string
	Licence     string
	Version     int
	Published   string
	History     []string // the published versions, newest first: "Version 2, 3 March 2026"
	SchemaName  string
	Fields      []Field
	Alignments  []Alignment
	Adopt       Adopt
	Reviews     Reviews
	Report      ReportForm // of the template
}

// Alignment is an Open Badges alignment target of a badge template: its
// name links to the target, its framework to the catalogue filtered by it.
type Alignment struct {
	Name, URL, Code string
	Framework       string
	NameFilter      string // the catalogue aligned to this target
	FrameworkFilter string // the catalogue aligned to the framework; "" without one
}

// Adopt is what the page offers about "Use this template".
type Adopt struct {
	Action     string // the form's action, when the visitor may adopt
	SignIn     string // the sign-in link, for a visitor who is not signed in
	Own        bool   // the visitor's organization published it
	NotAllowed bool   // signed in without the templates permission
}

// Problem is one finding of the quality check, with the page to fix it on.
type Problem struct{ Message, Fix string }

// Publish is the publishing page of one of the organization's templates.
type Publish struct {
	TemplateID, Name string
	Version          int  // the version that would be published
	Public           bool // listed now
	ListedVersion    int  // the listed version, when public
	Problems         []Problem
	Categories       []Option
	Licences         []Option
	CategoryID       string
	Licence          string
	Summary          string
	Errors           Errors
}

// Reviews is the reviews section of a template's page.
type Reviews struct {
	Histogram []Bar // five stars first
	Count     int
	Tabs      []ui.Tab // newest, most helpful
	List      []Review
	First     string // the first page of the order, when this is not it
	Next      string // the next page; "" on the last
	Form      ReviewForm
	Reasons   []Option // of a report
}

// Bar is one row of the rating histogram.
type Bar struct {
	Stars, Count, Total int
}

// Review is one review as the page shows it.
type Review struct {
	ID, Organization, Date string
	Edited                 bool
	Rating                 int
	HTML                   string // the review's Markdown, rendered and sanitized (internal/markdown)
	Helpful                int
	Vote                   string // the Helpful form's action, when the visitor may vote
	Voted                  bool   // the visitor found it helpful
	Own                    bool   // the visitor wrote it
	Report                 ReportForm
}

// ReviewForm is the visitor's review: a new one, their own to edit, or
// why they cannot write one.
type ReviewForm struct {
	Action  string // the form's action; "" when there is no form
	Editing bool
	Rating  string
	Text    string
	Errors  Errors
	Notice  string // why the visitor cannot review, in words
	SignIn  string // the sign-in link, for a visitor who is not signed in
}

// ReportForm is the "Report" disclosure of a review or template.
type ReportForm struct {
	Action  string // "" when the visitor cannot report
	Reason  string
	Details string
	Errors  Errors
	Open    bool // shown open: it has errors
	Done    bool // the visitor reported it
}

// Stars is the rating choices of the review form.
var Stars = []Option{{Value: "5", Label: "5 stars: excellent"}, {Value: "4", Label: "4 stars: good"},
	{Value: "3", Label: "3 stars: fair"}, {Value: "2", Label: "2 stars: poor"}, {Value: "1", Label: "1 star: unusable"}}

// ModerationPath is the platform operators' moderation queue.
const ModerationPath = "/admin/marketplace"

// Moderation is the moderation page: the open reports, oldest first, and
// what was hidden or unlisted, to restore.
type Moderation struct {
	Reports   []ReportItem
	First     string // the first page, when this is not it
	Next      string
	Moderated []ModeratedItem
	Error     string // about the whole page (a bad page link)
}

// ReportItem is one open report with the moderator's actions.
type ReportItem struct {
	ID, Reason, Details, Reporter, Date  string
	TemplateName, TemplateURL, Publisher string
	// A reported review (Review true): its stars, organization and text.
	Review       bool
	Rating       int
	ReviewOrg    string
	ReviewHTML   string // rendered and sanitized
	Hidden       bool   // already hidden (another report)
	Unlisted     bool   // the template is already unlisted
	HideAction   string // hide the review, with a reason
	UnlistAction string // unlist the template, with a reason
	Dismiss      string
	ReasonValue  string // typed, after a refusal
	ReasonError  string
}

// ModeratedItem is a hidden review or unlisted template.
type ModeratedItem struct {
	What, TemplateName, Organization, Reason, Date string
	Restore                                        string // the restore form's action
}
