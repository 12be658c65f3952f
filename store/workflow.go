package store

import (
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"
)

// WorkflowType is approval_workflows.workflow_type.
type WorkflowType string

const (
	WorkflowCredentialIssuance WorkflowType = "credential_issuance"
	WorkflowSchemaCreation     WorkflowType = "schema_creation"
	WorkflowUserRegistration   WorkflowType = "user_registration"
)

// Valid reports whether t is one of the values the database accepts.
func (t WorkflowType) Valid() bool {
	switch t {
	case WorkflowCredentialIssuance, WorkflowSchemaCreation, WorkflowUserRegistration:
		return true
	}
	return false
}

// WorkflowStep is one element of approval_workflows.steps, in order.
type WorkflowStep struct {
	Name              string   `json:"name"`
	ApproverRoles     []Role   `json:"approver_roles,omitempty"`
	ApproverUserIDs   []string `json:"approver_user_ids,omitempty"`
	RequiredApprovals int      `json:"required_approvals"`
	// DeadlineHours is how long the step may wait for its approvals before
	// it escalates (0: no deadline) (00023).
	DeadlineHours int `json:"deadline_hours,omitempty"`
}

// ApprovalWorkflow is an organization's configurable approval process.
type ApprovalWorkflow struct {
	ID                     string
	OrganizationID         string
	WorkflowName           string       `validate:"required,max=200"`
	WorkflowType           WorkflowType `validate:"required,oneof=credential_issuance schema_creation user_registration"`
	Steps                  datatypes.JSONSlice[WorkflowStep]
	AutoApproveThreshold   int `gorm:"default:1" validate:"min=1,max=100"`
	EscalationEnabled      bool
	EscalationTimeoutHours int `gorm:"default:24" validate:"min=1,max=8760"`
	// SchemaID is the schema a credential_issuance workflow applies to; nil
	// for every schema without its own (00023).
	SchemaID *string
	// BulkSampleSize is how many rows of a bulk batch TrustCred picks at
	// random for the reviewer to look at before approving it (00023).
	BulkSampleSize int `validate:"min=0,max=1000"`
	Active         bool
	CreatedAt      time.Time

	Instances []WorkflowInstance `gorm:"foreignKey:WorkflowID" validate:"-"`
}

func (ApprovalWorkflow) TableName() string { return "approval_workflows" }

func (w *ApprovalWorkflow) BeforeCreate(*gorm.DB) error { return newID(&w.ID) }

func (w *ApprovalWorkflow) BeforeSave(*gorm.DB) error {
	emptyIfNil(&w.Steps)
	return nil
}

// WorkflowStatus is workflow_instances.status.
type WorkflowStatus string

const (
	WorkflowInProgress WorkflowStatus = "in_progress"
	WorkflowApproved   WorkflowStatus = "approved"
	WorkflowRejected   WorkflowStatus = "rejected"
	WorkflowCancelled  WorkflowStatus = "cancelled"
)

// Valid reports whether s is one of the values the database accepts.
func (s WorkflowStatus) Valid() bool {
	switch s {
	case WorkflowInProgress, WorkflowApproved, WorkflowRejected, WorkflowCancelled:
		return true
	}
	return false
}

// WorkflowInstance is one resource going through an approval workflow.
type WorkflowInstance struct {
	ID           string
	WorkflowID   string
	ResourceType string `validate:"required,max=50"` // credential, schema, user
	ResourceID   string
	CurrentStep  int            `gorm:"default:1"` // 1-based index into the workflow's steps
	Status       WorkflowStatus `gorm:"default:in_progress" validate:"required,oneof=in_progress approved rejected cancelled"`
	StartedAt    time.Time      `gorm:"autoCreateTime"`
	CompletedAt  *time.Time
	CreatedAt    time.Time
	// The current step's clock (00028; see approval_workflow_run.go):
	// when it began, when its approvers are reminded (NULL once sent),
	// when it escalates and did, and its final deadline.
	StepStartedAt *time.Time
	RemindAt      *time.Time
	EscalateAt    *time.Time
	EscalatedAt   *time.Time
	ExpireAt      *time.Time

	Workflow *ApprovalWorkflow `gorm:"foreignKey:WorkflowID" validate:"-"`
}

func (WorkflowInstance) TableName() string { return "workflow_instances" }

func (i *WorkflowInstance) BeforeCreate(*gorm.DB) error { return newID(&i.ID) }
