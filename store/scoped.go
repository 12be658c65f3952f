package store

import (
	"context"
	"database/sql"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Scoped is the organization-scoped store handle: the only door to tenant
// tables. The organization id lives in the handle, so a tenant query
// without it does not compile. web middleware builds one per request from
// the session's organization; nothing else should call DB.Scoped.
type Scoped struct {
	db    *gorm.DB
	orgID string
	dial  Dialect
}

// Scoped returns the handle for one organization.
func (db *DB) Scoped(orgID string) *Scoped {
	return &Scoped{db: db.gorm, orgID: orgID, dial: db.dialect}
}

// tenantColumn names, for each table a Scoped method reads or writes
// directly, the column that holds the owning organization. A table missing
// here panics in tenant on first use, so a new tenant table cannot be
// queried without saying how it is scoped. Tables without such a column
// (issuance_batch_rows, credential_status_entries…) are reached through a
// join on their parent, commented where it happens.
var tenantColumn = map[string]string{
	"organizations":               "id",
	"users":                       "organization_id",
	"user_tokens":                 "organization_id",
	"api_keys":                    "organization_id",
	"approval_requests":           "organization_id",
	"credential_approvals":        "organization_id",
	"audit_logs":                  "organization_id",
	"credential_schemas":          "organization_id",
	"credential_templates":        "organization_id",
	"credentials":                 "issuer_id",
	"credential_status_changes":   "organization_id",
	"issuance_batches":            "organization_id",
	"issuer_categories":           "issuer_id",
	"signing_keys":                "organization_id",
	"status_lists":                "organization_id",
	"verification_logs":           "organization_id",
	"webhooks":                    "organization_id",
	"marketplace_listings":        "organization_id",
	"template_adoptions":          "organization_id",
	"custom_credential_templates": "organization_id",
	"organization_branding":       "organization_id",
	"custom_domains":              "organization_id",
	"template_reviews":            "organization_id",
	"template_review_votes":       "organization_id",
	"marketplace_reports":         "organization_id",
	"status_change_requests":      "organization_id",
	"resource_approval_requests":  "organization_id",
	"resource_approval_decisions": "organization_id",
	"custom_fields":               "organization_id",
	"brand_assets":                "organization_id",
}

// tenantTable is a model: GORM's TableName, which every model has.
type tenantTable interface{ TableName() string }

// owns is the one place the organization condition is written: m's table's
// tenant column equals the handle's organization. The column is qualified
// with the table, so joins cannot make it ambiguous.
func (s *Scoped) owns(m tenantTable) clause.Expression {
	table := m.TableName()
	col, ok := tenantColumn[table]
	if !ok {
		panic("store: table " + table + " has no entry in tenantColumn")
	}
	return clause.Eq{Column: clause.Column{Table: table, Name: col}, Value: s.orgID}
}

// tenant is db with m as its model, narrowed to the handle's organization:
// how a Scoped method starts a query on a tenant table. Queries that name
// their table with Table() instead add owns themselves.
func (s *Scoped) tenant(db *gorm.DB, m tenantTable) *gorm.DB {
	return db.Model(m).Where(s.owns(m))
}

// q is tenant on a fresh query carrying ctx.
func (s *Scoped) q(ctx context.Context, m tenantTable) *gorm.DB {
	return s.tenant(s.db.WithContext(ctx), m)
}

// OrganizationID is the organization this handle is scoped to.
func (s *Scoped) OrganizationID() string { return s.orgID }

// InTx runs fn with a handle whose queries share one transaction: the one
// way a domain door runs several store steps, and the jobs they enqueue
// (SQLTx), as one unit.
func (s *Scoped) InTx(ctx context.Context, fn func(tx *Scoped) error) error {
	gen, igen := statusGen.Load(), issuerGen.Load()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(&Scoped{db: tx, orgID: s.orgID, dial: s.dial})
	})
	// A status list, the organization or its keys changed in it: drop the
	// stamps read before the commit.
	if statusGen.Load() != gen {
		statusGen.Add(1)
	}
	if issuerGen.Load() != igen {
		issuerGen.Add(1)
	}
	return err
}

// SQLTx is the database/sql transaction of a handle from InTx, for a job
// enqueued in it (River's InsertTx) so that it commits with the data or
// not at all; an error on a handle outside a transaction. Only domain
// doors use it: a *sql.Tx never travels up into handlers.
func (s *Scoped) SQLTx() (*sql.Tx, error) { return sqlTxOf(s.db) }

// Organization is the handle's own organization.
func (s *Scoped) Organization(ctx context.Context) (*Organization, error) {
	var o Organization
	err := s.q(ctx, &o).First(&o).Error
	return &o, notFound(err)
}

// Account is the user-scoped store handle: a user's own sessions, password
// and second factor. Like Scoped, its user id is fixed at construction.
type Account struct {
	db     *gorm.DB
	userID string
	dial   Dialect
}

// Account returns the handle for one user.
func (db *DB) Account(userID string) *Account {
	return &Account{db: db.gorm, userID: userID, dial: db.dialect}
}

// UserID is the user this handle belongs to.
func (a *Account) UserID() string { return a.userID }
