package approval_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/trustcred/trustcred/internal/approval"
	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// A schema waiting for its workflow through the door: under a step-up
// policy a plain approval is refused (ErrStepUpRequired); a rejection
// needs none and publishes approval.decided with resource_type schema, the
// schema and the note, in the decision's transaction; an approval of
// another schema publishes approved with its approver.
func TestDecideResourcePublishes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db, "https://creds.example.org")
		if _, err := f.sc.CreateApprovalWorkflow(ctx, store.WorkflowChange{Name: "New schemas", Type: store.WorkflowSchemaCreation,
			Steps: []store.WorkflowStep{{Name: "Registrar", ApproverRoles: []store.Role{store.RoleReviewer}, RequiredApprovals: 1}}, Active: true},
			store.Actor{}); err != nil {
			t.Fatal(err)
		}
		waiting := func(name string) *store.ResourceApprovalRequest {
			cs, err := f.sc.CreateSchema(ctx, store.SchemaChange{Name: name, Version: "1", Definition: json.RawMessage(`{}`)}, actor(f.issuer))
			if err != nil {
				t.Fatal(err)
			}
			req, err := f.sc.ResourceApprovalFor(ctx, store.KindSchema, cs.ID)
			if err != nil {
				t.Fatal(err)
			}
			return req
		}
		first, second := waiting("Badge"), waiting("Licence")
		if _, err := f.sc.SaveApprovalPolicy(ctx, store.ApprovalPolicy{StepUp: store.StepUpPassword}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.DecideResource(ctx, f.sc, store.Decision{RequestID: first.ID, ApproverID: f.reviewers[0].ID, Approve: true}, nil,
			actor(f.reviewers[0])); !errors.Is(err, approval.ErrStepUpRequired) {
			t.Fatalf("an approval without the step-up: %v", err)
		}
		if _, err := f.svc.DecideResource(ctx, f.sc, store.Decision{RequestID: first.ID, ApproverID: f.reviewers[0].ID, Note: "Too vague"}, nil,
			actor(f.reviewers[0])); err != nil {
			t.Fatal(err)
		}
		decided := published(t, db, events.ApprovalDecided)
		var body events.ApprovalDecision
		if len(decided) != 1 || json.Unmarshal(decided[0].Data, &body) != nil || body.ResourceType != "schema" || body.Decision != "rejected" ||
			body.Note != "Too vague" || body.Schema == nil || body.Schema.Name != "Badge" || body.Schema.Status != "rejected" || len(body.Approvers) != 1 {
			t.Fatalf("approval.decided %+v", body)
		}
		if _, err := f.sc.SaveApprovalPolicy(ctx, store.ApprovalPolicy{StepUp: store.StepUpNone}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		ok, err := f.svc.Confirm(ctx, f.sc, f.reviewers[1].ID, approval.StepUp{}, actor(f.reviewers[1]))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.DecideResource(ctx, f.sc, store.Decision{RequestID: second.ID, Approve: true}, &ok, actor(f.reviewers[1])); err != nil {
			t.Fatal(err)
		}
		decided = published(t, db, events.ApprovalDecided)
		if len(decided) != 2 || json.Unmarshal(decided[1].Data, &body) != nil || body.Decision != "approved" || body.Schema.Status != "approved" ||
			len(body.Approvers) != 1 || body.Approvers[0].UserID != f.reviewers[1].ID {
			t.Fatalf("approval.decided after the approval %+v", body)
		}
	})
}
