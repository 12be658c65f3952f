package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

type credFixture struct {
	a, b        *store.Organization
	schemaA     *store.CredentialSchema
	tplA, tplA2 *store.CredentialTemplate
	tplB        *store.CredentialTemplate
	creds       []*store.Credential // org A's, oldest first
	base        time.Time
}

// credentialsFixture makes org A with n credentials, one a minute from
// base (2025-03-01), every third on the second template, every fourth
// revoked, recipients "Person i" <person-i@example.org>, and org B with one.
func credentialsFixture(t *testing.T, db *store.DB, n int) *credFixture {
	t.Helper()
	g := store.Gorm(db)
	f := &credFixture{a: newOrg(t, db, "alpha", store.OrganizationActive), b: newOrg(t, db, "bravo", store.OrganizationActive),
		base: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	mkSchema := func(org *store.Organization, name string) *store.CredentialSchema {
		s := &store.CredentialSchema{Name: name, Version: "1", OrganizationID: org.ID, Active: true,
			Fields: datatypes.NewJSONSlice([]store.SchemaField{{Name: "degree", Label: "Degree", Type: store.SchemaFieldText}})}
		if err := g.Create(s).Error; err != nil {
			t.Fatal(err)
		}
		return s
	}
	mkTpl := func(org *store.Organization, s *store.CredentialSchema, name string, active bool) *store.CredentialTemplate {
		tp := &store.CredentialTemplate{Name: name, OrganizationID: org.ID, SchemaID: s.ID, Active: active}
		if err := g.Create(tp).Error; err != nil {
			t.Fatal(err)
		}
		if !active {
			if err := g.Model(tp).Update("active", false).Error; err != nil {
				t.Fatal(err)
			}
		}
		return tp
	}
	f.schemaA = mkSchema(f.a, "Degree")
	schemaA2 := mkSchema(f.a, "Course")
	f.tplA, f.tplA2 = mkTpl(f.a, f.schemaA, "BSc", true), mkTpl(f.a, schemaA2, "Course", false)
	schemaB := mkSchema(f.b, "Degree")
	f.tplB = mkTpl(f.b, schemaB, "BSc", true)
	mk := func(org *store.Organization, tpl *store.CredentialTemplate, i int) *store.Credential {
		at := f.base.Add(time.Duration(i) * time.Minute)
		name := fmt.Sprintf("Person %d", i)
		c := &store.Credential{PublicID: fmt.Sprintf("%s-%d", org.Slug, i), SchemaID: tpl.SchemaID, TemplateID: &tpl.ID, IssuerID: org.ID,
			RecipientAddress: fmt.Sprintf("person-%d@example.org", i), RecipientName: &name, Status: store.CredentialActive,
			IssuedAt: &at, CreatedAt: at, UpdatedAt: at}
		if i%4 == 3 {
			c.Status, c.RevokedAt = store.CredentialRevoked, &at
		}
		if err := g.Create(c).Error; err != nil {
			t.Fatal(err)
		}
		return c
	}
	for i := range n {
		tpl := f.tplA
		if i%3 == 2 {
			tpl = f.tplA2
		}
		f.creds = append(f.creds, mk(f.a, tpl, i))
	}
	mk(f.b, f.tplB, 0)
	return f
}

func credIDs(entries []store.CredentialEntry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.ID)
	}
	return out
}

func TestCredentialsListFiltersAndPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := credentialsFixture(t, db, 12)
		sc := db.Scoped(f.a.ID)
		want := func(pick func(i int) bool) []string {
			var out []string
			for i := len(f.creds) - 1; i >= 0; i-- {
				if pick(i) {
					out = append(out, f.creds[i].ID)
				}
			}
			return out
		}
		cases := []struct {
			name string
			f    store.CredentialFilter
			pick func(i int) bool
		}{
			{"all", store.CredentialFilter{}, func(int) bool { return true }},
			{"revoked", store.CredentialFilter{Status: store.CredentialRevoked}, func(i int) bool { return i%4 == 3 }},
			{"template", store.CredentialFilter{TemplateID: f.tplA2.ID}, func(i int) bool { return i%3 == 2 }},
			{"schema", store.CredentialFilter{SchemaID: f.schemaA.ID}, func(i int) bool { return i%3 != 2 }},
			{"active on template", store.CredentialFilter{Status: store.CredentialActive, TemplateID: f.tplA.ID}, func(i int) bool { return i%3 != 2 && i%4 != 3 }},
			{"recipient name any case", store.CredentialFilter{Recipient: "PERSON 1"}, func(i int) bool { return i == 1 || i == 10 || i == 11 }},
			{"recipient address", store.CredentialFilter{Recipient: "person-7@"}, func(i int) bool { return i == 7 }},
			{"like characters are literal", store.CredentialFilter{Recipient: "person_%"}, func(int) bool { return false }},
			// All on 2025-03-01: one day, inclusive.
			{"day range", store.CredentialFilter{IssuedFrom: f.base, IssuedTo: f.base}, func(int) bool { return true }},
			{"before the day", store.CredentialFilter{IssuedTo: f.base.AddDate(0, 0, -1)}, func(int) bool { return false }},
			{"after the day", store.CredentialFilter{IssuedFrom: f.base.AddDate(0, 0, 1)}, func(int) bool { return false }},
		}
		for _, tc := range cases {
			l, err := sc.Credentials(ctx, tc.f, store.CredentialPage{})
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if got, w := credIDs(l.Entries), want(tc.pick); !slices.Equal(got, w) {
				t.Errorf("%s: %d entries, want %d", tc.name, len(got), len(w))
			}
		}
		// Pages of 5 walk every credential once, newest first, through an opaque cursor.
		var seen []string
		p := store.CredentialPage{Limit: 5}
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("pages do not end")
			}
			l, err := sc.Credentials(ctx, store.CredentialFilter{}, p)
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, credIDs(l.Entries)...)
			if l.Next == nil {
				break
			}
			tok := l.Next.String()
			if strings.Contains(tok, l.Next.ID) {
				t.Errorf("the cursor %q shows the id", tok)
			}
			if p.Cursor, err = store.ParseCursor(tok); err != nil {
				t.Fatal(err)
			}
		}
		if !slices.Equal(seen, want(func(int) bool { return true })) {
			t.Errorf("pages gave %d credentials in another order", len(seen))
		}
		// A search whose matches fill each page (on PostgreSQL: found by the
		// walk, not the lookup) pages the same way.
		seen, p = nil, store.CredentialPage{Limit: 5}
		for range 5 {
			l, err := sc.Credentials(ctx, store.CredentialFilter{Recipient: "EXAMPLE.ORG"}, p)
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, credIDs(l.Entries)...)
			if l.Next == nil {
				break
			}
			p.Cursor = l.Next
		}
		if !slices.Equal(seen, want(func(int) bool { return true })) {
			t.Errorf("search pages gave %d credentials in another order", len(seen))
		}
		l, _ := sc.Credentials(ctx, store.CredentialFilter{}, store.CredentialPage{})
		if e := l.Entries[0]; e.TemplateName == nil || *e.TemplateName != "Course" || e.RecipientName == nil || *e.RecipientName != "Person 11" {
			t.Errorf("first entry %+v", e)
		}
		for _, bad := range []store.CredentialFilter{{Status: "gone"}, {TemplateID: "x"}, {SchemaID: "1 OR 1=1"}, {Recipient: strings.Repeat("a", 201)}} {
			if _, err := sc.Credentials(ctx, bad, store.CredentialPage{}); !errors.Is(err, store.ErrBadFilter) {
				t.Errorf("%+v: %v", bad, err)
			}
		}
	})
}

// Another organization's handle sees none of A's credentials, templates or
// counts: ErrNotFound.
func TestCredentialsTenancy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := credentialsFixture(t, db, 3)
		b := db.Scoped(f.b.ID)
		l, err := b.Credentials(ctx, store.CredentialFilter{}, store.CredentialPage{})
		if err != nil || len(l.Entries) != 1 || l.Entries[0].ID == f.creds[0].ID {
			t.Fatalf("org B lists %d (%v)", len(l.Entries), err)
		}
		if l, _ := b.Credentials(ctx, store.CredentialFilter{TemplateID: f.tplA.ID}, store.CredentialPage{}); len(l.Entries) != 0 {
			t.Error("org B lists A's credentials by A's template")
		}
		if _, err := b.Credential(ctx, f.creds[0].ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Credential: %v", err)
		}
		if _, err := b.CredentialVerificationCount(ctx, f.creds[0].ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("CredentialVerificationCount: %v", err)
		}
		if _, err := b.IssuableTemplate(ctx, f.tplA.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("IssuableTemplate: %v", err)
		}
		a := db.Scoped(f.a.ID)
		if _, err := a.IssuableTemplate(ctx, f.tplA2.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an inactive template is issuable: %v", err)
		}
		tpls, err := a.IssuableTemplates(ctx)
		if err != nil || len(tpls) != 1 || tpls[0].ID != f.tplA.ID || tpls[0].Schema == nil {
			t.Errorf("IssuableTemplates: %d (%v)", len(tpls), err)
		}
		ch, err := a.CredentialFilterChoices(ctx)
		if err != nil || len(ch.Templates) != 2 || len(ch.Schemas) != 2 {
			t.Errorf("choices %+v (%v)", ch, err)
		}
		// Verifications are counted per credential.
		g := store.Gorm(db)
		for range 3 {
			if err := g.Create(&store.VerificationLog{CredentialID: &f.creds[1].ID, VerificationMethod: store.VerifiedByWebInterface}).Error; err != nil {
				t.Fatal(err)
			}
		}
		if n, err := a.CredentialVerificationCount(ctx, f.creds[1].ID); err != nil || n != 3 {
			t.Errorf("count %d (%v), want 3", n, err)
		}
		if n, err := a.CredentialVerificationCount(ctx, f.creds[0].ID); err != nil || n != 0 {
			t.Errorf("count %d (%v), want 0", n, err)
		}
	})
}

// Each filter's page is read through an index ending in (created_at, id)
// from the cursor on, without sorting.
func TestCredentialsListUsesTheIndexes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := credentialsFixture(t, db, 10)
		cur := &store.Cursor{At: f.base.Add(5 * time.Minute), ID: "ffffffff-ffff-7fff-bfff-ffffffffffff"}
		cases := []struct {
			index string
			f     store.CredentialFilter
			// a day range may seek to the range's end rather than the cursor
			rangeSeek bool
		}{
			{"idx_credentials_issuer_created", store.CredentialFilter{}, false},
			{"idx_credentials_issuer_created", store.CredentialFilter{IssuedFrom: f.base, IssuedTo: f.base}, true},
			{"idx_credentials_issuer_status_created", store.CredentialFilter{Status: store.CredentialRevoked}, false},
			{"idx_credentials_issuer_template_created", store.CredentialFilter{TemplateID: f.tplA.ID}, false},
			{"idx_credentials_issuer_schema_created", store.CredentialFilter{SchemaID: f.schemaA.ID}, false},
		}
		for _, tc := range cases {
			q := store.CredentialsSQL(db, f.a.ID, tc.f, cur)
			plan := storetest.Explain(t, db, q)
			text := strings.Join(plan, "\n")
			sorts := slices.ContainsFunc(plan, func(s string) bool { return strings.Contains(s, "TEMP B-TREE") || strings.Contains(s, "Sort") })
			seeks := tc.rangeSeek || strings.Contains(text, "(created_at,id)<(?,?)") || strings.Contains(text, "ROW(created_at, id) <")
			if !strings.Contains(text, tc.index) || sorts || !seeks {
				t.Errorf("%+v: the plan does not read %s from the cursor on, in order:\n%s\n%s", tc.f, tc.index, q, text)
			}
		}
	})
}

// Concurrent first uses of the API schema agree on one row, created once
// (and audited once); another organization gets its own.
func TestAPISchemaRaceSafe(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, b := newOrg(t, db, "acme", store.OrganizationActive), newOrg(t, db, "bolt", store.OrganizationActive)
		const n = 8
		ids := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cs, err := db.Scoped(a.ID).APISchema(context.Background())
				if err == nil {
					ids[i] = cs.ID
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("call %d: %q %v (first %q)", i, ids[i], errs[i], ids[0])
			}
		}
		var count int64
		if err := store.Gorm(db).Model(&store.CredentialSchema{}).Where("organization_id = ?", a.ID).Count(&count).Error; err != nil || count != 1 {
			t.Fatalf("%d schemas (%v)", count, err)
		}
		if c := countAuditFor(t, db, "schema.created", ids[0]); c != 1 {
			t.Fatalf("%d audit entries", c)
		}
		other, err := db.Scoped(b.ID).APISchema(context.Background())
		if err != nil || other.ID == ids[0] || other.OrganizationID != b.ID || other.Name != store.APISchemaName || !other.Active {
			t.Fatalf("B's schema %+v %v", other, err)
		}
	})
}
