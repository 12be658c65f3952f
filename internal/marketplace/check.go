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
)

// Check is the quality check of a template on its schema and its PDF
// design (nil when it has none): a description; for a badge, criteria;
// a text alternative for every image; a label for every field; and text
// colours of the design readable on the page. Nothing means ready.
func Check(t *store.CredentialTemplate, schema *store.CredentialSchema, design *store.CustomCredentialTemplate) Problems {
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
	if design != nil {
		dd := design.DesignData.Data()
		for i, e := range dd.Elements {
			if e.Kind == "image" && strings.TrimSpace(e.Text) == "" {
				out = append(out, Problem{Code: "image_alt", Fix: edit,
					Message: fmt.Sprintf("Image %d of the design %q has no text alternative.", i+1, design.TemplateName)})
			}
			if e.Color == "" || (e.Kind != "text" && e.Kind != "field") {
				continue
			}
			c, ok := Luminance(e.Color)
			if !ok {
				out = append(out, Problem{Code: "contrast", Fix: edit,
					Message: fmt.Sprintf("Element %d of the design %q has a colour that is not #rrggbb (%s).", i+1, design.TemplateName, e.Color)})
				continue
			}
			need := minContrast
			if e.FontSize >= largeText {
				need = minLargeContrast
			}
			if r := Contrast(c, 1); r < need {
				out = append(out, Problem{Code: "contrast", Fix: edit,
					Message: fmt.Sprintf("Text %d of the design %q (%s on white) has a contrast of %.1f:1; it needs at least %.1f:1 to be readable.",
						i+1, design.TemplateName, e.Color, math.Floor(r*10)/10, need)})
			}
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
	var design *store.CustomCredentialTemplate
	if did := t.TemplateData.Data().DesignID; did != "" {
		design, err = s.Design(ctx, did)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, nil, err
		}
	}
	return t, Check(t, t.Schema, design), nil
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
