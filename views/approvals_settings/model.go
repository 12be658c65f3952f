// Package approvalsettings renders the approval configuration
// (/settings/approvals, org admins): multi-signature rules per credential
// schema, approval workflows with their step editor, and the
// organization's approval policy; and an approver's own delegations
// (/account/delegation).
package approvalsettings

import (
	"strconv"

	"github.com/trustcred/trustcred/views/ui"
)

// Path is where the settings live.
const Path = "/settings/approvals"

// Paths of the areas of the page.
const (
	RulesPath      = Path + "/rules"
	WorkflowsPath  = Path + "/workflows"
	EditorPath     = WorkflowsPath + "/editor"
	PolicyPath     = Path + "/policy"
	DelegationPath = "/account/delegation"
)

// RuleURL is one rule's edit page.
func RuleURL(id string) string { return RulesPath + "/" + id }

// WorkflowURL is one workflow's edit page.
func WorkflowURL(id string) string { return WorkflowsPath + "/" + id }

// Errors maps a field name to its message; "" is the form-level message.
type Errors map[string]string

// Person is someone who may be named as an approver or a delegate.
type Person struct {
	ID, Label, Role string
}

// Role is an approver role's checkbox, with how many people hold it now.
type Role struct {
	Value, Label string
	Holders      int
}

// HoldersText is "2 people" or "1 person".
func (r Role) HoldersText() string { return People(r.Holders) }

// People is "1 person", "no one" or "n people".
func People(n int) string {
	switch n {
	case 0:
		return "no one"
	case 1:
		return "1 person"
	}
	return strconv.Itoa(n) + " people"
}

// RuleRow is one rule in the list.
type RuleRow struct {
	ID, Schema, Name string
	Summary          string // "2 of reviewers, admins"
	Active           bool
}

// WorkflowRow is one workflow in the list.
type WorkflowRow struct {
	ID, Name, Type, Applies string
	Steps                   string // "2 steps: 2 of reviewers → 1 of admins"
	Escalation              string // "after 24 h" or "off"
	Active                  bool
}

// Policy is the organization's approval policy form.
type Policy struct {
	FourEyesRevocation, FourEyesSuspension bool
	StepUp                                 string
	Errors                                 Errors
	Saved                                  bool // just saved: a notice beside the button
}

// StepUps are the step-up choices.
var StepUps = []ui.Option{
	{Value: "none", Label: "Nothing more: being signed in is enough"},
	{Value: "password", Label: "Their password"},
	{Value: "totp", Label: "A code from their authenticator app"},
}

// Index is the settings page.
type Index struct {
	Rules      []RuleRow
	Workflows  []WorkflowRow
	Policy     Policy
	HasSchemas bool
}

// RuleForm is the create and edit form of a multi-signature rule.
type RuleForm struct {
	ID       string // "" for a new rule
	SchemaID string
	Name     string
	Required string
	Roles    []string
	People   []string
	Active   bool
	Errors   Errors
	Schemas  []ui.Option
	AllRoles []Role
	Persons  []Person
}

// Action is where the form posts.
func (f RuleForm) Action() string {
	if f.ID == "" {
		return RulesPath
	}
	return RuleURL(f.ID)
}

// Step is one step of the step editor, as typed.
type Step struct {
	Name, Required, Deadline string
	Roles, People            []string
}

// WorkflowForm is the create and edit form of a workflow with its step
// editor.
type WorkflowForm struct {
	ID                string // "" for a new workflow
	Name, Type        string
	SchemaID          string
	Steps             []Step
	AutoApprove       string
	Escalation        bool
	EscalationTimeout string
	BulkSample        string
	Active            bool
	Errors            Errors
	Schemas           []ui.Option
	AllRoles          []Role
	Persons           []Person
	Focus             string // id of the element to focus after a step editor change
	Max               int    // the most steps a workflow may have
}

// Action is where the form posts.
func (f WorkflowForm) Action() string {
	if f.ID == "" {
		return WorkflowsPath
	}
	return WorkflowURL(f.ID)
}

// Types are the workflow types.
var Types = []ui.Option{
	{Value: "credential_issuance", Label: "Issuing credentials"},
	{Value: "schema_creation", Label: "Creating credential schemas"},
	{Value: "user_registration", Label: "Registering members"},
}

// TypeLabel is a workflow type as the page words it.
func TypeLabel(t string) string {
	for _, o := range Types {
		if o.Value == t {
			return o.Label
		}
	}
	return t
}

// StepID is the element id prefix of step i's fields.
func StepID(i int) string { return "step-" + strconv.Itoa(i) }

// StepField is the form name of one field of step i ("step_0_required").
func StepField(i int, name string) string { return "step_" + strconv.Itoa(i) + "_" + name }

// Delegation is one of the approver's delegations.
type Delegation struct {
	ID, Delegate, From, Until string
	Now                       bool // running now
}

// DelegationPage is /account/delegation.
type DelegationPage struct {
	Delegations []Delegation
	Delegate    string // the form as typed
	Starts      string // datetime-local, UTC
	Ends        string
	Errors      Errors
	Persons     []Person
}
