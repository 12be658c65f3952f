package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// market is a marketplace scenario: organizations, categories and
// templates, published through the store's door.
type market struct {
	t   *testing.T
	db  *store.DB
	ctx context.Context
}

func (m market) category(name string, parent *store.TemplateCategory) *store.TemplateCategory {
	m.t.Helper()
	c := &store.TemplateCategory{Name: name, Active: true}
	if parent != nil {
		c.ParentCategoryID = &parent.ID
	}
	if err := store.Gorm(m.db).Create(c).Error; err != nil {
		m.t.Fatal(err)
	}
	return c
}

type tplSpec struct {
	name, description string
	kind              store.TemplateType
	labels            []string
	defaults          map[string]string
}

// template creates an active, private template of o on a schema with
// fields labelled as spec says.
func (m market) template(o *store.Organization, spec tplSpec) *store.CredentialTemplate {
	m.t.Helper()
	var fields []store.SchemaField
	for i, l := range spec.labels {
		fields = append(fields, store.SchemaField{Name: "f" + string(rune('a'+i)), Label: l, Type: store.SchemaFieldText})
	}
	cs := &store.CredentialSchema{Name: spec.name + " schema", Version: "1.0", OrganizationID: o.ID, Active: true,
		Fields: datatypes.NewJSONSlice(fields)}
	if err := store.Gorm(m.db).Create(cs).Error; err != nil {
		m.t.Fatal(err)
	}
	d := store.TemplateData{Kind: spec.kind, Cryptosuite: store.CryptosuiteEdDSARDFC, Defaults: spec.defaults}
	if spec.kind == store.TemplateBadge {
		d.Achievement = &store.Achievement{Name: spec.name, Criteria: "Pass the course"}
	}
	change := store.TemplateChange{Name: spec.name, Description: spec.description, SchemaID: cs.ID, Data: d}
	tpl, err := m.db.Scoped(o.ID).CreateTemplate(m.ctx, change, store.Actor{})
	if err != nil {
		m.t.Fatal(err)
	}
	return tpl
}

func (m market) publish(o *store.Organization, tpl *store.CredentialTemplate, cat *store.TemplateCategory, summary string) {
	m.t.Helper()
	if _, err := m.db.Scoped(o.ID).PublishTemplate(m.ctx, tpl.ID, tpl.Version, store.Publication{
		CategoryID: cat.ID, Licence: store.LicenceCCBY, Summary: summary}, store.Actor{}); err != nil {
		m.t.Fatal(err)
	}
}

func (m market) names(f store.MarketplaceFilter) []string {
	m.t.Helper()
	l, err := m.db.CrossOrg().Marketplace(m.ctx, f, store.MarketplacePage{})
	if err != nil {
		m.t.Fatalf("%+v: %v", f, err)
	}
	var out []string
	for _, e := range l.Entries {
		out = append(out, e.Name)
	}
	return out
}

// walk pages through the catalogue one template at a time.
func (m market) walk(f store.MarketplaceFilter) []string {
	m.t.Helper()
	var out []string
	var after *store.Cursor
	for range 20 {
		l, err := m.db.CrossOrg().Marketplace(m.ctx, f, store.MarketplacePage{After: after, Limit: 1})
		if err != nil {
			m.t.Fatal(err)
		}
		for _, e := range l.Entries {
			out = append(out, e.Name)
		}
		if l.Next == nil {
			return out
		}
		// the token travels through a URL
		if after, err = store.ParseCursor(l.Next.String()); err != nil {
			m.t.Fatal(err)
		}
	}
	m.t.Fatal("the walk did not end")
	return nil
}

func (m market) review(tpl *store.CredentialTemplate, reviewer *store.User, rating int) {
	m.t.Helper()
	g := store.Gorm(m.db)
	if err := g.Create(&store.TemplateReview{TemplateID: tpl.ID, ReviewerID: reviewer.ID, OrganizationID: *reviewer.OrganizationID, Rating: rating}).Error; err != nil {
		m.t.Fatal(err)
	}
	if err := store.RecountMarketplaceRatings(g, tpl.ID); err != nil {
		m.t.Fatal(err)
	}
}

func TestMarketplaceCatalogue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := market{t: t, db: db, ctx: ctx}
		uni := newOrg(t, db, "uni", store.OrganizationActive)
		if _, err := db.SetOrganizationVerified(ctx, uni.ID, true, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if err := store.Gorm(db).Model(uni).Update("type", store.OrganizationEducational).Error; err != nil {
			t.Fatal(err)
		}
		school := newOrg(t, db, "school", store.OrganizationActive) // corporate
		gone := newOrg(t, db, "gone", store.OrganizationActive)
		health := m.category("Health", nil)
		firstAid := m.category("First aid", health)
		tech := m.category("Technology", nil)

		aid := m.template(uni, tplSpec{name: "First Aid Certificate", description: "Emergency care for adults and children.",
			kind: store.TemplateCertificate, labels: []string{"Course hours", "Instructor"}})
		m.publish(uni, aid, firstAid, "Basic life support training")
		python := m.template(school, tplSpec{name: "Python Programming Badge", kind: store.TemplateBadge, labels: []string{"Repository URL"}})
		m.publish(school, python, tech, "Programming in Python")
		guard := m.template(school, tplSpec{name: "Lifeguard Licence", description: "Includes first aid and water rescue.",
			kind: store.TemplateLicense, labels: []string{"Pool"}})
		m.publish(school, guard, health, "Pool and beach lifeguards")
		// Never in the catalogue: a suspended organization's, a private one,
		// one public by its flag but never published, an unpublished one.
		suspended := m.template(gone, tplSpec{name: "First Aid Diploma", kind: store.TemplateDiploma, labels: []string{"Hours"}})
		m.publish(gone, suspended, firstAid, "First aid, the long course")
		if _, err := db.ChangeOrganizationStatus(ctx, gone.ID, store.SuspendOrganization, "unpaid", store.Actor{}); err != nil {
			t.Fatal(err)
		}
		m.template(uni, tplSpec{name: "First Aid Internal", kind: store.TemplateCertificate, labels: []string{"Hours"}})
		flagged := m.template(uni, tplSpec{name: "First Aid Flagged", kind: store.TemplateCertificate, labels: []string{"Hours"}})
		if err := store.Gorm(db).Model(flagged).Update("is_public", true).Error; err != nil {
			t.Fatal(err)
		}
		withdrawn := m.template(school, tplSpec{name: "First Aid Withdrawn", kind: store.TemplateCertificate, labels: []string{"Hours"}})
		m.publish(school, withdrawn, firstAid, "Withdrawn")
		if err := db.Scoped(school.ID).UnpublishTemplate(ctx, withdrawn.ID, store.Actor{}); err != nil {
			t.Fatal(err)
		}

		listed := []string{"First Aid Certificate", "Lifeguard Licence", "Python Programming Badge"}
		all := m.names(store.MarketplaceFilter{})
		slices.Sort(all)
		if !slices.Equal(all, listed) {
			t.Fatalf("catalogue %q, want %q", all, listed)
		}
		for _, c := range []struct {
			name string
			f    store.MarketplaceFilter
			want []string
		}{
			// name (weight A) ranks above description (C)
			{"search ranks name first", store.MarketplaceFilter{Query: "first aid"}, []string{"First Aid Certificate", "Lifeguard Licence"}},
			{"search a field label by prefix", store.MarketplaceFilter{Query: "repos"}, []string{"Python Programming Badge"}},
			{"search a field label", store.MarketplaceFilter{Query: "HOURS"}, []string{"First Aid Certificate"}},
			{"search the summary", store.MarketplaceFilter{Query: "beach"}, []string{"Lifeguard Licence"}},
			{"every word counts", store.MarketplaceFilter{Query: "first python"}, nil},
			{"search syntax is text", store.MarketplaceFilter{Query: `"first" OR 1=1; -- aid* (x) & | ! : NEAR(`}, nil},
			{"only punctuation searches nothing", store.MarketplaceFilter{Query: `"*():&|!`}, listed},
			{"a category holds its children", store.MarketplaceFilter{CategoryID: health.ID, Sort: store.SortNewest}, []string{"Lifeguard Licence", "First Aid Certificate"}},
			{"a child category", store.MarketplaceFilter{CategoryID: firstAid.ID}, []string{"First Aid Certificate"}},
			{"kind", store.MarketplaceFilter{Kind: store.TemplateBadge}, []string{"Python Programming Badge"}},
			{"verified issuers", store.MarketplaceFilter{VerifiedOnly: true}, []string{"First Aid Certificate"}},
			{"educational issuers", store.MarketplaceFilter{IssuerType: store.OrganizationEducational}, []string{"First Aid Certificate"}},
			{"corporate issuers", store.MarketplaceFilter{IssuerType: store.OrganizationCorporate, Sort: store.SortNewest}, []string{"Lifeguard Licence", "Python Programming Badge"}},
			{"government issuers", store.MarketplaceFilter{IssuerType: store.OrganizationGovernment}, nil},
			{"newest", store.MarketplaceFilter{Sort: store.SortNewest}, []string{"Lifeguard Licence", "Python Programming Badge", "First Aid Certificate"}},
		} {
			got := m.names(c.f)
			if c.want == nil && got != nil || c.name == "only punctuation searches nothing" && len(got) != len(listed) ||
				c.want != nil && c.name != "only punctuation searches nothing" && !slices.Equal(got, c.want) {
				t.Errorf("%s: %q, want %q", c.name, got, c.want)
			}
		}

		// Ratings and adoptions.
		reviewers := make([]*store.User, 3)
		for i := range reviewers {
			reviewers[i] = &store.User{Email: "r" + string(rune('a'+i)) + "@example.com", Role: store.RoleIssuer, OrganizationID: &school.ID}
			if err := store.Gorm(db).Create(reviewers[i]).Error; err != nil {
				t.Fatal(err)
			}
		}
		m.review(aid, reviewers[0], 5)
		m.review(aid, reviewers[1], 4)
		m.review(python, reviewers[0], 3)
		e, err := db.CrossOrg().MarketplaceTemplate(ctx, aid.ID)
		if err != nil || e.RatingCount != 2 || e.Rating() != 4.5 {
			t.Fatalf("aggregates %+v, %v: want 2 ratings averaging 4.5", e, err)
		}
		if got := m.names(store.MarketplaceFilter{MinRating: 4}); !slices.Equal(got, []string{"First Aid Certificate"}) {
			t.Errorf("4 stars and up: %q", got)
		}
		if got := m.names(store.MarketplaceFilter{Sort: store.SortRating}); !slices.Equal(got, []string{"First Aid Certificate", "Python Programming Badge", "Lifeguard Licence"}) {
			t.Errorf("by rating: %q", got)
		}
		for _, slug := range []string{"a1", "a2", "a3"} {
			o := newOrg(t, db, slug, store.OrganizationActive)
			if _, err := db.Scoped(o.ID).AdoptTemplate(ctx, guard.ID, store.Actor{}); err != nil {
				t.Fatal(err)
			}
			if slug != "a3" {
				if _, err := db.Scoped(o.ID).AdoptTemplate(ctx, python.ID, store.Actor{}); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Two of the lifeguard's adoptions are older than the trending window.
		old := time.Now().UTC().Add(-40 * 24 * time.Hour)
		if err := store.Gorm(db).Exec("UPDATE template_adoptions SET created_at = ? WHERE id IN (SELECT id FROM template_adoptions WHERE source_template_id = ? ORDER BY id LIMIT 2)", old, guard.ID).Error; err != nil {
			t.Fatal(err)
		}
		if got := m.names(store.MarketplaceFilter{Sort: store.SortAdopted}); !slices.Equal(got, []string{"Lifeguard Licence", "Python Programming Badge", "First Aid Certificate"}) {
			t.Errorf("most adopted: %q", got)
		}
		if got := m.names(store.MarketplaceFilter{Sort: store.SortTrending}); !slices.Equal(got, []string{"Python Programming Badge", "Lifeguard Licence", "First Aid Certificate"}) {
			t.Errorf("trending: %q", got)
		}

		// Every order pages by keyset to the same list as one page.
		for _, s := range store.MarketplaceSorts() {
			for _, q := range []string{"", "first aid"} {
				f := store.MarketplaceFilter{Sort: s, Query: q}
				if one, walked := m.names(f), m.walk(f); !slices.Equal(one, walked) {
					t.Errorf("%s %q: one page %q, page by page %q", s, q, one, walked)
				}
			}
		}
		first, err := db.CrossOrg().Marketplace(ctx, store.MarketplaceFilter{Sort: store.SortNewest}, store.MarketplacePage{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CrossOrg().Marketplace(ctx, store.MarketplaceFilter{Sort: store.SortRating}, store.MarketplacePage{After: first.Next}); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("a newest cursor in the rating order: %v, want ErrBadCursor", err)
		}

		// Bad filters are field errors, never SQL errors.
		for _, c := range []struct {
			f     store.MarketplaceFilter
			field string
		}{
			{store.MarketplaceFilter{Query: strings.Repeat("a", store.MaxMarketplaceQuery+1)}, "q"},
			{store.MarketplaceFilter{Query: "first\x00aid"}, "q"},
			{store.MarketplaceFilter{Query: "first\naid"}, "q"},
			{store.MarketplaceFilter{Query: "\xff"}, "q"},
			{store.MarketplaceFilter{CategoryID: "health"}, "category"},
			{store.MarketplaceFilter{CategoryID: "7b0c1d1e-0000-4000-8000-000000000000"}, "category"},
			{store.MarketplaceFilter{Kind: "poster"}, "kind"},
			{store.MarketplaceFilter{IssuerType: "pirate"}, "issuer_type"},
			{store.MarketplaceFilter{MinRating: 6}, "min_rating"},
			{store.MarketplaceFilter{Sort: "price"}, "sort"},
		} {
			_, err := db.CrossOrg().Marketplace(ctx, c.f, store.MarketplacePage{})
			var fe store.FieldErrors
			if !errors.Is(err, store.ErrBadFilter) || !errors.As(err, &fe) || fe[c.field] == "" {
				t.Errorf("%+v: %v, want a field error on %s", c.f, err, c.field)
			}
		}

		// The tree lists parents before their children.
		cats, err := db.CrossOrg().TemplateCategories(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var tree []string
		for _, c := range cats {
			tree = append(tree, c.Name)
		}
		if !slices.Equal(tree, []string{"Health", "First aid", "Technology"}) {
			t.Errorf("categories %q", tree)
		}
		// A template of the catalogue opens; the others are not found.
		for _, id := range []string{suspended.ID, flagged.ID, withdrawn.ID, "nope"} {
			if _, err := db.CrossOrg().MarketplaceTemplate(ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("template %s: %v, want ErrNotFound", id, err)
			}
		}
	})
}

func TestMarketplacePublishAndAdopt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := market{t: t, db: db, ctx: ctx}
		pub := newOrg(t, db, "publisher", store.OrganizationActive)
		other := newOrg(t, db, "adopter", store.OrganizationActive)
		cat := m.category("Safety", nil)
		tpl := m.template(pub, tplSpec{name: "Forklift Licence", description: "Operate a forklift safely.", kind: store.TemplateLicense,
			labels: []string{"Licence number"}, defaults: map[string]string{"fa": "SECRET-DEFAULT"}})
		sp, so := db.Scoped(pub.ID), db.Scoped(other.ID)
		good := store.Publication{CategoryID: cat.ID, Licence: store.LicenceCCBYSA, Summary: "Warehouse forklift operators"}

		// Publishing: field errors, the checked version, another organization.
		for _, c := range []struct {
			p     store.Publication
			field string
		}{
			{store.Publication{Licence: store.LicenceCCBY, Summary: "x"}, "category_id"},
			{store.Publication{CategoryID: "7b0c1d1e-0000-4000-8000-000000000000", Licence: store.LicenceCCBY, Summary: "x"}, "category_id"},
			{store.Publication{CategoryID: cat.ID, Licence: "GPL-3.0", Summary: "x"}, "licence"},
			{store.Publication{CategoryID: cat.ID, Licence: store.LicenceCCBY, Summary: "  "}, "summary"},
			{store.Publication{CategoryID: cat.ID, Licence: store.LicenceCCBY, Summary: "a\u202eb"}, "summary"},
			{store.Publication{CategoryID: cat.ID, Licence: store.LicenceCCBY, Summary: strings.Repeat("x", 301)}, "summary"},
		} {
			_, err := sp.PublishTemplate(ctx, tpl.ID, tpl.Version, c.p, store.Actor{})
			var fe store.FieldErrors
			if !errors.As(err, &fe) || fe[c.field] == "" {
				t.Errorf("%+v: %v, want a field error on %s", c.p, err, c.field)
			}
		}
		if _, err := sp.PublishTemplate(ctx, tpl.ID, tpl.Version+1, good, store.Actor{}); !errors.Is(err, store.ErrTemplateChanged) {
			t.Errorf("another version: %v", err)
		}
		if _, err := so.PublishTemplate(ctx, tpl.ID, tpl.Version, good, store.Actor{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another organization publishes: %v", err)
		}
		if err := so.UnpublishTemplate(ctx, tpl.ID, store.Actor{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another organization unpublishes: %v", err)
		}
		if _, err := so.AdoptTemplate(ctx, tpl.ID, store.Actor{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("adopting an unpublished template: %v", err)
		}
		l, err := sp.PublishTemplate(ctx, tpl.ID, tpl.Version, good, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		if l.Version != 1 || l.Kind != store.TemplateLicense || l.Labels != "Licence number" {
			t.Errorf("listing %+v", l)
		}
		if _, err := sp.AdoptTemplate(ctx, tpl.ID, store.Actor{}); !errors.Is(err, store.ErrAdoptOwn) {
			t.Errorf("adopting one's own: %v", err)
		}
		e, err := db.CrossOrg().MarketplaceTemplate(ctx, tpl.ID)
		if err != nil {
			t.Fatal(err)
		}
		if snap := e.Snapshot.Data(); snap.Data.Defaults != nil || snap.Schema.Fields[0].Label != "Licence number" || e.Licence != store.LicenceCCBYSA {
			t.Errorf("the published snapshot %+v carries defaults or lacks the fields", snap)
		}

		// A change makes version 2; the catalogue shows version 1 until it is published.
		d := tpl.TemplateData.Data()
		changed, err := sp.UpdateTemplate(ctx, tpl.ID, store.TemplateChange{Name: "Forklift Operator Licence", Description: "Operate a forklift safely.",
			SchemaID: tpl.SchemaID, IsPublic: true, Data: d}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		if changed.Version != 2 {
			t.Fatalf("version after a change %d, want 2", changed.Version)
		}
		if e, _ := db.CrossOrg().MarketplaceTemplate(ctx, tpl.ID); e == nil || e.Name != "Forklift Licence" || e.Version != 1 {
			t.Errorf("before publishing again the catalogue shows %+v", e)
		}

		// The adopter already has a schema of that name and version: the copy's is the next.
		if err := store.Gorm(db).Create(&store.CredentialSchema{Name: "Forklift Licence schema", Version: "1.0", OrganizationID: other.ID, Active: true}).Error; err != nil {
			t.Fatal(err)
		}
		uid := newUserID(t, db, other)
		cp, err := so.AdoptTemplate(ctx, tpl.ID, store.Actor{UserID: &uid})
		if err != nil {
			t.Fatal(err)
		}
		if cp.OrganizationID != other.ID || cp.Name != "Forklift Licence" || cp.IsPublic || !cp.Active || cp.CategoryID == nil || *cp.CategoryID != cat.ID {
			t.Errorf("copy %+v", cp)
		}
		if cp.TemplateData.Data().Defaults != nil {
			t.Error("the copy carries the publisher's defaults")
		}
		cs, err := so.Schema(ctx, cp.SchemaID)
		if err != nil || cs.Version != "1.1" || len(cs.Fields) != 1 || cs.Fields[0].Label != "Licence number" {
			t.Errorf("copied schema %+v, %v: want version 1.1 with the field", cs, err)
		}
		a, err := so.Adoption(ctx, cp.ID)
		if err != nil || a == nil || a.SourceTemplateID == nil || *a.SourceTemplateID != tpl.ID || a.SourceVersion != 1 ||
			a.SourceName != "Forklift Licence" || a.SourceIssuer != "publisher" || a.AdoptedBy == nil || *a.AdoptedBy != uid {
			t.Errorf("provenance %+v, %v", a, err)
		}
		if a, err := sp.Adoption(ctx, cp.ID); a != nil || !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the publisher reads the adopter's provenance: %+v, %v", a, err)
		}
		if e, _ := db.CrossOrg().MarketplaceTemplate(ctx, tpl.ID); e == nil || e.Adoptions != 1 {
			t.Errorf("adoptions %+v, want 1", e)
		}
		var audits int64
		store.Gorm(db).Model(&store.AuditLog{}).Where("organization_id = ? AND action = ?", other.ID, "template.adopted").Count(&audits)
		if audits != 1 {
			t.Errorf("template.adopted audited %d times", audits)
		}

		// Publishing again lists version 2; unpublishing takes it out, and
		// adopting it is then not found.
		if _, err := sp.PublishTemplate(ctx, tpl.ID, 2, good, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if e, _ := db.CrossOrg().MarketplaceTemplate(ctx, tpl.ID); e == nil || e.Name != "Forklift Operator Licence" || e.Version != 2 || e.Adoptions != 1 {
			t.Errorf("after publishing version 2: %+v", e)
		}
		if err := sp.UnpublishTemplate(ctx, tpl.ID, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CrossOrg().MarketplaceTemplate(ctx, tpl.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unpublished: %v", err)
		}
		third := newOrg(t, db, "third", store.OrganizationActive)
		if _, err := db.Scoped(third.ID).AdoptTemplate(ctx, tpl.ID, store.Actor{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("adopting an unpublished template: %v", err)
		}
		for _, action := range []string{"template.published", "template.unpublished"} {
			store.Gorm(db).Model(&store.AuditLog{}).Where("organization_id = ? AND action = ?", pub.ID, action).Count(&audits)
			if audits == 0 {
				t.Errorf("%s not audited", action)
			}
		}
	})
}

func newUserID(t *testing.T, db *store.DB, o *store.Organization) string {
	t.Helper()
	u := &store.User{Email: "u-" + o.Slug + "@example.com", Role: store.RoleIssuer, OrganizationID: &o.ID}
	if err := store.Gorm(db).Create(u).Error; err != nil {
		t.Fatal(err)
	}
	return u.ID
}
