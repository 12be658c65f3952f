package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/store"
)

// retrySchedule is the wait before each retry of a failed delivery: about
// three days in all, as the Standard Webhooks guidance and its peers do.
// Each wait gets up to 10% of jitter so that an endpoint coming back is
// not hit by every retry at once.
var retrySchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
	10 * time.Hour, 10 * time.Hour, 10 * time.Hour, 10 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// After a run of failures this long an endpoint is disabled; the admins
// are warned a day before.
const (
	DisableAfter = 5 * 24 * time.Hour
	WarnAfter    = 4 * 24 * time.Hour
)

// Deliver is the job of delivering one event to one webhook. Its attempts
// all carry the event's id as webhook-id.
type Deliver struct {
	WebhookID      string              `json:"webhook_id"`
	OrganizationID string              `json:"organization_id"`
	Event          events.Event        `json:"event"`
	Cause          store.DeliveryCause `json:"cause"`
}

// Kind is the River job kind.
func (Deliver) Kind() string { return "webhook_deliver" }

// InsertOpts: the first attempt and the retries of the schedule.
func (Deliver) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: len(retrySchedule) + 1, Queue: jobs.QueueOutbound}
}

// Consume is the webhooks' part of an event's fan-out: one Deliver job
// per webhook of the organization that gets the event now, in the fan-out's
// transaction.
func (s *Service) Consume(ctx context.Context, tx *store.Scoped, q jobs.Enqueuer, e events.Event) error {
	hooks, err := tx.DeliveringWebhooks(ctx, store.WebhookEvent(e.Type))
	if err != nil || len(hooks) == 0 {
		return err
	}
	sqlTx, err := tx.SQLTx()
	if err != nil {
		return err
	}
	jobArgs := make([]river.JobArgs, len(hooks))
	for i, h := range hooks {
		jobArgs[i] = Deliver{WebhookID: h.ID, OrganizationID: e.OrganizationID, Event: e, Cause: store.CauseEvent}
	}
	return jobs.EnqueueMany(ctx, q, sqlTx, jobArgs) // one statement for all of the event's webhooks
}

// Name names the consumer in errors.
func (s *Service) Name() string { return "webhooks" }

// Worker works Deliver jobs.
type Worker struct {
	river.WorkerDefaults[Deliver]
	S *Service
}

// Timeout bounds one attempt's job: the request and the bookkeeping.
func (w *Worker) Timeout(*river.Job[Deliver]) time.Duration { return AttemptTimeout + 20*time.Second }

// NextRetry follows the retry schedule with jitter.
func (w *Worker) NextRetry(j *river.Job[Deliver]) time.Time {
	schedule := w.S.schedule()
	i := min(max(len(j.Errors)-1, 0), len(schedule)-1)
	d := schedule[i]
	d += time.Duration(rand.Int64N(int64(d/10) + 1)) // #nosec G404 -- jitter, not a secret
	return time.Now().Add(d)
}

// errAttempt is a failed attempt: River retries the job on the schedule.
type errAttempt struct{ msg string }

func (e *errAttempt) Error() string { return e.msg }

// Work makes one attempt, logs it, and decides: done, retry, wait as the
// receiver asked (Retry-After), or disable the endpoint (410, or failing
// for DisableAfter).
func (w *Worker) Work(ctx context.Context, j *river.Job[Deliver]) error {
	a := j.Args
	cause := a.Cause
	if j.Attempt > 1 && cause == store.CauseEvent {
		cause = store.CauseRetry
	}
	outcome, err := w.S.attempt(ctx, a.OrganizationID, a.WebhookID, a.Event, cause)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, errNotDelivering) {
			return nil // deleted, paused or disabled meanwhile: nothing to deliver
		}
		return err
	}
	if outcome.OK() || outcome.Gone() || outcome.disabled {
		return nil
	}
	if outcome.RetryAfter > 0 && j.Attempt < j.MaxAttempts {
		return river.JobSnooze(outcome.RetryAfter)
	}
	return &errAttempt{msg: outcome.summary()}
}

var errNotDelivering = errors.New("webhook: not delivering")

// result is an attempt and what it led to.
type result struct {
	Attempt
	disabled bool
}

func (r result) summary() string {
	if r.Err != nil {
		return r.Err.Error()
	}
	return fmt.Sprintf("HTTP %d", r.Status)
}

// attempt delivers e to the webhook once, logs the attempt and updates the
// webhook's health. Only a webhook that is active and not disabled gets
// events; a test event or a redelivery (cause test or redeliver) goes to
// a paused or disabled one too, which is how a fixed endpoint is brought back.
func (s *Service) attempt(ctx context.Context, orgID, webhookID string, e events.Event, cause store.DeliveryCause) (result, error) {
	sc := s.DB.Scoped(orgID)
	h, err := sc.Webhook(ctx, webhookID)
	if err != nil {
		return result{}, err
	}
	if (cause == store.CauseEvent || cause == store.CauseRetry) && h.State() != store.WebhookStateActive {
		return result{}, errNotDelivering
	}
	body, err := json.Marshal(e.Body())
	if err != nil {
		return result{}, err
	}
	now := s.now()
	sigs, err := s.signatures(ctx, sc, h, e.ID, now, body)
	if err != nil {
		return result{}, err
	}
	a := s.Sender.Send(ctx, h.URL, e.ID, now, body, sigs...)
	r := result{Attempt: a}
	d := &store.WebhookDelivery{WebhookID: h.ID, EventType: store.WebhookEvent(e.Type), EventID: e.ID, Cause: cause,
		Success: a.OK(), CreatedAt: now,
		Payload: datatypes.NewJSONType(store.WebhookPayload{Type: store.WebhookEvent(e.Type), Version: e.Version,
			Timestamp: e.OccurredAt, Data: e.Data}),
		RequestHeaders: datatypes.NewJSONType(flatten(a.RequestHeaders))}
	if a.Status != 0 {
		d.ResponseStatus = &a.Status
		resp := a.Response
		d.ResponseBody = &resp
	}
	if a.Duration > 0 {
		ms := int(a.Duration.Milliseconds())
		d.DeliveryTimeMs = &ms
	}
	if !a.OK() {
		msg := truncate(r.summary(), 500)
		d.ErrorMessage = &msg
	}
	health, err := sc.RecordWebhookAttempt(ctx, d)
	if err != nil {
		return r, err
	}
	if a.OK() || cause == store.CauseTest {
		return r, nil
	}
	switch {
	case a.Gone():
		r.disabled, err = s.disable(ctx, sc, h, "the endpoint answered 410 Gone", now)
	case health.FailingSince != nil && now.Sub(*health.FailingSince) >= DisableAfter:
		r.disabled, err = s.disable(ctx, sc, h, fmt.Sprintf("every delivery failed since %s", health.FailingSince.UTC().Format("2 January 2006 15:04 MST")), now)
	case health.FailingSince != nil && now.Sub(*health.FailingSince) >= WarnAfter && health.WarnedAt == nil:
		err = s.warn(ctx, sc, h, *health.FailingSince, now)
	}
	return r, err
}

// signatures are the v1 signatures with the secret (and the previous one
// during a rotation's overlap), and v1a with the organization's key when
// the webhook asks for it.
func (s *Service) signatures(ctx context.Context, sc *store.Scoped, h *store.Webhook, id string, now time.Time, body []byte) ([]string, error) {
	key, err := s.Keys.Open(h.SecretKey, SecretContext)
	if err != nil {
		return nil, fmt.Errorf("webhook: open secret of %s: %w", h.ID, err)
	}
	k, err := ParseSecret(string(key))
	if err != nil {
		return nil, err
	}
	sigs := []string{Sign(k, id, now, body)}
	if h.PreviousSecretKey != nil && h.PreviousSecretUntil != nil && now.Before(*h.PreviousSecretUntil) {
		prev, err := s.Keys.Open(h.PreviousSecretKey, PreviousSecretContext)
		if err != nil {
			return nil, fmt.Errorf("webhook: open previous secret of %s: %w", h.ID, err)
		}
		pk, err := ParseSecret(string(prev))
		if err != nil {
			return nil, err
		}
		sigs = append(sigs, Sign(pk, id, now, body))
	}
	if h.SignWithIssuerKey && s.Issuer != nil {
		priv, _, err := s.Issuer.OrganizationKey(ctx, sc)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if priv != nil {
			sigs = append(sigs, SignEd25519(priv, id, now, body))
		}
	}
	return sigs, nil
}

func flatten(h map[string][]string) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out
}

func (s *Service) disable(ctx context.Context, sc *store.Scoped, h *store.Webhook, reason string, now time.Time) (bool, error) {
	done, err := sc.DisableWebhook(ctx, h.ID, reason, now)
	if err != nil || !done {
		return done, err
	}
	_, err = s.DB.NotifyAdmins(ctx, sc.OrganizationID(), store.Notification{Type: store.NotifySystemAlert,
		Title:    fmt.Sprintf("Webhook %q was disabled", h.Name),
		Message:  fmt.Sprintf("TrustCred stopped delivering events to %s: %s. Fix the endpoint, then send a test event from the webhook's page to turn it back on.", h.URL, reason),
		Metadata: datatypes.NewJSONType(store.NotificationMetadata{OrganizationID: sc.OrganizationID(), Link: "/settings/webhooks/" + h.ID})})
	return true, err
}

func (s *Service) warn(ctx context.Context, sc *store.Scoped, h *store.Webhook, since, now time.Time) error {
	if err := sc.MarkWebhookWarned(ctx, h.ID, now); err != nil {
		return err
	}
	_, err := s.DB.NotifyAdmins(ctx, sc.OrganizationID(), store.Notification{Type: store.NotifySystemAlert,
		Title: fmt.Sprintf("Webhook %q keeps failing", h.Name),
		Message: fmt.Sprintf("Every delivery to %s has failed since %s. If it still fails on %s, TrustCred will disable it.",
			h.URL, since.UTC().Format("2 January 2006 15:04 MST"), since.Add(DisableAfter).UTC().Format("2 January 2006 15:04 MST")),
		Metadata: datatypes.NewJSONType(store.NotificationMetadata{OrganizationID: sc.OrganizationID(), Link: "/settings/webhooks/" + h.ID})})
	return err
}

// Purge is the periodic job that deletes delivery attempts older than the
// retention the operator sets (TRUSTCRED_WEBHOOK_RETENTION_DAYS).
type Purge struct{}

// Kind is the River job kind.
func (Purge) Kind() string { return "webhook_purge" }

// PurgeInterval is how often old delivery attempts are deleted.
const PurgeInterval = time.Hour

// PurgeWorker works Purge jobs.
type PurgeWorker struct {
	river.WorkerDefaults[Purge]
	S         *Service
	Retention time.Duration
}

// Work deletes the attempts older than the retention.
func (w *PurgeWorker) Work(ctx context.Context, _ *river.Job[Purge]) error {
	n, err := w.S.DB.PurgeWebhookDeliveries(ctx, w.S.now().Add(-w.Retention))
	if err == nil && n > 0 && w.S.Log != nil {
		w.S.Log.Info("purged webhook delivery attempts", "count", n, "older_than", w.Retention)
	}
	return err
}

// Register adds the delivery worker, and the purge of attempts older than
// retention every PurgeInterval.
func Register(ws *jobs.Workers, s *Service, retention time.Duration) {
	jobs.Add(ws, &Worker{S: s})
	jobs.Add(ws, &PurgeWorker{S: s, Retention: retention})
	ws.Every(PurgeInterval, Purge{})
}
