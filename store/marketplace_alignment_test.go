package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// The "Aligned to" filter finds badges by a framework or a target name of
// their published version's alignment, lists only the values of listed
// templates, and takes any text without an error from the database.
func TestMarketplaceAlignmentFilter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := market{t: t, db: db, ctx: ctx}
		school := newOrg(t, db, "school", store.OrganizationActive)
		tech := m.category("Technology", nil)
		align := func(name string, targets ...store.Alignment) *store.CredentialTemplate {
			tpl := m.template(school, tplSpec{name: name, kind: store.TemplateBadge, labels: []string{"Project"}})
			d := tpl.TemplateData.Data()
			d.Achievement.Alignment = targets
			tpl, err := db.Scoped(school.ID).UpdateTemplate(ctx, tpl.ID, store.TemplateChange{Name: name, SchemaID: tpl.SchemaID, Data: d}, store.Actor{})
			if err != nil {
				t.Fatal(err)
			}
			return tpl
		}
		goBadge := align("Go Badge", store.Alignment{TargetName: "Programming in Go", TargetURL: "https://esco.test/go", TargetFramework: "ESCO"},
			store.Alignment{TargetName: "Code review", TargetURL: "https://skills.test/review", TargetFramework: "Skills 100%_"})
		m.publish(school, goBadge, tech, "Go")
		pyBadge := align("Python Badge", store.Alignment{TargetName: "Programming in Python", TargetURL: "https://esco.test/py", TargetFramework: "ESCO"})
		m.publish(school, pyBadge, tech, "Python")
		plain := m.template(school, tplSpec{name: "Plain Badge", kind: store.TemplateBadge, labels: []string{"Project"}})
		m.publish(school, plain, tech, "Plain")
		// Aligned but never published: its values are not offered.
		align("Private Badge", store.Alignment{TargetName: "Secret skill", TargetURL: "https://esco.test/secret", TargetFramework: "Internal"})

		for _, c := range []struct {
			alignment string
			want      []string
		}{
			{"ESCO", []string{"Go Badge", "Python Badge"}},
			{"Programming in Go", []string{"Go Badge"}},
			{"Code review", []string{"Go Badge"}},
			{"Skills 100%_", []string{"Go Badge"}},
			{"Skills", nil},              // a whole value, not a part of one
			{"esco", nil},                // as written
			{"Secret skill", nil},        // not listed
			{"%", nil},                   // no pattern syntax
			{"ESCO\nT:Code review", nil}, // one line only: refused below
		} {
			f := store.MarketplaceFilter{Alignment: c.alignment, Sort: store.SortNewest}
			if c.alignment == "ESCO\nT:Code review" {
				_, err := db.CrossOrg().Marketplace(ctx, f, store.MarketplacePage{})
				var fe store.FieldErrors
				if !errors.As(err, &fe) || fe["alignment"] == "" {
					t.Errorf("a value of two lines: %v", err)
				}
				continue
			}
			got := m.names(f)
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Errorf("aligned to %q: %q, want %q", c.alignment, got, c.want)
			}
		}
		// With another filter and a search.
		if got := m.names(store.MarketplaceFilter{Alignment: "ESCO", Query: "python"}); !slices.Equal(got, []string{"Python Badge"}) {
			t.Errorf("ESCO and python: %q", got)
		}
		if got := m.names(store.MarketplaceFilter{Alignment: "ESCO", Kind: store.TemplateCertificate}); got != nil {
			t.Errorf("ESCO certificates: %q", got)
		}

		targets, err := db.CrossOrg().MarketplaceAlignments(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(targets.Frameworks, []string{"ESCO", "Skills 100%_"}) ||
			!slices.Equal(targets.Targets, []string{"Code review", "Programming in Go", "Programming in Python"}) {
			t.Errorf("values offered %+v", targets)
		}

		// A new version without alignment, published, leaves the filter.
		d := goBadge.TemplateData.Data()
		d.Achievement.Alignment = nil
		goBadge, err = db.Scoped(school.ID).UpdateTemplate(ctx, goBadge.ID, store.TemplateChange{Name: "Go Badge", SchemaID: goBadge.SchemaID, Data: d}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		m.publish(school, goBadge, tech, "Go")
		if got := m.names(store.MarketplaceFilter{Alignment: "ESCO"}); !slices.Equal(got, []string{"Python Badge"}) {
			t.Errorf("after republishing without alignment: %q", got)
		}
	})
}
