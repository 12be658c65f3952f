package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// BenchmarkCredentialsList measures the credentials list over 1,000,000
// credentials of one organization on PostgreSQL (100,000 on SQLite), plus
// 50,000 (5,000) of another, with each page's p50 and p95 latency:
//
//	go test -run '^$' -bench CredentialsList -benchtime 200x ./store/
//
// first-page: every credential, newest first; filtered: suspended
// credentials of one template (1.5%); deep-page: a page 90% of the way
// down; search-common: recipients "@school7." (2%); search-rare: "learner
// 12345" (11 matches).
func BenchmarkCredentialsList(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds a million rows")
	}
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d)
			n := 1_000_000
			if d == store.SQLite {
				n = 100_000
			}
			start := time.Now()
			f := seedCredentials(b, db, n)
			b.Logf("seeded %d credentials in %s", n+n/20, time.Since(start).Round(time.Millisecond))
			benchmarkCredentials(b, db, f, n)
		})
	}
}

type benchCreds struct {
	org, other    string
	schemas, tpls [2]string
	deep          *store.Cursor
}

func benchmarkCredentials(b *testing.B, db *store.DB, f *benchCreds, n int) {
	ctx := context.Background()
	sc := db.Scoped(f.org)
	var deep struct {
		CreatedAt time.Time
		ID        string
	}
	if err := store.Gorm(db).Raw("SELECT created_at, id FROM credentials WHERE issuer_id = ? ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?",
		f.org, n*9/10).Scan(&deep).Error; err != nil {
		b.Fatal(err)
	}
	cur := &store.Cursor{At: deep.CreatedAt.UTC(), ID: deep.ID}
	cases := []struct {
		name string
		f    store.CredentialFilter
		p    store.CredentialPage
	}{
		{"first-page", store.CredentialFilter{}, store.CredentialPage{}},
		{"filtered", store.CredentialFilter{Status: store.CredentialSuspended, TemplateID: f.tpls[0]}, store.CredentialPage{}},
		{"deep-page", store.CredentialFilter{}, store.CredentialPage{Cursor: cur}},
		{"search-common", store.CredentialFilter{Recipient: "@school7."}, store.CredentialPage{}},
		{"search-rare", store.CredentialFilter{Recipient: "Learner 12345"}, store.CredentialPage{}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			l, err := sc.Credentials(ctx, c.f, c.p)
			if err != nil {
				b.Fatal(err)
			}
			// A fast empty page would measure nothing: every case matches rows.
			if len(l.Entries) == 0 {
				b.Fatalf("%s: no credentials on the page", c.name)
			}
			for _, e := range l.Entries {
				if c.f.Status != "" && e.Status != c.f.Status {
					b.Fatalf("%s: a %s credential in a %s page", c.name, e.Status, c.f.Status)
				}
			}
			b.Logf("%d entries", len(l.Entries))
			var took []time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := sc.Credentials(ctx, c.f, c.p); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(t0))
			}
			slices.Sort(took)
			ms := func(q float64) float64 { return float64(took[int(q*float64(len(took)-1))]) / float64(time.Millisecond) }
			b.ReportMetric(ms(0.5), "p50-ms")
			b.ReportMetric(ms(0.95), "p95-ms")
		})
	}
}

// seedCredentials inserts n credentials of one organization and n/20 of
// another, one every 20 seconds back from 2026-01-01: a quarter on the
// second template (and schema), one in 25 revoked, one in 50 suspended,
// recipients "Learner i" <learner-i@school(i%50).example>. PostgreSQL:
// INSERT … SELECT generate_series; SQLite: a recursive CTE.
func seedCredentials(b testing.TB, db *store.DB, n int) *benchCreds {
	b.Helper()
	g := store.Gorm(db)
	f := &benchCreds{}
	for i, slug := range []string{"bench-issuer", "bench-other"} {
		o := &store.Organization{Name: slug, Slug: slug, Type: store.OrganizationEducational, Status: store.OrganizationActive, DID: "did:web:x:orgs:" + slug}
		if err := db.CreateOrganization(context.Background(), o, store.Actor{}); err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			f.org = o.ID
		} else {
			f.other = o.ID
		}
	}
	now := time.Now().UTC()
	for i := range 2 {
		f.schemas[i], f.tpls[i] = uuid.NewString(), uuid.NewString()
		if err := g.Exec("INSERT INTO credential_schemas (id, name, version, organization_id, schema_definition, fields, active, created_at, updated_at) VALUES (?, ?, '1', ?, '{}', '[]', ?, ?, ?)",
			f.schemas[i], fmt.Sprintf("Schema %d", i), f.org, true, now, now).Error; err != nil {
			b.Fatal(err)
		}
		if err := g.Exec("INSERT INTO credential_templates (id, name, organization_id, schema_id, template_data, is_public, active, created_at, updated_at) VALUES (?, ?, ?, ?, '{}', ?, ?, ?, ?)",
			f.tpls[i], fmt.Sprintf("Template %d", i), f.org, f.schemas[i], false, true, now, now).Error; err != nil {
			b.Fatal(err)
		}
	}
	var series, id, ts, concat string
	uuidType := "TEXT"
	if db.Dialect() == store.Postgres {
		series = "generate_series(1, ?) AS s(g)"
		uuidType = "uuid"
		id = "gen_random_uuid()"
		ts = "timestamptz '2026-01-01 00:00:00+00' - g * interval '20 seconds'"
		concat = "'learner-' || g || '@school' || (g % 50) || '.example', 'Learner ' || g"
	} else {
		series = "(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < ?) SELECT g FROM s)"
		id = "printf('%08x-0000-7000-8000-%012x', g, g + ?)"
		// the text form the driver writes times in
		ts = "strftime('%Y-%m-%d %H:%M:%S+00:00', 1767225600 - g * 20, 'unixepoch')"
		concat = "'learner-' || g || '@school' || (g % 50) || '.example', 'Learner ' || g"
	}
	insert := func(org string, count int, prefix string, salt int, schemas, tpls [2]string) {
		q := "INSERT INTO credentials (id, public_id, schema_id, issuer_id, recipient_address, recipient_name, status, issued_at, revoked_at, created_at, updated_at, template_id) " +
			"SELECT " + id + ", ? || g, CAST(CASE WHEN g % 4 = 0 THEN ? ELSE ? END AS " + uuidType + "), ?, " + concat + ", " +
			"CASE WHEN g % 25 = 0 THEN 'revoked' WHEN g % 50 = 1 THEN 'suspended' ELSE 'active' END, " +
			ts + ", CASE WHEN g % 25 = 0 THEN " + ts + " END, " + ts + ", " + ts + ", CAST(CASE WHEN g % 4 = 0 THEN ? ELSE ? END AS " + uuidType + ") FROM " + series
		args := []any{}
		if db.Dialect() == store.SQLite {
			args = append(args, salt)
		}
		args = append(args, prefix, schemas[1], schemas[0], org, tpls[1], tpls[0], count)
		if err := g.Session(&gorm.Session{SkipDefaultTransaction: true}).Exec(q, args...).Error; err != nil {
			b.Fatal(err)
		}
	}
	insert(f.org, n, "bench-a-", 0, f.schemas, f.tpls)
	insert(f.other, n/20, "bench-b-", 1<<40, f.schemas, f.tpls)
	if db.Dialect() == store.Postgres {
		if err := g.Exec("ANALYZE credentials").Error; err != nil {
			b.Fatal(err)
		}
	} else if err := g.Exec("ANALYZE").Error; err != nil {
		b.Fatal(err)
	}
	return f
}
