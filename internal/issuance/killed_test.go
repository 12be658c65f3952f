package issuance_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// The environment of the process TestPublishersKilled kills.
const (
	killDBEnv    = "TRUSTCRED_ISSUANCE_KILLTEST_DB"
	killOrgEnv   = "TRUSTCRED_ISSUANCE_KILLTEST_ORG"
	killKeyEnv   = "TRUSTCRED_ISSUANCE_KILLTEST_KEY"
	killCredsEnv = "TRUSTCRED_ISSUANCE_KILLTEST_CREDENTIALS"
	killedApp    = "trustcred-killed-publisher"
)

// A process that changes credentials' status (suspend, unsuspend: the
// issuer's door) and adds members (store.DB.CreateUserThen with
// events.Joined, as the CLI does), each change with its event in its
// transaction, is killed with SIGKILL mid-way. Once the server has finished
// with its sessions, every change that committed has exactly one event in
// the outbox (the queue's jobs, which a restarted process fans out:
// TestPublisherKilled in internal/webhook follows them to the receiver),
// and no event is there for a change that did not commit. Each change is
// tagged (the status change's reason, the member's address) so that
// changes and events are matched one to one. PostgreSQL, as two processes
// share it.
func TestPublishersKilled(t *testing.T) {
	if dbURL := os.Getenv(killDBEnv); dbURL != "" {
		doomedPublishers(t, dbURL)
		return
	}
	if testing.Short() {
		t.Skip("kills a process")
	}
	db := storetest.Open(t, store.Postgres)
	raw := secret.GenerateKey()
	f := setupWithKey(t, db, raw)
	ctx := context.Background()
	const n = 20
	ids := make([]string, n)
	for i := range n {
		out, err := f.is.Submit(ctx, f.sc, request(f.jcs, fmt.Sprintf("R%d", i), fmt.Sprintf("r%d@example.org", i)), store.ViaWeb, "", store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = out.Credential.ID
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestPublishersKilled$")
	cmd.Env = append(os.Environ(), killDBEnv+"="+storetest.ChildURL(t, db, killedApp), killOrgEnv+"="+f.org.ID,
		killKeyEnv+"="+hex.EncodeToString(raw), killCredsEnv+"="+strings.Join(ids, ","))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	target := 60 + rand.IntN(200) // #nosec G404 -- a test's random moment
	deadline := time.Now().Add(2 * time.Minute)
	for len(pending(t, db, events.CredentialSuspended, events.CredentialUnsuspended, events.MemberJoined)) < target {
		if time.Now().After(deadline) {
			t.Fatalf("the child published fewer than %d events in 2 minutes", target)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	storetest.WaitForSessionsGone(t, db, killedApp)

	// What committed: status changes tagged by their reason, members by
	// their address.
	changes := map[string]int{}
	for _, id := range ids {
		h, err := f.sc.CredentialStatusHistory(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range h {
			if c.Reason != nil && strings.HasPrefix(*c.Reason, "kill ") {
				changes[*c.Reason]++
			}
		}
	}
	members := map[string]int{}
	ms, err := f.sc.Members(ctx, store.MemberFilter{Query: "kill-"})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if strings.HasPrefix(m.Email, "kill-") {
			members[m.Email]++
		}
	}
	// What the outbox holds.
	statusEvents, memberEvents := map[string]int{}, map[string]int{}
	for _, e := range pending(t, db, events.CredentialSuspended, events.CredentialUnsuspended) {
		statusEvents[payload[events.StatusChanged](t, e).Reason]++
	}
	for _, e := range pending(t, db, events.MemberJoined) {
		memberEvents[payload[events.Member](t, e).Email]++
	}
	check := func(what string, committed, published map[string]int) {
		t.Helper()
		lost, doubled := 0, 0
		for k := range committed {
			switch published[k] {
			case 0:
				lost++
			case 1:
			default:
				doubled++
			}
		}
		phantom := 0
		for k := range published {
			if committed[k] == 0 {
				phantom++
			}
		}
		if lost+doubled+phantom != 0 || len(committed) == 0 {
			t.Errorf("%s: %d committed, %d events: %d lost, %d published twice, %d for changes that did not commit",
				what, len(committed), len(published), lost, doubled, phantom)
		}
		t.Logf("%s: %d committed before the kill, %d events: %d lost, %d twice, %d without their change",
			what, len(committed), len(published), lost, doubled, phantom)
	}
	check("status changes", changes, statusEvents)
	check("members joined", members, memberEvents)
}

// setupWithKey is setup with the given master key, so that another
// process can open what this one sealed.
func setupWithKey(t *testing.T, db *store.DB, raw []byte) *fixture {
	t.Helper()
	f := setup(t, db)
	keys, err := secret.NewKeyring(secret.Key{Raw: raw})
	if err != nil {
		t.Fatal(err)
	}
	f.is.Keys = keys
	return f
}

// doomedPublishers changes the credentials' status (suspend, then
// unsuspend, in turn) and adds a member every third change, each with its
// event in its transaction, until it is killed.
func doomedPublishers(t *testing.T, dbURL string) {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DatabaseURL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := hex.DecodeString(os.Getenv(killKeyEnv))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secret.NewKeyring(secret.Key{Raw: raw})
	if err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(db, storetest.Logger(t), nil) // enqueues only
	if err != nil {
		t.Fatal(err)
	}
	is := &issuance.Issuer{DB: db, Keys: keys, BaseURL: base, Events: q}
	org := os.Getenv(killOrgEnv)
	sc := db.Scoped(org)
	ids := strings.Split(os.Getenv(killCredsEnv), ",")
	suspended := make([]bool, len(ids))
	for i := 0; ; i++ {
		k := i % len(ids)
		action := store.ActionSuspend
		if suspended[k] {
			action = store.ActionUnsuspend
		}
		if _, err := is.ChangeStatus(ctx, sc, ids[k], action, fmt.Sprintf("kill %d", i), store.ViaAPI, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		suspended[k] = !suspended[k]
		if i%3 == 0 {
			u := &store.User{Email: fmt.Sprintf("kill-%d@example.org", i), Role: store.RoleIssuer, OrganizationID: &org, EmailVerified: true}
			if err := db.CreateUserThen(ctx, u, store.Actor{}, events.Joined(ctx, q)); err != nil && !errors.Is(err, context.Canceled) {
				t.Fatal(err)
			}
		}
	}
}
