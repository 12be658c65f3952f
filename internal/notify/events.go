package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/store"
)

// Audience is who hears of an event in the app (and on the other channels
// their preferences have on).
type Audience string

const (
	// Starter is the person who started what the event ends (the bulk
	// batch's uploader).
	Starter Audience = "the person who started it"
	// Admins are the organization's active administrators.
	Admins Audience = "the organization's admins"
	// Approvers are the members eligible to decide an approval request.
	Approvers Audience = "the eligible approvers"
	// Nobody: the event makes no notification.
	Nobody Audience = "nobody"
)

// A Notice is what one event type becomes in people's notifications.
type Notice struct {
	To Audience
	// By names the change that already notifies its people in its own
	// transaction (store), for the event types whose notification predates
	// the events: the consumer leaves those alone, so nobody hears twice.
	By string
	// Build words the notification from the event's payload.
	Build func(e events.Event) (store.Notification, error)
}

// Notices is the one table of who hears of which event. Every type of the
// events catalogue has its row (TestNoticesCoverTheCatalogue); the
// notification types decide which preferences apply.
var Notices = map[events.Type]Notice{
	events.BulkBatchCompleted: {To: Starter, Build: batchCompleted},
	events.APIKeyCreated:      {To: Admins, Build: apiKey("created")},
	events.APIKeyRevoked:      {To: Admins, Build: apiKey("revoked")},
	// Notified by the change itself, in its transaction.
	events.MemberJoined:          {To: Admins, By: "store.DB.AcceptInvitation (\"A new member joined\")"},
	events.OrganizationApproved:  {To: Admins, By: "store.DB.ChangeOrganizationStatusThen (lifecycleNotification)"},
	events.OrganizationSuspended: {To: Admins, By: "store.DB.ChangeOrganizationStatusThen (lifecycleNotification)"},
	// A credential's own events concern its recipient, who hears of
	// issuance by the credential email, and its issuer's staff, who made the
	// change; a public verification is counted, not announced.
	events.CredentialIssued:      {To: Nobody},
	events.CredentialRevoked:     {To: Nobody},
	events.CredentialSuspended:   {To: Nobody},
	events.CredentialUnsuspended: {To: Nobody},
	events.CredentialExpired:     {To: Nobody},
	events.CredentialVerified:    {To: Nobody},
	// The admin who deactivated the member did it; the member cannot sign in.
	events.MemberRemoved: {To: Nobody},
	// Approvals notify in the store, in the decision's own transaction:
	// every eligible approver hears of a request (and sees it counted in
	// the sidebar); the requester hears of a rejection, with its note.
	events.ApprovalRequested: {To: Approvers, By: "store.Scoped.StorePendingCredential (\"Approval requested\")"},
	events.ApprovalDecided:   {To: Starter, By: "store.Scoped.DecideApproval (\"Credential rejected\", with the note)"},
	events.ApprovalExpired:   {To: Starter, By: "store.Scoped.ExpireApproval (\"Approval request expired\")"},
	// The admin who published the template did it.
	events.TemplatePublished: {To: Nobody},
	// The member who reviewed the template did it.
	events.TemplateReviewed: {To: Nobody},
	// An event of the publisher's organization: its admins hear that
	// another organization uses their template.
	events.TemplateAdopted: {To: Admins, Build: templateAdopted},
	// Likewise a new review by another organization of their template.
	events.TemplateReviewIn: {To: Admins, Build: reviewReceived},
}

// A webhook disabled by TrustCred is not an event of the catalogue: the
// delivery worker notifies the admins before and when it happens
// (internal/webhook).

// Events is the notifications' consumer of the published events
// (events.Register): inside the fan-out's transaction it turns an event
// into notifications as Notices says, once per event and person (the
// notifications carry the event's id; store.notify skips those who have
// it already, and 00024's unique index backs that).
type Events struct{}

// Name names the consumer in errors.
func (Events) Name() string { return "notifications" }

// Consume notifies the event's audience, in tx (the fan-out's transaction).
func (Events) Consume(ctx context.Context, tx *store.Scoped, _ jobs.Enqueuer, e events.Event) error {
	n, ok := Notices[e.Type]
	if !ok || n.By != "" || n.Build == nil || n.To == Nobody {
		return nil
	}
	note, err := n.Build(e)
	if err != nil {
		return err
	}
	id := e.ID
	note.EventID = &id
	switch n.To {
	case Admins:
		_, err = tx.NotifyAdmins(ctx, note)
	case Starter:
		var who []string
		if who, err = starter(ctx, tx, e); err == nil {
			_, err = tx.NotifyMembers(ctx, who, note)
		}
	default:
		err = fmt.Errorf("notify: audience %q of %s", n.To, e.Type)
	}
	return err
}

// starter is who started what e ends: a bulk batch's uploader (none when
// the batch was started without a person: the API).
func starter(ctx context.Context, tx *store.Scoped, e events.Event) ([]string, error) {
	var p events.BatchCompleted
	if err := json.Unmarshal(e.Data, &p); err != nil {
		return nil, err
	}
	b, err := tx.Batch(ctx, p.BatchID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil // deleted since
	}
	if err != nil || b.CreatedBy == nil {
		return nil, err
	}
	return []string{*b.CreatedBy}, nil
}

func batchCompleted(e events.Event) (store.Notification, error) {
	var p events.BatchCompleted
	if err := json.Unmarshal(e.Data, &p); err != nil {
		return store.Notification{}, err
	}
	name := p.FileName
	if name == "" {
		name = "Your bulk batch"
	}
	msg := fmt.Sprintf("%d of %d rows were issued.", p.Issued, p.Total)
	if p.Failed > 0 {
		msg += fmt.Sprintf(" %d failed: the batch's page lists them with their reasons.", p.Failed)
	}
	return store.Notification{Type: store.NotifyCredentialIssued,
		Title:   truncate(fmt.Sprintf("Bulk issuance finished: %s", name), 200),
		Message: msg,
		Metadata: datatypes.NewJSONType(store.NotificationMetadata{OrganizationID: e.OrganizationID,
			Link: "/credentials/bulk/" + p.BatchID})}, nil
}

func apiKey(what string) func(e events.Event) (store.Notification, error) {
	return func(e events.Event) (store.Notification, error) {
		var p events.APIKey
		if err := json.Unmarshal(e.Data, &p); err != nil {
			return store.Notification{}, err
		}
		return store.Notification{Type: store.NotifySystemAlert,
			Title: truncate(fmt.Sprintf("API key %q was %s", p.Name, what), 200),
			Message: fmt.Sprintf("The API key %s… (%s) was %s. If nobody in your organization meant to, revoke it and review the audit log.",
				p.Prefix, p.Name, what),
			Metadata: datatypes.NewJSONType(store.NotificationMetadata{OrganizationID: e.OrganizationID, Link: "/api-keys"})}, nil
	}
}

func templateAdopted(e events.Event) (store.Notification, error) {
	var p events.Adoption
	if err := json.Unmarshal(e.Data, &p); err != nil {
		return store.Notification{}, err
	}
	return store.Notification{Type: store.NotifySystemAlert,
		Title: truncate(fmt.Sprintf("%s adopted “%s”", p.Adopter, p.Name), 200),
		Message: truncate(fmt.Sprintf("%s now uses its own copy of version %d of your marketplace template “%s” (%d adoptions in all).",
			p.Adopter, p.Version, p.Name, p.Adoptions), 2000),
		Metadata: datatypes.NewJSONType(store.NotificationMetadata{OrganizationID: e.OrganizationID, Link: "/marketplace/" + p.TemplateID})}, nil
}

func reviewReceived(e events.Event) (store.Notification, error) {
	var p events.ReviewReceived
	if err := json.Unmarshal(e.Data, &p); err != nil {
		return store.Notification{}, err
	}
	stars := "stars"
	if p.Rating == 1 {
		stars = "star"
	}
	return store.Notification{Type: store.NotifySystemAlert,
		Title: truncate(fmt.Sprintf("New review of “%s”: %d %s", p.TemplateName, p.Rating, stars), 200),
		Message: truncate(fmt.Sprintf("A member of %s reviewed your marketplace template “%s” and gave it %d %s. The review is on the template's page.",
			p.Reviewer, p.TemplateName, p.Rating, stars), 2000),
		Metadata: datatypes.NewJSONType(store.NotificationMetadata{OrganizationID: e.OrganizationID, Link: "/marketplace/" + p.TemplateID + "#mp-reviews"})}, nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
