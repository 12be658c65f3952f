package store_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

const cursorID = "01956b3c-0000-7000-8000-000000000001"

// Every list's cursor survives its token: the key, the time to the
// nanosecond, the id; and the token is URL-safe.
func TestCursorRoundTrip(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC)
	for _, c := range []store.Cursor{
		{At: at, ID: cursorID},                                           // the lists ordered by time
		{Key: "université d'été, \"x\" & y", ID: cursorID},               // the console by name
		{Key: string(store.OrganizationSuspended), At: at, ID: cursorID}, // the console by status
		{At: time.Date(1999, 12, 31, 23, 59, 59, 0, time.FixedZone("x", 3600)), ID: "ffffffff-ffff-7fff-bfff-ffffffffffff"},
		{Key: strings.Repeat("é", store.MaxCursorKey/2), ID: cursorID},
	} {
		tok := c.String()
		got, err := store.ParseCursor(tok)
		if err != nil || got.Key != c.Key || !got.At.Equal(c.At) || got.At.IsZero() != c.At.IsZero() || got.ID != c.ID {
			t.Errorf("round trip of %+v: %+v %v", c, got, err)
		}
		if strings.ContainsAny(tok, "/+=?&%# ") {
			t.Errorf("token %q is not URL-safe", tok)
		}
	}
}

// A token this server did not make is ErrBadCursor, never a panic or a
// position: garbage, the old formats, a damaged header, a key that is not
// text.
func TestCursorMalformed(t *testing.T) {
	good := store.Cursor{At: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), ID: cursorID}.String()
	raw, err := base64.RawURLEncoding.DecodeString(good)
	if err != nil {
		t.Fatal(err)
	}
	tok := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	with := func(mut func(b []byte) []byte) string { return tok(mut(append([]byte(nil), raw...))) }
	// The same bytes with non-zero padding bits in the last character.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, good[len(good)-1])
	loose := good[:len(good)-1] + string(alphabet[last|1])
	for name, bad := range map[string]string{
		"empty":             "",
		"garbage":           "x",
		"not base64":        "!!!!",
		"padded":            good + "==",
		"loose padding":     loose,
		"too long":          strings.Repeat("A", 3000),
		"short":             tok(raw[:24]),
		"old audit format":  "2025-03-01T12:00:00Z_" + cursorID,
		"old json format":   tok([]byte(`{"t":"2025-03-01T12:00:00Z","i":"` + cursorID + `"}`)),
		"unknown flag":      with(func(b []byte) []byte { b[0] = 2; return b }),
		"time without flag": with(func(b []byte) []byte { b[0] = 0; return b }),
		"NUL in key":        with(func(b []byte) []byte { return append(b, "a\x00b"...) }),
		"key not UTF-8":     with(func(b []byte) []byte { return append(b, 0xff) }),
		"key too long":      with(func(b []byte) []byte { return append(b, strings.Repeat("a", store.MaxCursorKey+1)...) }),
		"time past int64":   with(func(b []byte) []byte { b[17] = 0x80; return b }),
	} {
		if c, err := store.ParseCursor(bad); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("%s %q: %+v %v", name, bad, c, err)
		}
	}
}

// Each list refuses a cursor made for an order of another shape
// (ErrBadCursor, which the pages show as a bad page link), so that a
// token from one list cannot seek another.
func TestListsRefuseACursorOfAnotherShape(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, "shapes", store.OrganizationActive)
		sc, acc := db.Scoped(org.ID), db.Account(orgMember(t, db, org, "a@shapes.example", store.RoleAdmin).ID)
		at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
		byName := &store.Cursor{Key: "acme", ID: cursorID}
		byStatus := &store.Cursor{Key: "active", At: at, ID: cursorID}
		for _, cur := range []*store.Cursor{byName, byStatus} {
			for name, list := range map[string]func() error{
				"AuditLogs":    func() error { _, err := sc.AuditLogs(ctx, store.AuditFilter{Before: cur}); return err },
				"AllAuditLogs": func() error { _, err := db.AllAuditLogs(ctx, store.AuditFilter{Before: cur}); return err },
				"Verifications": func() error {
					_, err := sc.Verifications(ctx, store.VerificationFilter{Before: cur})
					return err
				},
				"Notifications": func() error {
					_, err := acc.Notifications(ctx, store.NotificationFilter{Before: cur})
					return err
				},
				"Credentials": func() error {
					_, err := sc.Credentials(ctx, store.CredentialFilter{}, store.CredentialPage{Cursor: cur})
					return err
				},
				"APICredentials":  func() error { _, err := sc.APICredentials(ctx, "", cur.String(), 10); return err },
				"PublicTemplates": func() error { _, err := db.CrossOrg().PublicTemplates(ctx, cur, 10); return err },
			} {
				if err := list(); !errors.Is(err, store.ErrBadCursor) {
					t.Errorf("%s with %+v: %v, want ErrBadCursor", name, cur, err)
				}
			}
		}
		for sort, ok := range map[store.OrganizationSort]*store.Cursor{
			store.SortOrganizationsByName:    byName,
			store.SortOrganizationsByCreated: {At: at, ID: cursorID},
			store.SortOrganizationsByStatus:  byStatus,
		} {
			if _, err := db.AllOrganizations(ctx, store.OrganizationFilter{Sort: sort}, store.OrganizationPage{After: ok}); err != nil {
				t.Errorf("console by %s with its own cursor: %v", sort, err)
			}
			for other, cur := range map[store.OrganizationSort]*store.Cursor{
				store.SortOrganizationsByName:    byName,
				store.SortOrganizationsByCreated: {At: at, ID: cursorID},
				store.SortOrganizationsByStatus:  byStatus,
				"bad status":                     {Key: "deleted", At: at, ID: cursorID},
			} {
				if other == sort {
					continue
				}
				if _, err := db.AllOrganizations(ctx, store.OrganizationFilter{Sort: sort}, store.OrganizationPage{After: cur}); !errors.Is(err, store.ErrBadCursor) {
					t.Errorf("console by %s with a cursor of %s: %v", sort, other, err)
				}
			}
		}
	})
}

// BenchmarkCursor makes and reads one list's page token, as each page of a
// list does once.
func BenchmarkCursor(b *testing.B) {
	for name, c := range map[string]store.Cursor{
		"timed": {At: time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC), ID: cursorID},
		"keyed": {Key: "université d'été", ID: cursorID},
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := store.ParseCursor(c.String()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
