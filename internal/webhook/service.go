package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/outbound"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/internal/text"
	"github.com/trustcred/trustcred/store"
)

// Limits of a webhook's settings.
const (
	MaxName = 100
	MaxURL  = 2048
	// MaxWebhooks is how many webhooks one organization may have.
	MaxWebhooks = 20
	// RotationOverlap is how long the previous secret keeps signing after
	// a rotation, unless the admin chooses another overlap.
	RotationOverlap = 24 * time.Hour
	MaxOverlap      = 7 * 24 * time.Hour
)

// Service is the one door to an organization's webhooks: their settings
// (checked here, for the page and the API alike), their secrets (made,
// sealed, shown once), and their deliveries (Consumer, Worker).
type Service struct {
	DB           *store.DB
	Keys         *secret.Keyring
	Issuer       *issuance.Issuer // the organization's key, for v1a signatures
	Sender       *Sender
	AllowPrivate bool // deliver to private and loopback addresses (tests, intranets)
	Log          *slog.Logger
	Now          func() time.Time // time.Now when nil
	// Schedule is the wait before each retry; the default schedule (about
	// three days) when nil. Tests shorten it.
	Schedule []time.Duration
}

func (s *Service) schedule() []time.Duration {
	if len(s.Schedule) > 0 {
		return s.Schedule
	}
	return retrySchedule
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Settings is what an admin sets on a webhook.
type Settings struct {
	Name              string
	URL               string
	Events            []string
	Active            bool
	SignWithIssuerKey bool
}

// Check returns what is wrong with the settings, by field ("name", "url",
// "events"), worded for a form: nil when nothing is.
func (s *Service) Check(in Settings) store.FieldErrors {
	errs := store.FieldErrors{}
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		errs["name"] = "Enter a name, such as the system that receives the events."
	case utf8.RuneCountInString(name) > MaxName:
		errs["name"] = fmt.Sprintf("Use at most %d characters.", MaxName)
	default:
		if err := text.Check(name, text.Name); err != nil {
			errs["name"] = "The name " + err.Error() + "."
		}
	}
	u := strings.TrimSpace(in.URL)
	switch {
	case u == "":
		errs["url"] = "Enter the URL that receives the events."
	case len(u) > MaxURL:
		errs["url"] = fmt.Sprintf("Use at most %d characters.", MaxURL)
	default:
		if err := CheckURL(u, s.AllowPrivate); err != nil {
			if errors.Is(err, outbound.ErrBlockedAddress) {
				errs["url"] = "This address is private, loopback or link-local: TrustCred only delivers to public addresses."
			} else if s.AllowPrivate {
				errs["url"] = "Enter an https:// URL (http:// only to localhost or a loopback address with a port), without a user name or #fragment."
			} else {
				errs["url"] = "Enter an https:// URL, without a user name or #fragment."
			}
		}
	}
	if len(in.Events) == 0 {
		errs["events"] = "Choose at least one event."
	}
	seen := map[string]bool{}
	for _, e := range in.Events {
		if !events.Known(events.Type(e)) {
			errs["events"] = fmt.Sprintf("%q is not an event TrustCred sends.", truncate(e, 64))
			break
		}
		if seen[e] {
			errs["events"] = fmt.Sprintf("%q is chosen twice.", e)
			break
		}
		seen[e] = true
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

func (in Settings) change() store.WebhookChange {
	ev := make([]store.WebhookEvent, len(in.Events))
	for i, e := range in.Events {
		ev[i] = store.WebhookEvent(e)
	}
	return store.WebhookChange{Name: strings.TrimSpace(in.Name), URL: strings.TrimSpace(in.URL), Events: ev,
		Active: in.Active, SignWithIssuerKey: in.SignWithIssuerKey}
}

// ErrTooMany is an organization at MaxWebhooks.
var ErrTooMany = fmt.Errorf("an organization can have at most %d webhooks", MaxWebhooks)

// Create checks the settings, makes the webhook's secret and stores it
// sealed. The secret is returned to be shown once; it cannot be read
// back later (only rotated).
func (s *Service) Create(ctx context.Context, sc *store.Scoped, in Settings, actor store.Actor) (*store.Webhook, string, error) {
	if errs := s.Check(in); errs != nil {
		return nil, "", errs
	}
	existing, err := sc.Webhooks(ctx)
	if err != nil {
		return nil, "", err
	}
	if len(existing) >= MaxWebhooks {
		return nil, "", ErrTooMany
	}
	plain := NewSecret()
	sealed, err := s.Keys.Seal([]byte(plain), SecretContext)
	if err != nil {
		return nil, "", err
	}
	c := in.change()
	w := &store.Webhook{Name: c.Name, URL: c.URL, Events: c.Events, Active: c.Active, SignWithIssuerKey: c.SignWithIssuerKey,
		SecretKey: sealed, RetryCount: len(retrySchedule)}
	if err := sc.CreateWebhook(ctx, w, actor); err != nil {
		return nil, "", err
	}
	return w, plain, nil
}

// Update checks and saves a webhook's settings.
func (s *Service) Update(ctx context.Context, sc *store.Scoped, id string, in Settings, actor store.Actor) (*store.Webhook, error) {
	if _, err := sc.Webhook(ctx, id); err != nil {
		return nil, err
	}
	if errs := s.Check(in); errs != nil {
		return nil, errs
	}
	return sc.UpdateWebhook(ctx, id, in.change(), actor)
}

// Rotate gives a webhook a new secret, returned to be shown once; the
// current one keeps signing beside it for overlap (RotationOverlap when
// zero, at most MaxOverlap).
func (s *Service) Rotate(ctx context.Context, sc *store.Scoped, id string, overlap time.Duration, actor store.Actor) (*store.Webhook, string, error) {
	if overlap <= 0 {
		overlap = RotationOverlap
	}
	overlap = min(overlap, MaxOverlap)
	if _, err := sc.Webhook(ctx, id); err != nil {
		return nil, "", err
	}
	plain := NewSecret()
	sealed, err := s.Keys.Seal([]byte(plain), SecretContext)
	if err != nil {
		return nil, "", err
	}
	// The current secret moves to the previous column: reseal it under
	// that column's context.
	w, err := sc.Webhook(ctx, id)
	if err != nil {
		return nil, "", err
	}
	current, err := s.Keys.Open(w.SecretKey, SecretContext)
	if err != nil {
		return nil, "", fmt.Errorf("webhook: open secret of %s: %w", id, err)
	}
	prev, err := s.Keys.Seal(current, PreviousSecretContext)
	if err != nil {
		return nil, "", err
	}
	w, err = sc.RotateWebhookSecret(ctx, id, sealed, prev, s.now().Add(overlap), actor)
	if err != nil {
		return nil, "", err
	}
	return w, plain, nil
}

// TestResult is what "Send test event" shows.
type TestResult struct {
	Attempt
	EventType events.Type
}

// SendTest delivers a test event to the webhook now, whatever its state,
// and returns what the receiver answered: the example payload of the
// first event it subscribes to, under a fresh event id. A successful test
// turns a disabled webhook back on.
func (s *Service) SendTest(ctx context.Context, sc *store.Scoped, id string) (TestResult, error) {
	h, err := sc.Webhook(ctx, id)
	if err != nil {
		return TestResult{}, err
	}
	t := events.CredentialIssued
	if len(h.Events) > 0 && events.Known(events.Type(h.Events[0])) {
		t = events.Type(h.Events[0])
	}
	spec, _ := events.Lookup(t)
	e, err := events.New(sc.OrganizationID(), t, s.now(), spec.Example)
	if err != nil {
		return TestResult{}, err
	}
	r, err := s.attempt(ctx, sc.OrganizationID(), id, e, store.CauseTest)
	return TestResult{Attempt: r.Attempt, EventType: t}, err
}

// Redeliver queues one logged delivery to be sent again (same event id:
// receivers that already have it ignore it).
func (s *Service) Redeliver(ctx context.Context, sc *store.Scoped, q jobs.Enqueuer, webhookID, deliveryID string) error {
	d, err := sc.WebhookDelivery(ctx, webhookID, deliveryID)
	if err != nil {
		return err
	}
	return s.requeue(ctx, sc, q, []store.WebhookDelivery{*d})
}

// MaxRedeliver bounds one "Redeliver all failed since…".
const MaxRedeliver = 1000

// RedeliverFailedSince queues every event that failed to reach the webhook
// since a time and has not reached it since; it returns how many.
func (s *Service) RedeliverFailedSince(ctx context.Context, sc *store.Scoped, q jobs.Enqueuer, webhookID string, since time.Time) (int, error) {
	failed, err := sc.FailedDeliveriesSince(ctx, webhookID, since, MaxRedeliver)
	if err != nil {
		return 0, err
	}
	return len(failed), s.requeue(ctx, sc, q, failed)
}

func (s *Service) requeue(ctx context.Context, sc *store.Scoped, q jobs.Enqueuer, ds []store.WebhookDelivery) error {
	if len(ds) == 0 {
		return nil
	}
	return sc.InTx(ctx, func(tx *store.Scoped) error {
		sqlTx, err := tx.SQLTx()
		if err != nil {
			return err
		}
		for _, d := range ds {
			p := d.Payload.Data()
			e := events.Event{ID: d.EventID, Type: events.Type(p.Type), Version: p.Version, OrganizationID: sc.OrganizationID(),
				OccurredAt: p.Timestamp, Data: p.Data}
			if err := q.EnqueueTx(ctx, sqlTx, Deliver{WebhookID: d.WebhookID, OrganizationID: sc.OrganizationID(), Event: e,
				Cause: store.CauseRedeliver}); err != nil {
				return err
			}
		}
		return nil
	})
}
