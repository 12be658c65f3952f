package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// ErrNotEmpty is returned by Seed when the database already holds
// organizations or users: seeding never mixes with real data.
var ErrNotEmpty = errors.New("database already has data")

// seedLockID serializes seeders on PostgreSQL ("tc-seed").
const seedLockID int64 = 0x74632d73656564

// Seed runs fn in one transaction on an empty database: every row fn creates
// commits together, or none does. create inserts one model (its id is set
// on return, so later rows can refer to it). Seed is a platform-level
// operator tool, outside any organization's scope.
func (db *DB) Seed(ctx context.Context, fn func(create func(model any) error) error) error {
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if db.dialect == Postgres {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", seedLockID).Error; err != nil {
				return fmt.Errorf("store: seed lock: %w", err)
			}
		}
		var orgs, users int64
		if err := tx.Model(&Organization{}).Count(&orgs).Error; err != nil {
			return fmt.Errorf("store: seed: %w", err)
		}
		if err := tx.Model(&User{}).Count(&users).Error; err != nil {
			return fmt.Errorf("store: seed: %w", err)
		}
		if orgs+users > 0 {
			return ErrNotEmpty
		}
		return fn(func(model any) error {
			if err := tx.Create(model).Error; err != nil {
				return fmt.Errorf("store: seed %T: %w", model, err)
			}
			return nil
		})
	})
}

// TableCounts returns the number of rows in each application table, for
// operators (and tests) to see what a database holds.
func (db *DB) TableCounts(ctx context.Context) (map[string]int64, error) {
	out := make(map[string]int64, len(Models()))
	for _, m := range Models() {
		var n int64
		if err := db.gorm.WithContext(ctx).Model(m).Count(&n).Error; err != nil {
			return nil, fmt.Errorf("store: count: %w", err)
		}
		out[tableName(m)] = n
	}
	return out, nil
}

type tabler interface{ TableName() string }

func tableName(m any) string { return m.(tabler).TableName() }

// Models lists one zero value of every model, in the order the migrations
// create their tables.
func Models() []any {
	return []any{
		// 00001 core
		&Organization{}, &User{}, &CredentialSchema{}, &CredentialTemplate{}, &Credential{},
		&VerificationLog{}, &IssuerCategory{}, &UserSession{}, &APIKey{}, &Notification{}, &AuditLog{},
		// 00002 analytics and enhanced features
		&CredentialAnalytics{}, &TemplateCategory{}, &TemplateReview{}, &MultisigRequirement{},
		&CredentialApproval{}, &Webhook{}, &WebhookDelivery{}, &NotificationPreference{}, &SMSDelivery{},
		// 00003 enterprise features
		&EnhancedAuditLog{}, &RetentionPolicy{}, &LDAPConfiguration{}, &LDAPUserMapping{},
		&ERPIntegration{}, &RealTimeAnalytics{}, &AnalyticsModel{}, &ModelPrediction{},
		&OrganizationBranding{}, &CustomCredentialTemplate{}, &CustomField{}, &ApprovalWorkflow{},
		&WorkflowInstance{},
		// 00004 accounts
		&UserToken{}, &MFARecoveryCode{},
		// 00009 credential issuance
		&SigningKey{}, &StatusList{}, &CredentialStatusChange{}, &IssuanceBatch{}, &IssuanceBatchRow{},
		// 00021 notification channels
		&NotificationDelivery{},
		// 00022 approval requests
		&ApprovalRequest{},
		// 00023 approval settings
		&ApprovalPolicy{}, &ApprovalDelegation{},
		// 00025 marketplace
		&MarketplaceListing{}, &TemplateVersion{}, &TemplateAdoption{},
		// 00027 custom domains
		&CustomDomain{},
		// 00029 four-eyes status changes
		&StatusChangeRequest{},
		// 00030 marketplace reviews
		&TemplateReviewVote{}, &MarketplaceReport{},
		// 00038 approvals of schemas (and members)
		&ResourceApprovalRequest{}, &ResourceApprovalDecision{},
		// 00041 the image library
		&BrandAsset{},
	}
}
