package issuance_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// The expiry job, registered under its kind, marks a credential past its
// expiry as expired when it runs.
func TestExpireJob(t *testing.T) {
	ws := jobs.NewWorkers()
	issuance.RegisterExpire(ws, nil, storetest.Logger(t))
	if got := ws.Kinds(); !slices.Equal(got, []string{"expire_credentials"}) {
		t.Fatalf("kinds %v", got)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		soon := time.Now().Add(time.Hour)
		r := request(f.jcs, "R", "r@example.org")
		r.ExpiresAt = &soon
		out, err := f.is.Submit(ctx, f.sc, r, store.ViaWeb, "", store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		w := &issuance.ExpireWorker{Issuer: f.is, Log: storetest.Logger(t), Now: func() time.Time { return soon.Add(time.Minute) }}
		if err := w.Work(ctx, &river.Job[issuance.Expire]{}); err != nil {
			t.Fatal(err)
		}
		if c, err := f.sc.Credential(ctx, out.Credential.ID); err != nil || c.Status != store.CredentialExpired {
			t.Fatalf("after the job: %v %v", c.Status, err)
		}
	})
}
