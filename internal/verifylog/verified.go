package verifylog

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/store"
)

// VerifiedWindow caps credential.verified: at most one event per
// credential per window, published with the first verification after the
// window since the last one; the event's count says how many
// verifications it stands for (the ones since the last event, itself
// included).
const VerifiedWindow = 10 * time.Minute

// sampledCredentials is how many credentials' windows a writer keeps (the
// least recently verified are forgotten first: one of those then publishes
// at its next verification).
const sampledCredentials = 100_000

// Publish makes the writer publish credential.verified for the
// verifications of TrustCred's own credentials it logs, capped by
// VerifiedWindow, through q (baseURL makes their verify_url), in the same
// transaction as the log rows: never on the request path, and an event is
// committed with its log or not at all. The cap holds across processes:
// each event claims its credential's window in the database
// (credentials.verified_event_at) in that transaction; the windows kept in
// memory only spare the database the claims of credentials this process
// knows to be inside one. Call it before the first Record.
func (w *Writer) Publish(q jobs.Enqueuer, baseURL string) {
	seen, _ := lru.New[string, sample](sampledCredentials)
	w.verified.Store(&verified{q: q, baseURL: strings.TrimRight(baseURL, "/"), window: VerifiedWindow, seen: seen})
}

// SetVerifiedWindow changes the cap's window (tests).
func (w *Writer) SetVerifiedWindow(d time.Duration) {
	if v := w.verified.Load(); v != nil {
		v.mu.Lock()
		v.window = d
		v.mu.Unlock()
	}
}

// sample is one credential's window: when its last event was published,
// and the verifications since, not yet reported.
type sample struct {
	last  time.Time
	since int
}

type verified struct {
	q       jobs.Enqueuer
	baseURL string

	mu     sync.Mutex // one batch at a time: its plan, its write, then the windows it moved
	window time.Duration
	seen   *lru.Cache[string, sample]
}

// pick is a log that publishes an event, with the count it stands for.
type pick struct {
	log   *store.VerificationLog
	count int
}

// write inserts batch and publishes the events it leads to in one
// transaction; the windows move only once it committed, so a batch that
// is retried publishes what it would have the first time.
func (v *verified) write(ctx context.Context, db *store.DB, batch []store.VerificationLog) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	moved := map[string]sample{}
	byOrg := map[string][]pick{}
	var orgs []string
	for i := range batch {
		l := &batch[i]
		if l.CredentialID == nil || l.OrganizationID == nil {
			continue // not one of ours
		}
		id := *l.CredentialID
		s, ok := moved[id]
		if !ok {
			s, ok = v.seen.Peek(id)
		}
		if ok && l.VerifiedAt.Sub(s.last) < v.window {
			s.since++
			moved[id] = s
			continue
		}
		org := *l.OrganizationID
		if _, ok := byOrg[org]; !ok {
			orgs = append(orgs, org)
		}
		byOrg[org] = append(byOrg[org], pick{log: l, count: s.since + 1})
		moved[id] = sample{last: l.VerifiedAt}
	}
	var (
		err  error
		held []pick
	)
	if len(orgs) == 0 {
		err = db.InsertVerificationLogs(ctx, batch)
	} else {
		// Claims lock credential rows: in one order on every server.
		slices.Sort(orgs)
		err = db.InsertVerificationLogsThen(ctx, batch, func(in func(orgID string) *store.Scoped) error {
			held = held[:0]
			for _, org := range orgs {
				h, err := v.publish(ctx, in(org), byOrg[org])
				if err != nil {
					return err
				}
				held = append(held, h...)
			}
			return nil
		})
	}
	if err != nil {
		return err
	}
	// Another server published within the window: this one's window
	// starts at its pick, and its next event carries these verifications.
	for _, p := range held {
		id := *p.log.CredentialID
		s := moved[id]
		s.since += p.count
		moved[id] = s
	}
	for id, s := range moved {
		v.seen.Add(id, s)
	}
	return nil
}

// publish publishes the picked verifications of one organization's
// credentials (a credential deleted since publishes none) whose window it
// claims in the database (store.Scoped.ClaimVerifiedEvent): the cap holds
// across every server sharing it. It returns the picks whose window
// another writer held.
func (v *verified) publish(ctx context.Context, sc *store.Scoped, picks []pick) ([]pick, error) {
	slices.SortFunc(picks, func(a, b pick) int { return strings.Compare(*a.log.CredentialID, *b.log.CredentialID) })
	ids := make([]string, len(picks))
	for i, p := range picks {
		ids[i] = *p.log.CredentialID
	}
	creds, err := sc.CredentialsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*store.Credential, len(creds))
	for i := range creds {
		byID[creds[i].ID] = &creds[i]
	}
	evs := make([]events.Event, 0, len(picks))
	var held []pick
	for _, p := range picks {
		c, ok := byID[*p.log.CredentialID]
		if !ok {
			continue
		}
		claimed, err := sc.ClaimVerifiedEvent(ctx, c.ID, p.log.VerifiedAt, v.window)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !claimed {
			held = append(held, p)
			continue
		}
		verdict := "unavailable"
		if p.log.Verdict != nil {
			verdict = *p.log.Verdict
		}
		channel := "page"
		if p.log.VerificationMethod == store.VerifiedByAPI || p.log.VerificationMethod == store.VerifiedByMobileApp {
			channel = "api"
		}
		at := p.log.VerifiedAt.UTC()
		e, err := events.New(sc.OrganizationID(), events.CredentialVerified, at, events.Verified{
			Credential: events.CredentialOf(c, v.baseURL+"/v/"+c.PublicID), Verdict: verdict, Channel: channel,
			VerifiedAt: at, Count: p.count})
		if err != nil {
			return nil, err
		}
		evs = append(evs, e)
	}
	return held, events.PublishMany(ctx, sc, v.q, evs)
}
