package issuance

import (
	"context"
	"time"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/store"
)

// statusEvents are the events of the status a change leads to.
var statusEvents = map[store.CredentialStatus]events.Type{
	store.CredentialRevoked:   events.CredentialRevoked,
	store.CredentialSuspended: events.CredentialSuspended,
	store.CredentialActive:    events.CredentialUnsuspended,
	store.CredentialExpired:   events.CredentialExpired,
}

// ChangeStatus is the one function through which an issued credential's
// status changes (revoke, suspend, unsuspend), whoever asks: the
// credential's page, the API, the demo. The store flips the credential's
// bit in its status list, updates the credential and writes its history
// and audit entry (store.Scoped.ChangeCredentialStatus), and the change's
// event (credential.revoked, .suspended or .unsuspended) is published
// through is.Events, all in one transaction; what must follow a status
// change (webhooks, notifications) consumes that event, never hooks into
// the callers. A change its status does not allow changes nothing and
// publishes nothing.
// ErrNotFound for another organization's credential;
// *store.StatusChangeError (store.ErrStatusChange) for a change its status
// does not allow. A reason is required to revoke.
func (is *Issuer) ChangeStatus(ctx context.Context, sc *store.Scoped, id string, action store.StatusAction, reason string, via store.StatusChannel, actor store.Actor) (*store.Credential, error) {
	var c *store.Credential
	err := events.Change(ctx, sc, is.Events, func(tx *store.Scoped) ([]events.Event, error) {
		var err error
		if c, err = tx.ChangeCredentialStatus(ctx, id, action, reason, via, actor); err != nil {
			return nil, err
		}
		e, err := is.statusEvent(c, reason, via, time.Now())
		return []events.Event{e}, err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// statusEvent is the event of c's status change (c.PreviousStatus →
// c.Status).
func (is *Issuer) statusEvent(c *store.Credential, reason string, via store.StatusChannel, at time.Time) (events.Event, error) {
	return events.New(c.IssuerID, statusEvents[c.Status], at, events.StatusChanged{
		Credential: events.CredentialOf(c, is.CredentialURL(c.PublicID)), PreviousStatus: c.PreviousStatus,
		Reason: reason, Via: string(via), ChangedAt: at.UTC()})
}

// ExpireDue is ChangeStatus's batch variant for expiry: it marks at most
// limit active credentials whose expiry is before now as expired, across
// organizations (the periodic expire_credentials job), and says how many;
// each organization's credential.expired events are published in the
// transaction that marks them.
func (is *Issuer) ExpireDue(ctx context.Context, now time.Time, limit int) (int, error) {
	var then func(tx *store.Scoped, expired []store.Credential) error
	if is.Events != nil {
		then = func(tx *store.Scoped, expired []store.Credential) error {
			evs := make([]events.Event, len(expired))
			for i := range expired {
				var err error
				if evs[i], err = is.statusEvent(&expired[i], "", store.ViaSystem, now); err != nil {
					return err
				}
			}
			return events.PublishMany(ctx, tx, is.Events, evs)
		}
	}
	return is.DB.ExpireCredentials(ctx, now, limit, then)
}

// Requested is the outcome of RequestStatusChange: the credential as it
// is now (changed, or not yet) and, under four eyes, the request that
// waits for a second person (nil when the change was made).
type Requested struct {
	Credential *store.Credential
	Waiting    *store.StatusChangeRequest
}

// RequestStatusChange is how a person or an API key revokes or suspends:
// when the organization's approval policy asks for four eyes on that
// action (store.ApprovalPolicy.FourEyesRevocation, FourEyesSuspension),
// the change waits for another person (store.RequestStatusChange:
// nothing changes, no event); otherwise, and for unsuspension, it is
// ChangeStatus.
func (is *Issuer) RequestStatusChange(ctx context.Context, sc *store.Scoped, id string, action store.StatusAction, reason string, via store.StatusChannel, actor store.Actor) (Requested, error) {
	p, err := sc.ApprovalPolicy(ctx)
	if err != nil {
		return Requested{}, err
	}
	if action == store.ActionRevoke && p.FourEyesRevocation || action == store.ActionSuspend && p.FourEyesSuspension {
		r, err := sc.RequestStatusChange(ctx, id, action, reason, via, actor)
		if err != nil {
			return Requested{}, err
		}
		return Requested{Credential: r.Credential, Waiting: r}, nil
	}
	c, err := is.ChangeStatus(ctx, sc, id, action, reason, via, actor)
	return Requested{Credential: c}, err
}

// DecideStatusChange is a second person's decision on a waiting
// revocation or suspension (store.DecideStatusChange's rules): approved,
// the change is made (ChangeStatus's bit flip, history, audit and event,
// attributed to the decider) in the same transaction, so of racing
// approvers exactly one changes the credential; rejected, nothing changes.
// A change the credential's status no longer allows (revoked meanwhile)
// is *store.StatusChangeError and the decision is not recorded. People
// decide through approval.Service.DecideStatusChange, which adds the
// organization's step-up policy in the same transaction.
func (is *Issuer) DecideStatusChange(ctx context.Context, sc *store.Scoped, requestID, deciderID string, approve bool, note string, actor store.Actor) (*store.StatusChangeRequest, *store.Credential, error) {
	var r *store.StatusChangeRequest
	var c *store.Credential
	err := events.Change(ctx, sc, is.Events, func(tx *store.Scoped) ([]events.Event, error) {
		var err error
		if r, err = tx.DecideStatusChange(ctx, requestID, deciderID, approve, note, actor); err != nil || !approve {
			return nil, err
		}
		if c, err = tx.ChangeCredentialStatus(ctx, r.CredentialID, r.Action, r.Reason, r.Via, actor); err != nil {
			return nil, err
		}
		e, err := is.statusEvent(c, r.Reason, r.Via, time.Now())
		return []events.Event{e}, err
	})
	if err != nil {
		return nil, nil, err
	}
	return r, c, nil
}
