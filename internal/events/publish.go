package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/store"
)

// Event is one thing that happened in an organization, as published.
type Event struct {
	// ID is "evt_" and a UUIDv7: unique, time-ordered, the same on every
	// delivery of the event (a webhook's idempotency key, webhook-id).
	ID             string          `json:"id"`
	Type           Type            `json:"type"`
	Version        int             `json:"version"`
	OrganizationID string          `json:"organization_id"`
	OccurredAt     time.Time       `json:"occurred_at"`
	Data           json.RawMessage `json:"data"`
}

// Body is the event as receivers get it.
func (e Event) Body() Body {
	return Body{Type: e.Type, Version: e.Version, Timestamp: e.OccurredAt, Data: e.Data}
}

// ErrPayload is a payload that is not its event's payload type: a
// programming error, caught by the tests of the publishing feature.
var ErrPayload = errors.New("events: payload of the wrong type")

// New makes an event of type t in organization orgID, at time at, with
// its payload (the struct of t's Spec).
func New(orgID string, t Type, at time.Time, payload any) (Event, error) {
	s, ok := Lookup(t)
	if !ok {
		return Event{}, fmt.Errorf("events: unknown event type %q", t)
	}
	if reflect.TypeOf(payload) != reflect.TypeOf(s.Payload) {
		return Event{}, fmt.Errorf("%w: %s takes %T, not %T", ErrPayload, t, s.Payload, payload)
	}
	data, err := json.Marshal(payload)
	if err != nil {
		return Event{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Event{}, err
	}
	return Event{ID: "evt_" + id.String(), Type: t, Version: s.Version, OrganizationID: orgID,
		OccurredAt: at.UTC().Truncate(time.Millisecond), Data: data}, nil
}

// Fanout is the job a published event becomes: River's transactional
// insert is the outbox, so the event commits with the change it describes
// or not at all, and survives a crash right after the commit.
type Fanout struct {
	Event Event `json:"event"`
}

// Kind is the River job kind.
func (Fanout) Kind() string { return "event_fanout" }

// InsertOpts puts fan-outs on their own queue (jobs.QueueEvents).
func (Fanout) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: jobs.QueueEvents} }

// Publish records e in the transaction of sc (a handle from Scoped.InTx):
// the change and its event commit together. Publishing outside a
// transaction, or into another organization, is refused.
func Publish(ctx context.Context, sc *store.Scoped, q jobs.Enqueuer, e Event) error {
	if e.OrganizationID != sc.OrganizationID() {
		return fmt.Errorf("events: %s of organization %s published in %s", e.Type, e.OrganizationID, sc.OrganizationID())
	}
	tx, err := sc.SQLTx()
	if err != nil {
		return fmt.Errorf("events: publish %s outside a transaction: %w", e.Type, err)
	}
	return q.EnqueueTx(ctx, tx, Fanout{Event: e})
}

// elsewhere are the event types one organization's change publishes into
// another organization: an adoption is the adopter's change and the
// publisher's news.
var elsewhere = map[Type]bool{TemplateAdopted: true, TemplateReviewIn: true}

// PublishElsewhere records e, an event of another organization than sc's,
// in sc's transaction, for the types that are that (template.adopted,
// template.review_received);
// any other type is refused, as Publish refuses it.
func PublishElsewhere(ctx context.Context, sc *store.Scoped, q jobs.Enqueuer, e Event) error {
	if !elsewhere[e.Type] {
		return fmt.Errorf("events: %s is not published into another organization", e.Type)
	}
	tx, err := sc.SQLTx()
	if err != nil {
		return fmt.Errorf("events: publish %s outside a transaction: %w", e.Type, err)
	}
	return q.EnqueueTx(ctx, tx, Fanout{Event: e})
}

// PublishMany records evs in the transaction of sc, like Publish, in one
// multi-row insert when q can (a bulk chunk's 500 credential.issued events
// are one statement, not 500 round trips).
func PublishMany(ctx context.Context, sc *store.Scoped, q jobs.Enqueuer, evs []Event) error {
	if len(evs) == 0 {
		return nil
	}
	args := make([]river.JobArgs, len(evs))
	for i, e := range evs {
		if e.OrganizationID != sc.OrganizationID() {
			return fmt.Errorf("events: %s of organization %s published in %s", e.Type, e.OrganizationID, sc.OrganizationID())
		}
		args[i] = Fanout{Event: e}
	}
	tx, err := sc.SQLTx()
	if err != nil {
		return fmt.Errorf("events: publish %d events outside a transaction: %w", len(evs), err)
	}
	return jobs.EnqueueMany(ctx, q, tx, args)
}

// A Consumer takes every published event (webhooks, notifications,
// analytics) and, inside the fan-out's transaction, enqueues its own jobs
// for it: the fan-out commits all of them or none, and is retried whole.
type Consumer interface {
	Name() string
	Consume(ctx context.Context, tx *store.Scoped, q jobs.Enqueuer, e Event) error
}

// FanoutWorker hands each event to every consumer.
type FanoutWorker struct {
	river.WorkerDefaults[Fanout]
	DB        *store.DB
	Consumers []Consumer
	Log       *slog.Logger
}

// Work runs the consumers in one transaction of the event's organization.
func (w *FanoutWorker) Work(ctx context.Context, j *river.Job[Fanout]) error {
	e := j.Args.Event
	q := jobs.InWork(ctx)
	return w.DB.Scoped(e.OrganizationID).InTx(ctx, func(tx *store.Scoped) error {
		for _, c := range w.Consumers {
			if err := c.Consume(ctx, tx, q, e); err != nil {
				return fmt.Errorf("events: %s consuming %s %s: %w", c.Name(), e.Type, e.ID, err)
			}
		}
		return nil
	})
}

// Register adds the fan-out worker with its consumers.
func Register(ws *jobs.Workers, db *store.DB, log *slog.Logger, consumers ...Consumer) {
	jobs.Add(ws, &FanoutWorker{DB: db, Consumers: consumers, Log: log})
}

// Change runs change in one transaction of sc and publishes the events it
// returns in that same transaction: the one way a feature makes a change
// that others hear about. A nil q publishes nothing (a process without a
// queue: tools, some tests).
func Change(ctx context.Context, sc *store.Scoped, q jobs.Enqueuer, change func(tx *store.Scoped) ([]Event, error)) error {
	return sc.InTx(ctx, func(tx *store.Scoped) error {
		evs, err := change(tx)
		if err != nil || q == nil {
			return err
		}
		return PublishMany(ctx, tx, q, evs)
	})
}
