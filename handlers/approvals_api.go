package handlers

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/store"
)

// ApprovalsAPI serves the approvals API (credentials:read): the
// organization's pending approval requests and one request with its
// rules and decisions. It is read-only: an API key is not a person, and
// every rule of a decision (the requester never approves, one decision
// per person, the role the person holds now, step-up) is about the person
// deciding; decisions are made in the inbox (/approvals).
type ApprovalsAPI struct {
	Issuer *issuance.Issuer
}

// APIApprovalRequest is one approval request as the API shows it.
type APIApprovalRequest struct {
	ID          string              `json:"id"`
	Status      string              `json:"status"` // pending, approved, rejected, cancelled
	Credential  APIApprovalSubject  `json:"credential"`
	Schema      APIApprovalSchema   `json:"schema"`
	RequestedBy *APIApprovalPerson  `json:"requestedBy"` // null: an API key asked, or the person is gone
	RequestedAt time.Time           `json:"requestedAt"`
	DecidedAt   *time.Time          `json:"decidedAt"`
	Round       int                 `json:"round"`
	Rules       []APIApprovalRule   `json:"rules,omitempty"`     // the request's page only
	Decisions   []APIApprovalChoice `json:"decisions,omitempty"` // the request's page only
}

// APIApprovalSubject is the credential waiting for approval.
type APIApprovalSubject struct {
	ID        string       `json:"id"` // its URL once signed
	PublicID  string       `json:"publicId"`
	Status    string       `json:"status"`
	Recipient APIRecipient `json:"recipient"`
}

// APIApprovalSchema names the credential's schema.
type APIApprovalSchema struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// APIApprovalPerson is a member of the organization.
type APIApprovalPerson struct {
	ID    string `json:"id"`
	Email string `json:"email,omitempty"`
	Name  string `json:"name,omitempty"`
}

// APIApprovalRule is one requirement and the approvals of the current
// round that count for it.
type APIApprovalRule struct {
	Required  int      `json:"required"`
	Approvals int      `json:"approvals"`
	Roles     []string `json:"roles"`
	People    int      `json:"namedPeople"`
	Met       bool     `json:"met"`
}

// APIApprovalChoice is one person's decision.
type APIApprovalChoice struct {
	Approver  APIApprovalPerson `json:"approver"`
	Role      string            `json:"role"`
	Decision  string            `json:"decision"` // approved, rejected
	Note      string            `json:"note,omitempty"`
	Round     int               `json:"round"`
	Step      int               `json:"step"`
	Current   bool              `json:"current"` // of the current round: it counts
	DecidedAt time.Time         `json:"decidedAt"`
}

// APIApprovalList is GET /api/v1/approvals.
type APIApprovalList struct {
	Approvals []APIApprovalRequest `json:"approvals"`
	Next      *string              `json:"next"` // cursor of the next page; null on the last one
}

// List handles GET /api/v1/approvals: the organization's pending
// requests, oldest first; ?limit= 1–100 (25), ?cursor=.
func (h *ApprovalsAPI) List(c *fiber.Ctx) error {
	cl := auth.API(c)
	limit, err := apiLimit(c, store.DefaultAPIPage, store.MaxAPIPage)
	if err != nil {
		return err
	}
	cur, err := apiCursor(c)
	if err != nil {
		return err
	}
	page, err := cl.Scope.ApprovalInbox(c.UserContext(), store.InboxFilter{}, store.InboxPage{Cursor: cur, Limit: limit})
	if errors.Is(err, store.ErrBadCursor) {
		return badCursor()
	}
	if err != nil {
		return err
	}
	out := APIApprovalList{Approvals: make([]APIApprovalRequest, 0, len(page.Entries))}
	for _, e := range page.Entries {
		r := APIApprovalRequest{ID: e.ID, Status: string(store.RequestPending), RequestedAt: e.CreatedAt.UTC(), Round: e.Round,
			Schema: APIApprovalSchema{ID: e.SchemaID, Name: e.SchemaName}}
		r.Credential = h.subject(&store.Credential{PublicID: e.PublicID, Status: store.CredentialPending,
			RecipientAddress: e.RecipientAddress, RecipientName: e.RecipientName})
		if e.RequesterID != nil {
			r.RequestedBy = &APIApprovalPerson{ID: *e.RequesterID, Email: deref(e.RequesterEmail)}
		}
		out.Approvals = append(out.Approvals, r)
	}
	if page.Next != nil {
		s := page.Next.String()
		out.Next = &s
	}
	return c.JSON(out)
}

// Show handles GET /api/v1/approvals/:id: one request, whatever its
// status, with its rules and every decision (earlier rounds marked).
func (h *ApprovalsAPI) Show(c *fiber.Ctx) error {
	cl, ctx := auth.API(c), c.UserContext()
	req, err := cl.Scope.ApprovalRequest(ctx, c.Params("id"))
	if errors.Is(err, store.ErrNotFound) {
		return problem(fiber.StatusNotFound, "Approval request not found", "No approval request of this organization has this id.")
	}
	if err != nil {
		return err
	}
	out := APIApprovalRequest{ID: req.ID, Status: string(req.Status), RequestedAt: req.CreatedAt.UTC(), DecidedAt: req.DecidedAt,
		Round: req.Round, Credential: h.subject(req.Credential), Schema: APIApprovalSchema{ID: req.SchemaID},
		Rules: []APIApprovalRule{}, Decisions: []APIApprovalChoice{}}
	if req.Requester != nil {
		out.RequestedBy = person(req.Requester)
	}
	if s, err := cl.Scope.Schema(ctx, req.SchemaID); err == nil {
		out.Schema.Name = s.Name
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	tally, err := cl.Scope.ApprovalTally(ctx, req.ID)
	if err != nil {
		return err
	}
	for _, t := range tally {
		roles := make([]string, len(t.Roles))
		for i, r := range t.Roles {
			roles[i] = string(r)
		}
		out.Rules = append(out.Rules, APIApprovalRule{Required: t.Required, Approvals: t.Approvals, Roles: roles, People: len(t.UserIDs), Met: t.Met()})
	}
	decisions, err := cl.Scope.ApprovalDecisions(ctx, req.ID)
	if err != nil {
		return err
	}
	for _, a := range decisions {
		d := APIApprovalChoice{Approver: APIApprovalPerson{ID: a.ApproverID}, Role: deref(a.ApproverRole), Decision: string(a.ApprovalStatus),
			Note: deref(a.ApprovalNotes), Round: a.Round, Step: a.Step, Current: a.Round == req.Round, DecidedAt: a.CreatedAt.UTC()}
		if a.Approver != nil {
			d.Approver = *person(a.Approver)
		}
		if a.ApprovedAt != nil {
			d.DecidedAt = a.ApprovedAt.UTC()
		}
		out.Decisions = append(out.Decisions, d)
	}
	return c.JSON(out)
}

func (h *ApprovalsAPI) subject(cr *store.Credential) APIApprovalSubject {
	return APIApprovalSubject{ID: h.Issuer.CredentialURL(cr.PublicID), PublicID: cr.PublicID, Status: string(cr.Status),
		Recipient: APIRecipient{Address: cr.RecipientAddress, Name: cr.RecipientName}}
}

func person(u *store.User) *APIApprovalPerson {
	return &APIApprovalPerson{ID: u.ID, Email: u.Email, Name: strings.TrimSpace(u.Profile.Data().DisplayName)}
}
