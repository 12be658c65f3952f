// Package marketplace holds the rules of the template marketplace that are
// neither HTTP nor storage: the quality check a template passes before it
// is published, and publishing itself (check, then the store's door, for
// the version that was checked).
package marketplace

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/trustcred/trustcred/internal/design"
	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/store"
)

// Problem is one thing the quality check found, worded for the publisher,
// with where to fix it.
type Problem struct {
	Code    string // stable, for tests and the API: description, criteria, image_alt, field_label, contrast
	Message string
	Fix     string // the page to fix it on
}

// Problems is the quality check's refusal: every problem, none of them
// published.
type Problems []Problem

func (p Problems) Error() string {
	msgs := make([]string, len(p))
	for i, x := range p {
		msgs[i] = x.Message
	}
	return "marketplace: the template is not ready to publish: " + strings.Join(msgs, "; ")
}

// Minimum contrast ratios (WCAG 2.2, 1.4.3): normal text 4.5:1, large
// text (18 pt and up) 3:1, here against the white certificate page.
const (
	minContrast      = 4.5
	minLargeContrast = 3.0
	largeText        = 18.0
	largeBoldText    = 14.0
)

// Design is the certificate design a template's PDF uses, read by
// internal/design (format version 1, or the earlier one converted).
type Design struct {
	ID, Name string
	Doc      *design.Design
}

// Fix is where to fix the design: its editor, else the template's form.
func (d *Design) Fix(edit string) string {
	if d.ID == "" {
		return edit
	}
	return "/settings/designs/" + d.ID
}

// Check is the quality check of a template on its schema and its PDF
// design (nil when it uses TrustCred's default): a description; for a
// badge, criteria; a text alternative for every image; a label for every
// field; and the design's text colours readable on what they are drawn
// over. Nothing means ready.
func Check(t *store.CredentialTemplate, schema *store.CredentialSchema, dsg *Design) Problems {
	var out Problems
	edit := "/templates/" + t.ID + "/edit"
	d := t.TemplateData.Data()
	if t.Description == nil || strings.TrimSpace(*t.Description) == "" {
		out = append(out, Problem{Code: "description", Fix: edit,
			Message: "Add a description: adopters read it to decide whether the template fits."})
	}
	if d.Kind == store.TemplateBadge && (d.Achievement == nil || strings.TrimSpace(d.Achievement.Criteria) == "") {
		out = append(out, Problem{Code: "criteria", Fix: edit,
			Message: "A badge needs criteria: say what a recipient did to earn it."})
	}
	if d.Display.ImageURL != "" && strings.TrimSpace(d.Display.Title) == "" {
		out = append(out, Problem{Code: "image_alt", Fix: edit,
			Message: "The display image has no text alternative: give the display a title, which is read in place of the image."})
	}
	if a := d.Achievement; a != nil && a.ImageURL != "" && strings.TrimSpace(a.Name) == "" {
		out = append(out, Problem{Code: "image_alt", Fix: edit,
			Message: "The badge image has no text alternative: give the achievement a name, which is read in place of the image."})
	}
	if schema != nil {
		for _, f := range schema.Fields {
			if strings.TrimSpace(f.Label) == "" {
				out = append(out, Problem{Code: "field_label", Fix: "/schemas/" + schema.ID,
					Message: fmt.Sprintf("The field %q has no label: recipients and verifiers see the label, not the name.", f.Name)})
			}
		}
	}
	if dsg != nil && dsg.Doc != nil {
		out = append(out, contrastProblems(dsg, edit)...)
	}
	return out
}

// contrastProblems checks each text and field element's colour against
// what it is drawn over: the last filled box before it (elements are drawn
// in order) that holds the text's centre, else the page's background.
// Large text (18 pt, or bold from 14 pt: WCAG's definition) needs 3:1.
func contrastProblems(dsg *Design, edit string) Problems {
	var out Problems
	d := dsg.Doc
	page := d.Background.Colour
	if page == "" {
		page = "#ffffff"
	}
	for i, e := range d.Elements {
		if e.Type != design.TypeText && e.Type != design.TypeField {
			continue
		}
		fg := e.Colour
		if fg == "" {
			fg = design.DefaultColour
		}
		bg, over := page, "the page"
		cx, cy := e.X+e.W/2, e.Y+e.H/2
		for j, b := range d.Elements[:i] {
			if b.Type == design.TypeBox && b.Fill != "" && cx >= b.X && cx <= b.X+b.W && cy >= b.Y && cy <= b.Y+b.H {
				bg, over = b.Fill, fmt.Sprintf("box %d", j+1)
			}
		}
		lf, okF := Luminance(fg)
		lb, okB := Luminance(bg)
		if !okF || !okB { // Parse validated both: cannot happen
			continue
		}
		size := e.Size
		if size == 0 {
			size = design.DefaultSize
		}
		need := minContrast
		if size >= largeText || (strings.HasSuffix(e.Font, "-bold") && size >= largeBoldText) {
			need = minLargeContrast
		}
		if r := Contrast(lf, lb); r < need {
			out = append(out, Problem{Code: "contrast", Fix: dsg.Fix(edit),
				Message: fmt.Sprintf("Element %d of the design %q (%s on %s, %s) has a contrast of %.1f:1; it needs at least %.1f:1 to be readable.",
					i+1, dsg.Name, fg, bg, over, math.Floor(r*10)/10, need)})
		}
	}
	return out
}

// Luminance is the relative luminance (WCAG) of a #rrggbb colour.
func Luminance(hex string) (float64, bool) {
	if len(hex) != 7 || hex[0] != '#' {
		return 0, false
	}
	var ch [3]float64
	for i := range 3 {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			return 0, false
		}
		c := float64(v) / 255
		if c <= 0.04045 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		ch[i] = c
	}
	return 0.2126*ch[0] + 0.7152*ch[1] + 0.0722*ch[2], true
}

// Contrast is the contrast ratio of two relative luminances, 1 to 21.
func Contrast(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	return (a + 0.05) / (b + 0.05)
}

// Review is the quality check of one of the organization's templates, as
// it stands: the template (at its current version) and its problems.
func Review(ctx context.Context, s *store.Scoped, id string) (*store.CredentialTemplate, Problems, error) {
	t, err := s.Template(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	dsg, err := templateDesign(ctx, s, t.TemplateData.Data().DesignID)
	if err != nil {
		return nil, nil, err
	}
	return t, Check(t, t.Schema, dsg), nil
}

// templateDesign is the design a template's PDFs are drawn with, as the
// certificate handler chooses it: an active design of the organization
// that internal/design reads; nil (TrustCred's default) otherwise.
func templateDesign(ctx context.Context, s *store.Scoped, id string) (*Design, error) {
	if id == "" {
		return nil, nil
	}
	row, raw, err := s.DesignRow(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !row.Active {
		return nil, nil
	}
	doc, err := design.Parse(raw)
	if err != nil {
		return nil, nil
	}
	return &Design{ID: row.ID, Name: row.Name, Doc: doc}, nil
}

// Publish lists version `version` of one of the organization's templates
// after the quality check passes (Problems otherwise), through the store's
// door, which refuses another version than the one checked
// (store.ErrTemplateChanged), and publishes template.published through q
// in the same transaction (nil q: no event).
func Publish(ctx context.Context, s *store.Scoped, q jobs.Enqueuer, id string, version int, p store.Publication, actor store.Actor) (*store.MarketplaceListing, error) {
	t, problems, err := Review(ctx, s, id)
	if err != nil {
		return nil, err
	}
	if t.Version != version {
		return nil, store.ErrTemplateChanged
	}
	if len(problems) > 0 {
		return nil, problems
	}
	var l *store.MarketplaceListing
	err = events.Change(ctx, s, q, func(tx *store.Scoped) ([]events.Event, error) {
		var err error
		if l, err = tx.PublishTemplate(ctx, id, version, p, actor); err != nil {
			return nil, err
		}
		payload := events.Template{ID: l.TemplateID, Name: l.Name, Kind: string(l.Kind), Version: l.Version, Licence: string(l.Licence), At: l.PublishedAt}
		if cat, err := tx.Category(ctx, p.CategoryID); err == nil {
			payload.Category = cat.Name
		}
		e, err := events.New(tx.OrganizationID(), events.TemplatePublished, l.PublishedAt, payload)
		return []events.Event{e}, err
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// Adopt is the one door of "Use this template": the copy is made in one
// transaction (store.Scoped.AdoptTemplate) with template.adopted, an event
// of the publisher's organization, so that its admins hear of it.
func Adopt(ctx context.Context, s *store.Scoped, q jobs.Enqueuer, sourceID string, actor store.Actor) (*store.CredentialTemplate, error) {
	var t *store.CredentialTemplate
	err := s.InTx(ctx, func(tx *store.Scoped) error {
		var err error
		if t, err = tx.AdoptTemplate(ctx, sourceID, actor); err != nil {
			return err
		}
		if q == nil {
			return nil
		}
		src, err := tx.AdoptionSource(ctx, t.ID)
		if err != nil {
			return err
		}
		org, err := tx.Organization(ctx)
		if err != nil {
			return err
		}
		a := src.Adoption
		e, err := events.New(src.OrganizationID, events.TemplateAdopted, a.CreatedAt, events.Adoption{TemplateID: sourceID,
			Name: a.SourceName, Version: a.SourceVersion, Adopter: org.Name, Adoptions: src.Adoptions, At: a.CreatedAt})
		if err != nil {
			return err
		}
		return events.PublishElsewhere(ctx, tx, q, e)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}
