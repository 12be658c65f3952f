package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

func TestPublicIssuer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := org(t, db, "public-org")
		for _, c := range []string{"universities", "engineering"} {
			if err := store.Gorm(db).Create(&store.IssuerCategory{IssuerID: a.ID, Category: c}).Error; err != nil {
				t.Fatal(err)
			}
		}
		is, err := db.PublicIssuer(ctx, "public-org")
		if err != nil || is.ID != a.ID || fmt.Sprint(is.Categories) != "[engineering universities]" {
			t.Fatalf("active issuer: %+v %v", is, err)
		}
		for status, want := range map[string]error{"pending": nil, "suspended": nil, "revoked": store.ErrNotFound} {
			if _, err := db.SQL().Exec("UPDATE organizations SET status = '"+status+"' WHERE id = "+placeholder(db, 1), a.ID); err != nil {
				t.Fatal(err)
			}
			is, err := db.PublicIssuer(ctx, "public-org")
			if !errors.Is(err, want) || err == nil && (is.Categories != nil || string(is.Status) != status) {
				t.Errorf("%s issuer: %+v %v", status, is, err)
			}
		}
		if _, err := db.PublicIssuer(ctx, "no-such-org"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown issuer: %v", err)
		}
	})
}
