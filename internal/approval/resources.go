package approval

import (
	"context"
	"strings"
	"time"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/store"
)

// Decisions on resource requests (a new credential schema waiting for the
// organization's schema_creation workflow: store/approval_kinds.go). The
// store judges them by the credentials' rules; this door adds the
// step-up policy and the events.

// DecideResource records d on one of the organization's resource
// requests: an approval by the person whose step-up c confirmed
// (d.ApproverID is theirs; c nil only when the policy asks for none:
// ErrStepUpRequired otherwise), a rejection with its note. When it ends
// the request, approval.decided is published in the same transaction.
func (s *Service) DecideResource(ctx context.Context, sc *store.Scoped, d store.Decision, c *Confirmed, actor store.Actor) (*store.ResourceDecided, error) {
	if c != nil {
		d.ApproverID = c.userID
	}
	var out *store.ResourceDecided
	err := sc.InTx(ctx, func(tx *store.Scoped) error {
		if d.Approve {
			if err := stepUpHeld(ctx, tx, d.ApproverID, c); err != nil {
				return err
			}
		}
		var err error
		if out, err = tx.DecideResourceApproval(ctx, d, actor); err != nil || !out.Final {
			return err
		}
		return s.publishResourceDecided(ctx, tx, out.Request, strings.TrimSpace(d.Note))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// publishResourceDecided publishes approval.decided for a resource's
// request in tx.
func (s *Service) publishResourceDecided(ctx context.Context, tx *store.Scoped, req *store.ResourceApprovalRequest, note string) error {
	if s.Issuer == nil || s.Issuer.Events == nil {
		return nil
	}
	decision := "approved"
	if req.Status != store.RequestApproved {
		decision = string(req.Status)
	}
	body := events.ApprovalDecision{RequestID: req.ID, ResourceType: string(req.ResourceType), Decision: decision, Note: note,
		Approvers: []events.Approver{}}
	switch req.ResourceType {
	case store.KindSchema:
		cs, err := tx.Schema(ctx, req.ResourceID)
		if err != nil {
			return err
		}
		body.Schema = SchemaOf(cs)
	case store.KindUser:
		m, err := tx.Member(ctx, req.ResourceID)
		if err != nil {
			return err
		}
		body.Person = PersonOf(&m.User)
	}
	all, err := tx.ResourceApprovalDecisions(ctx, req.ID)
	if err != nil {
		return err
	}
	for _, a := range all {
		if a.Round != req.Round {
			continue
		}
		name := personName(a.Approver)
		if a.ActingForID != nil {
			name += " acting for " + personName(a.ActingFor)
		}
		body.Approvers = append(body.Approvers, events.Approver{UserID: a.ApproverID, Name: name, Role: a.ApproverRole,
			Decision: string(a.Decision), Note: deref(a.Note), DecidedAt: a.DecidedAt.UTC()})
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

// SchemaOf is a schema as the approval events carry it.
func SchemaOf(cs *store.CredentialSchema) *events.ApprovalSchema {
	return &events.ApprovalSchema{ID: cs.ID, Name: cs.Name, Version: cs.Version, Status: string(cs.ApprovalStatus)}
}

// PublishSchemaRequested publishes approval.requested for a schema that
// waits for its workflow (cs pending, req its request), in tx.
func PublishSchemaRequested(ctx context.Context, tx *store.Scoped, q jobs.Enqueuer, cs *store.CredentialSchema, req *store.ResourceApprovalRequest, via string) error {
	body := events.ApprovalAsked{RequestID: req.ID, ResourceType: string(store.KindSchema), Schema: SchemaOf(cs), Via: via, Required: []events.Rule{}}
	if req.RequesterID != nil {
		body.RequestedBy = *req.RequesterID
	}
	e, err := events.New(tx.OrganizationID(), events.ApprovalRequested, req.CreatedAt.UTC(), body)
	if err != nil {
		return err
	}
	return events.Publish(ctx, tx, q, e)
}

// PersonOf is a joining member as the approval events carry them.
func PersonOf(u *store.User) *events.ApprovalPerson {
	return &events.ApprovalPerson{ID: u.ID, Name: u.Profile.Data().DisplayName, Email: u.Email, Role: string(u.Role)}
}

// MemberRequested is the then of store.DB.AcceptInvitation that publishes
// approval.requested (resource_type user) in the joining's transaction
// when the member waits for the organization's user_registration
// workflow; nil for a nil q.
func MemberRequested(ctx context.Context, q jobs.Enqueuer) func(tx *store.Scoped, u *store.User) error {
	if q == nil {
		return nil
	}
	return func(tx *store.Scoped, u *store.User) error {
		if u.AwaitingApprovalSince == nil {
			return nil
		}
		req, err := tx.ResourceApprovalFor(ctx, store.KindUser, u.ID)
		if err != nil {
			return err
		}
		body := events.ApprovalAsked{RequestID: req.ID, ResourceType: string(store.KindUser), Person: PersonOf(u), Via: "web", Required: []events.Rule{}}
		if req.RequesterID != nil {
			body.RequestedBy = *req.RequesterID
		}
		e, err := events.New(tx.OrganizationID(), events.ApprovalRequested, req.CreatedAt.UTC(), body)
		if err != nil {
			return err
		}
		return events.Publish(ctx, tx, q, e)
	}
}
