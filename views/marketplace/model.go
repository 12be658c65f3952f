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
	Errors                                           Errors
	Alignments                                       []Option // the frameworks and targets listed templates align to
}

// The filters' choices.
var (
	Kinds = []Option{{Value: "certificate", Label: "Certificate"}, {Value: "diploma", Label: "Diploma"},
		{Value: "license", Label: "Licence"}, {Value: "badge", Label: "Badge"}}
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
}

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
	SchemaName  string
	Fields      []Field
	Alignments  []Alignment
	Adopt       Adopt
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
