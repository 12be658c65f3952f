// Package approvals renders the reviewer's inbox (/approvals): the
// pending approval requests, one request with the credential as it will
// be signed, and the decision forms.
package approvals

import (
	"strconv"

	"github.com/trustcred/trustcred/views/schemas"
	"github.com/trustcred/trustcred/views/ui"
	"github.com/trustcred/trustcred/views/verification"
)

// Path is the inbox's URL.
const Path = "/approvals"

// Index is the inbox page.
type Index struct {
	Filter              Filter
	Schemas, Requesters []ui.Option
	Templates, Steps    []ui.Option // Steps: none when no workflow runs
	Rows                []Row
	Newer, Older        string // pager links ("" for none)
	Filtered            bool   // a filter is applied
	Error               string // a bad filter or page link
	Notice              string // what the last bulk approval did
	NoticeError         bool
	StepUp              StepUp // what "Approve selected" asks to re-enter
	StatusChanges       StatusChanges
	Resources           Resources // new schemas waiting (none when the type filter asks for credentials)
}

// StatusChanges are the revocations and suspensions waiting for a second
// person (four eyes), and the outcome of the last decision on one.
type StatusChanges struct {
	Rows        []StatusChangeRow
	Notice      string
	NoticeError bool
	StepUp      StepUp // what Approve asks to re-enter (each row's error is its own)
}

// StatusChangeRow is one waiting revocation or suspension.
type StatusChangeRow struct {
	ID, CredentialID, Recipient string
	Action, Reason, Requester   string // "Revoke", the requester's reason, who asked
	Waiting, WaitingISO         string
	Own                         bool   // the person asked for it: they cannot decide
	Note, NoteError             string // a refused rejection's note and why
	StepUpError                 string // why the step-up of a refused approval was refused
}

// StepUp is the confirmation an approval needs (the organization's
// approval policy): Method "" (none), StepUpPassword or StepUpTOTP, and
// the error of the last attempt.
type StepUp struct{ Method, Error string }

// The step-up methods (store.StepUp's values) and their form fields
// (approval.FieldPassword, approval.FieldCode).
const (
	StepUpPassword = "password"
	StepUpTOTP     = "totp"
	FieldPassword  = "step_up_password"
	FieldCode      = "step_up_code"
)

// Filter is the inbox's filter form.
type Filter struct{ Schema, Template, Requester, Age, Step, Type string }

// Types are the type filter's choices: what waits.
var Types = []ui.Option{{Value: TypeCredential, Label: "Credentials"}, {Value: TypeSchema, Label: "New schemas"}, {Value: TypeUser, Label: "New members"}}

// The type filter's values.
const (
	TypeCredential = "credential"
	TypeSchema     = "schema"
	TypeUser       = "user" // people joining under the user_registration workflow
)

// ResourcesOnly reports whether the type filter asks for the other kinds
// alone (no credentials listed).
func (f Filter) ResourcesOnly() bool { return f.Type == TypeSchema || f.Type == TypeUser }

// Ages are the age filter's choices: waiting at least this long.
var Ages = []ui.Option{{Value: "1h", Label: "Over an hour"}, {Value: "24h", Label: "Over a day"}, {Value: "168h", Label: "Over a week"}}

// Row is one pending request.
type Row struct {
	ID, Recipient, Template, Schema, Requester string
	Step                                       string // "Step 2" ("" when no workflow runs)
	Waiting, WaitingISO                        string // e.g. "3 hours", and the request's time
}

// Detail is one request.
type Detail struct {
	ID, Status        string
	Recipient, Schema string
	Requester         string
	RequestedAt       string
	Human             verification.Human
	Rules             []Rule
	Steps             []Step // the workflow's steps (none without one)
	History           []Event
	Decision          Decision
	Batch             *Batch // a bulk batch's request (batch.templ); nil for one credential's
}

// Rule is one requirement with its approvals so far.
type Rule struct {
	Text     string // "2 approvals of reviewers"
	Given    int
	Required int
	Met      bool
}

// Step is one step of a workflow and where the request stands at it.
type Step struct {
	Number    int
	Name      string
	Given     int
	Required  int
	State     string // "done", "current" or "next"
	Escalated bool
	Due       string // the current step's deadline ("" for none)
	DueISO    string
}

// Event is one entry of the request's history.
type Event struct {
	When, WhenISO string
	Who, What     string
	Note          string
	Earlier       bool // a decision of an earlier round (the data changed since)
}

// Decision is the decision region: the forms, or what was decided.
type Decision struct {
	ID        string
	CanDecide bool   // pending, not the requester, eligible, not yet decided
	Why       string // why the person cannot decide, when not
	Message   string // the outcome of the last action
	Error     bool   // Message is a refusal
	NoteError string // the note field's error
	Note      string
	StepUp    StepUp // what Approve asks to re-enter
	// ActingFor are the absent approvers the person may decide for as
	// their delegate (none: the choice is not shown).
	ActingFor []ui.Option
	// Base is the request's path the forms post under ("": a credential's,
	// Path/ID).
	Base string
}

// base is the path the decision forms post under.
func (d Decision) base() string {
	if d.Base != "" {
		return d.Base
	}
	return Path + "/" + d.ID
}

// ResourcePath is where the requests of the other kinds (new schemas) live.
const ResourcePath = Path + "/resources"

// Resources are the new schemas waiting for approval.
type Resources struct {
	Rows         []ResourceRow
	Newer, Older string // pager links ("" for none)
}

// ResourcesAfter is the inbox's query parameter of the schema section's
// page (a cursor, like the credential list's "after").
const ResourcesAfter = "schemas_after"

// ResourcesID is the schema section's element id (its pager swaps it).
const ResourcesID = "resource-approvals"

// ResourceRow is one waiting schema.
type ResourceRow struct {
	ID, Name, Requester, Step string
	By                        string // "Made by" (a schema), "Invited by" (a member)
	Waiting, WaitingISO       string
}

// ResourceDetail is a waiting schema's page: its fields (rendered, as on
// the schema's page) and the request as a credential's shows it.
type ResourceDetail struct {
	Detail
	SchemaName, SchemaVersion string
	Fields                    []schemas.Field
	Person                    *Person // a joining member's request: the person instead of a schema
}

// Person is the person a user_registration request is about.
type Person struct {
	Name, Email, Role, InvitedBy string
	Joined, JoinedISO            string
}

func boolAttr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func itoa(n int) string { return strconv.Itoa(n) }
