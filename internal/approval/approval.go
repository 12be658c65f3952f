// Package approval is the door of approval decisions on pending
// credentials (issue 17, the runtime): Approve and Reject for the inbox
// page and the API alike, the signing job the final approval enqueues in
// its own transaction, and the credential's evidence of its approvals.
// The rules themselves (eligibility, no self-approval, once per step,
// rejection ends it, one final transition) are enforced by the store
// (store.Scoped.DecideApproval) under the request's row lock; this
// package adds what follows a decision: the job, the events, the
// signature.
package approval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/store"
)

// Service decides on approval requests and signs what was approved.
type Service struct {
	DB     *store.DB
	Issuer *issuance.Issuer
	// Queue is where the signing job is enqueued, inside the decision's
	// transaction (set by web.Services.Publish); nil: not enqueued (tools),
	// the caller signs with Sign itself.
	Queue jobs.Enqueuer
	// Emails is where the signed credential's email to its recipient is
	// enqueued; nil: the client working the signing job (jobs.InWork).
	Emails jobs.Enqueuer
	Log    *slog.Logger
}

// Approve records the approval of the person (userID, acting as actor)
// on one of the organization's requests. When it is the final one, the
// signing job is enqueued in the same transaction: the credential is
// signed, made active and emailed by the job. The store's refusals come
// back as they are (store.ErrApprovalNotPending, ErrAlreadyDecided,
// ErrOwnRequest, ErrNotEligible, ErrNotFound). Under a step-up policy it
// is refused (ErrStepUpRequired): use ApproveConfirmed.
func (s *Service) Approve(ctx context.Context, sc *store.Scoped, requestID, userID string, actor store.Actor) (*store.Decided, error) {
	return s.decide(ctx, sc, store.Decision{RequestID: requestID, ApproverID: userID, Approve: true}, nil, actor)
}

// ApproveConfirmed is Approve by the person whose step-up Confirm checked
// (c); the policy is read again in the decision's transaction, so a
// step-up of another person or kind is ErrStepUpRequired.
func (s *Service) ApproveConfirmed(ctx context.Context, sc *store.Scoped, requestID string, c Confirmed, actor store.Actor) (*store.Decided, error) {
	return s.DecideConfirmed(ctx, sc, store.Decision{RequestID: requestID, Approve: true}, c, actor)
}

// DecideConfirmed records d as Decide does, by the person whose step-up c
// confirmed (d.ApproverID is theirs, whatever d said): an approval by a
// delegate acting for an absent approver goes through the policy too.
func (s *Service) DecideConfirmed(ctx context.Context, sc *store.Scoped, d store.Decision, c Confirmed, actor store.Actor) (*store.Decided, error) {
	d.ApproverID = c.userID
	return s.decide(ctx, sc, d, &c, actor)
}

// Decide records d (an approval, or a rejection with its note, possibly
// by a delegate for the approver they stand in for) as Approve and Reject
// do.
func (s *Service) Decide(ctx context.Context, sc *store.Scoped, d store.Decision, actor store.Actor) (*store.Decided, error) {
	return s.decide(ctx, sc, d, nil, actor)
}

// Reject records a rejection with its note (required:
// store.ErrNoteRequired): the request ends, the credential is rejected,
// the requester is told (in-app, with the note) and approval.decided is
// published, all in one transaction.
func (s *Service) Reject(ctx context.Context, sc *store.Scoped, requestID, userID, note string, actor store.Actor) (*store.Decided, error) {
	return s.decide(ctx, sc, store.Decision{RequestID: requestID, ApproverID: userID, Note: note}, nil, actor)
}

func (s *Service) decide(ctx context.Context, sc *store.Scoped, d store.Decision, c *Confirmed, actor store.Actor) (*store.Decided, error) {
	var out *store.Decided
	err := sc.InTx(ctx, func(tx *store.Scoped) error {
		var err error
		if d.Approve {
			if err := stepUpHeld(ctx, tx, d.ApproverID, c); err != nil {
				return err
			}
		}
		if out, err = tx.DecideApproval(ctx, d, actor); err != nil {
			return err
		}
		if !out.Final {
			return nil
		}
		if out.Request.BatchID != nil {
			return s.batchDecided(ctx, tx, out.Request, strings.TrimSpace(d.Note))
		}
		if out.Request.Status == store.RequestApproved {
			if s.Queue == nil {
				return nil
			}
			sqlTx, err := tx.SQLTx()
			if err != nil {
				return err
			}
			return s.Queue.EnqueueTx(ctx, sqlTx, Sign{OrganizationID: sc.OrganizationID(), RequestID: out.Request.ID})
		}
		return s.publishDecided(ctx, tx, out.Request, "rejected", strings.TrimSpace(d.Note), nil)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// publishDecided publishes approval.decided for req in tx.
func (s *Service) publishDecided(ctx context.Context, tx *store.Scoped, req *store.ApprovalRequest, decision, note string, batch *events.BatchRef) error {
	if s.Issuer.Events == nil {
		return nil
	}
	c, err := tx.Credential(ctx, req.CredentialID)
	if err != nil {
		return err
	}
	decisions, err := tx.ApprovalDecisions(ctx, req.ID)
	if err != nil {
		return err
	}
	body := events.ApprovalDecision{RequestID: req.ID, ResourceType: "credential", Credential: events.CredentialOf(c, s.Issuer.CredentialURL(c.PublicID)),
		Decision: decision, Note: note, Approvers: []events.Approver{}, Batch: batch}
	for _, a := range Current(req, decisions) {
		body.Approvers = append(body.Approvers, events.Approver{UserID: a.ApproverID, Name: approverName(a), Role: deref(a.ApproverRole),
			Decision: string(a.ApprovalStatus), Note: deref(a.ApprovalNotes), DecidedAt: decidedAt(a).UTC()})
	}
	at := time.Now().UTC()
	if req.DecidedAt != nil {
		at = req.DecidedAt.UTC()
	}
	body.DecidedAt = at
	e, err := events.New(tx.OrganizationID(), events.ApprovalDecided, at, body)
	if err != nil {
		return err
	}
	return events.Publish(ctx, tx, s.Issuer.Events, e)
}

// Current are the decisions of the request's current round, oldest first.
func Current(req *store.ApprovalRequest, all []store.CredentialApproval) []store.CredentialApproval {
	var out []store.CredentialApproval
	for _, a := range all {
		if a.Round == req.Round {
			out = append(out, a)
		}
	}
	return out
}

// Sign is the job the final approval enqueues: sign the request's
// credential (Service.Sign).
type Sign struct {
	OrganizationID string `json:"organization_id"`
	RequestID      string `json:"request_id"`
}

func (Sign) Kind() string { return "approval_sign" }

// InsertOpts: one signing job per request at a time.
func (Sign) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// SignWorker works Sign jobs.
type SignWorker struct {
	river.WorkerDefaults[Sign]
	Service *Service
}

func (w *SignWorker) Work(ctx context.Context, j *river.Job[Sign]) error {
	_, err := w.Service.Sign(ctx, j.Args.OrganizationID, j.Args.RequestID)
	if errors.Is(err, store.ErrApprovalNotPending) || errors.Is(err, store.ErrNotFound) {
		return nil // signed by an earlier attempt, or the credential is gone
	}
	return err
}

// Register adds the signing worker and the workflows' timers (every
// TimersInterval).
func Register(ws *jobs.Workers, s *Service) {
	jobs.Add(ws, &SignWorker{Service: s})
	jobs.Add(ws, &TimersWorker{Service: s})
	jobs.Add(ws, &SignBatchWorker{Service: s})
	ws.Every(TimersInterval, Timers{})
}

// Sign signs the credential of an approved request with its approvals as
// evidence (Evidence), makes it active, and publishes approval.decided and
// credential.issued with it, enqueuing the recipient's email: once, however
// often it runs (store.ErrApprovalNotPending after the first).
func (s *Service) Sign(ctx context.Context, orgID, requestID string) (*issuance.Issued, error) {
	sc := s.DB.Scoped(orgID)
	req, err := sc.ApprovalRequest(ctx, requestID)
	if err != nil {
		return nil, err
	}
	if req.Status != store.RequestApproved {
		return nil, store.ErrApprovalNotPending
	}
	decisions, err := sc.ApprovalDecisions(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	tally, err := sc.ApprovalTally(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	eligible, err := sc.EligibleApprovers(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	evidence := Evidence(s.Issuer.CredentialURL(req.Credential.PublicID), Current(req, decisions), tally, eligible)
	email := s.Emails
	if email == nil {
		email = jobs.InWork(ctx)
	}
	return s.Issuer.SignApproved(ctx, sc, req.CredentialID, evidence, email, store.Actor{},
		func(tx *store.Scoped, c *store.Credential) error {
			return s.publishDecided(ctx, tx, req, "approved", "", nil)
		})
}

// Evidence is the signed record of a credential's approvals: one
// TrustCredApproval evidence entry per approval of the final round (the
// terms of vc.ContextTrustCred): who approved (name and the role that
// made them eligible), when, at which step, out of how many required and
// how many eligible people.
func Evidence(credentialURL string, decisions []store.CredentialApproval, tally []store.RuleTally, eligible int) []any {
	required := 0
	for _, t := range tally {
		required = max(required, t.Required)
	}
	var out []any
	for i, a := range decisions {
		if a.ApprovalStatus != store.ApprovalApproved {
			continue
		}
		out = append(out, map[string]any{
			"id":                fmt.Sprintf("%s#approval-%d", credentialURL, i+1),
			"type":              []any{"TrustCredApproval"},
			"approver":          approverName(a),
			"approverRole":      deref(a.ApproverRole),
			"approvedAt":        decidedAt(a).UTC().Format(time.RFC3339),
			"approvalStep":      number(a.Step),
			"requiredApprovals": number(required),
			"eligibleApprovers": number(eligible),
		})
	}
	return out
}

// number is n as internal/vc's documents hold numbers.
func number(n int) json.Number { return json.Number(strconv.Itoa(n)) }

func approverName(a store.CredentialApproval) string {
	name := personName(a.Approver)
	if a.ActingForID != nil {
		name += " acting for " + personName(a.ActingFor)
	}
	return name
}

// personName is a member's display name, else their email.
func personName(u *store.User) string {
	if u == nil {
		return "a former member"
	}
	if n := strings.TrimSpace(u.Profile.Data().DisplayName); n != "" {
		return n
	}
	return u.Email
}

func decidedAt(a store.CredentialApproval) time.Time {
	if a.ApprovedAt != nil {
		return *a.ApprovedAt
	}
	return a.CreatedAt
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TimersInterval is how often the workflows' clocks are read.
const TimersInterval = 5 * time.Minute

// Timers is the periodic job that reminds, escalates and expires the
// approval requests of multi-step workflows whose times have come
// (store.DB.DueApprovalTimers). Idempotent: each action claims its time in
// the transaction that acts, so a second run, or a second worker, finds
// nothing to do.
type Timers struct{}

// Kind is the River job kind.
func (Timers) Kind() string { return "approval_timers" }

// TimersWorker works Timers jobs through the Service (its DB, its log, and
// its issuer's events for approval.expired).
type TimersWorker struct {
	river.WorkerDefaults[Timers]
	Service *Service
	Now     func() time.Time // nil: time.Now
}

// timersBatch is how many due instances of each kind one run handles;
// the next run takes the rest.
const timersBatch = 500

// Work acts on every due time.
func (w *TimersWorker) Work(ctx context.Context, _ *river.Job[Timers]) error {
	_, err := w.Run(ctx)
	return err
}

// Run is one pass: what it did, by kind.
func (w *TimersWorker) Run(ctx context.Context) (map[store.TimerKind]int, error) {
	now := time.Now()
	if w.Now != nil {
		now = w.Now()
	}
	due, err := w.Service.DB.DueApprovalTimers(ctx, now, timersBatch)
	if err != nil {
		return nil, err
	}
	done := map[store.TimerKind]int{}
	for _, d := range due {
		sc := w.Service.DB.Scoped(d.OrganizationID)
		remind, escalate := sc.RemindApprovers, sc.EscalateApproval
		expire := func(ctx context.Context, id string, now time.Time) (bool, error) {
			return w.Service.Expire(ctx, sc, id, now)
		}
		if d.ResourceType != "credential" { // a schema's request (store/approval_kinds.go)
			remind, escalate, expire = sc.RemindResourceApprovers, sc.EscalateResourceApproval, sc.ExpireResourceApproval
		}
		var n int
		switch d.Kind {
		case store.TimerRemind:
			n, err = remind(ctx, d.InstanceID, now)
		case store.TimerEscalate:
			n, err = escalate(ctx, d.InstanceID, now)
		case store.TimerExpire:
			var ok bool
			if ok, err = expire(ctx, d.InstanceID, now); ok {
				n = 1
			}
		}
		if err != nil {
			return done, fmt.Errorf("approval timer %s of %s: %w", d.Kind, d.InstanceID, err)
		}
		done[d.Kind] += n
	}
	if len(due) > 0 && w.Service.Log != nil {
		w.Service.Log.Info("approval timers", "due", len(due), "reminded", done[store.TimerRemind], "escalated_to", done[store.TimerEscalate],
			"expired", done[store.TimerExpire])
	}
	return done, nil
}

// Expire ends one of the organization's requests whose final deadline
// passed (store.Scoped.ExpireApproval: cancelled, its credential rejected,
// the requester told) and publishes approval.expired in the same
// transaction. It reports whether it expired it (false: not due, decided
// meanwhile, or expired by an earlier run: no event then).
func (s *Service) Expire(ctx context.Context, sc *store.Scoped, instanceID string, now time.Time) (bool, error) {
	expired := false
	err := sc.InTx(ctx, func(tx *store.Scoped) error {
		req, err := tx.ExpireApproval(ctx, instanceID, now)
		if err != nil || req == nil {
			return err
		}
		expired = true
		if s.Issuer == nil || s.Issuer.Events == nil {
			return nil
		}
		c, err := tx.Credential(ctx, req.CredentialID)
		if err != nil {
			return err
		}
		steps, err := tx.ApprovalSteps(ctx, req.ID)
		if err != nil {
			return err
		}
		body := events.ApprovalExpiry{RequestID: req.ID, Credential: events.CredentialOf(c, s.Issuer.CredentialURL(c.PublicID)),
			Step: req.CurrentStep, ExpiredAt: now.UTC()}
		for _, st := range steps {
			if st.Step == req.CurrentStep {
				body.StepName = st.Name
			}
		}
		if req.BatchID != nil {
			if body.Batch, err = batchRef(ctx, tx, req); err != nil {
				return err
			}
		}
		e, err := events.New(tx.OrganizationID(), events.ApprovalExpired, now.UTC(), body)
		if err != nil {
			return err
		}
		return events.Publish(ctx, tx, s.Issuer.Events, e)
	})
	return expired, err
}
