package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/trustcred/trustcred/internal/secret"
)

// CredentialStatus is credentials.status.
type CredentialStatus string

const (
	CredentialDraft     CredentialStatus = "draft"
	CredentialPending   CredentialStatus = "pending"
	CredentialActive    CredentialStatus = "active"
	CredentialRejected  CredentialStatus = "rejected"
	CredentialSuspended CredentialStatus = "suspended"
	CredentialRevoked   CredentialStatus = "revoked"
	CredentialExpired   CredentialStatus = "expired"
)

// Valid reports whether s is one of the values the database accepts.
func (s CredentialStatus) Valid() bool {
	switch s {
	case CredentialDraft, CredentialPending, CredentialActive, CredentialRejected,
		CredentialSuspended, CredentialRevoked, CredentialExpired:
		return true
	}
	return false
}

// Credential is one credential issued (or being prepared) for a recipient.
type Credential struct {
	ID               string
	PublicID         string // the credential's public id (VC id, verify links); unique
	SchemaID         string
	IssuerID         string
	RecipientAddress string        `validate:"required,max=500,email|did"` // recipient's email or DID
	RecipientUserID  *string       // set when the recipient has an account
	MetadataURI      *string       `validate:"omitnil,max=2048,url"`
	EncryptedData    secret.Sealed // the credential document, encrypted at rest
	DataHash         *string
	Status           CredentialStatus `gorm:"default:draft" validate:"required,oneof=draft pending active rejected suspended revoked expired"`
	IssuedAt         *time.Time
	ExpiresAt        *time.Time
	RevokedAt        *time.Time
	RevocationReason *string `validate:"omitnil,max=1000,text"`
	TemplateID       *string
	RecipientName    *string `validate:"omitnil,max=200,name"`
	StatusListIndex  *int
	ProofType        *string // Data Integrity cryptosuite, e.g. eddsa-rdfc-2022
	// The credential's status list entries (00009): revocation in
	// (StatusListID, StatusListIndex), suspension in (SuspensionListID,
	// SuspensionListIndex); unique per list.
	StatusListID        *string
	SuspensionListID    *string
	SuspensionListIndex *int
	SigningKeyID        *string // the key that signed it
	// VerifiedEventAt is when its last credential.verified event was
	// published: the window every server claims (ClaimVerifiedEvents, 00024).
	VerifiedEventAt *time.Time
	// PreviousStatus is, on the credential ChangeCredentialStatus (and
	// ExpireCredentials' then) gives, its status before that change (not a
	// column; a CredentialStatus as a plain string, not an enum to validate).
	PreviousStatus string `gorm:"-" validate:"-"`
	CreatedAt      time.Time
	UpdatedAt      time.Time

	Schema           *CredentialSchema    `gorm:"foreignKey:SchemaID" validate:"-"`
	Issuer           *Organization        `gorm:"foreignKey:IssuerID" validate:"-"`
	RecipientUser    *User                `gorm:"foreignKey:RecipientUserID" validate:"-"`
	Template         *CredentialTemplate  `gorm:"foreignKey:TemplateID" validate:"-"`
	Approvals        []CredentialApproval `gorm:"foreignKey:CredentialID" validate:"-"`
	VerificationLogs []VerificationLog    `gorm:"foreignKey:CredentialID" validate:"-"`
}

func (Credential) TableName() string { return "credentials" }

func (c *Credential) BeforeCreate(*gorm.DB) error { return newID(&c.ID) }

// EffectiveStatus is the status a client sees: an active credential past
// its expiry is expired even before a job marks it so.
func (c *Credential) EffectiveStatus(now time.Time) CredentialStatus {
	if c.Status == CredentialActive && c.ExpiresAt != nil && !c.ExpiresAt.After(now) {
		return CredentialExpired
	}
	return c.Status
}

// CredentialFilter selects an organization's credentials. Zero fields
// select everything.
type CredentialFilter struct {
	Status     CredentialStatus
	TemplateID string
	SchemaID   string
	// IssuedFrom and IssuedTo are UTC days, both inclusive (their time of
	// day is ignored): the credentials created on those days and between.
	// A credential's row is created when it is issued.
	IssuedFrom, IssuedTo time.Time
	// Recipient is part of the recipient's name or address, any case
	// (ASCII letters fold).
	Recipient string
}

// MaxRecipientSearch is the longest recipient search accepted.
const MaxRecipientSearch = 200

// Page sizes of the credentials list.
const (
	DefaultCredentialPage = 50
	MaxCredentialPage     = 200
)

// CredentialPage is which page of the list: the first, or the one after
// Cursor.
type CredentialPage struct {
	Cursor *Cursor
	Limit  int // 1..MaxCredentialPage; 0: DefaultCredentialPage
}

// CredentialEntry is a credential as the list shows it (without its sealed
// document), with its template's name when it has one.
type CredentialEntry struct {
	ID               string
	PublicID         string
	SchemaID         string
	TemplateID       *string
	TemplateName     *string
	RecipientName    *string
	RecipientAddress string
	Status           CredentialStatus
	IssuedAt         *time.Time
	ExpiresAt        *time.Time
	CreatedAt        time.Time
}

// CredentialList is one page of the list, newest first.
type CredentialList struct {
	Entries []CredentialEntry
	Next    *Cursor // the next (older) page; nil on the last
}

// check refuses values the list does not offer (ErrBadFilter).
func (f CredentialFilter) check() error {
	switch {
	case f.Status != "" && !f.Status.Valid():
		return fmt.Errorf("%w: status %q", ErrBadFilter, f.Status)
	case f.TemplateID != "" && !validUUID(f.TemplateID):
		return fmt.Errorf("%w: template", ErrBadFilter)
	case f.SchemaID != "" && !validUUID(f.SchemaID):
		return fmt.Errorf("%w: schema", ErrBadFilter)
	case utf8.RuneCountInString(f.Recipient) > MaxRecipientSearch || !utf8.ValidString(f.Recipient) || strings.ContainsRune(f.Recipient, 0):
		return fmt.Errorf("%w: recipient search", ErrBadFilter)
	}
	return nil
}

// Credentials is one page of the organization's credentials, newest first
// by (created_at, id), after p.Cursor. Each filter has an index that ends
// in (created_at, id), so a page starts at its cursor without sorting
// (migration 00010). ErrBadFilter for a value that is not a status or an
// id.
func (s *Scoped) Credentials(ctx context.Context, f CredentialFilter, p CredentialPage) (CredentialList, error) {
	if err := f.check(); err != nil {
		return CredentialList{}, err
	}
	if err := timed(p.Cursor); err != nil {
		return CredentialList{}, err
	}
	limit := p.Limit
	if limit <= 0 {
		limit = DefaultCredentialPage
	}
	limit = min(limit, MaxCredentialPage)
	var rows []CredentialEntry
	if s.dial == Postgres && strings.TrimSpace(f.Recipient) != "" {
		// A common term fills the page within the next rows of the order;
		// the trigram index would read every match first. Walk first, and
		// look the matches up only when the walk does not fill the page.
		if err := s.recipientWalk(s.db.WithContext(ctx), f, p.Cursor, limit+1).Find(&rows).Error; err != nil {
			return CredentialList{}, err
		}
	}
	if len(rows) <= limit {
		rows = nil
		if err := s.credentialsQuery(s.db.WithContext(ctx), f, p.Cursor, limit+1).Find(&rows).Error; err != nil {
			return CredentialList{}, err
		}
	}
	l := CredentialList{Entries: rows}
	if len(rows) > limit {
		l.Entries = rows[:limit]
		last := l.Entries[limit-1]
		l.Next = &Cursor{At: last.CreatedAt.UTC(), ID: last.ID}
	}
	return l, nil
}

// recipientSearchExpr is the text a recipient search looks in: the name and
// the address, a line break apart, ASCII letters in lower case. On
// PostgreSQL it is exactly the expression of the trigram index
// idx_credentials_recipient_search (migration 00010).
func recipientSearchExpr(d Dialect) string {
	if d == Postgres {
		return `lower((coalesce(credentials.recipient_name, '') || E'\n' || credentials.recipient_address) COLLATE "C")`
	}
	return `lower(coalesce(credentials.recipient_name, '') || char(10) || credentials.recipient_address)`
}

// credentialColumns are the list's columns (not the sealed document).
const credentialColumns = "credentials.id, credentials.public_id, credentials.schema_id, credentials.template_id, " +
	"credential_templates.name AS template_name, credentials.recipient_name, credentials.recipient_address, " +
	"credentials.status, credentials.issued_at, credentials.expires_at, credentials.created_at"

// recipientWalkRows is how many rows of the order a recipient search reads
// before it looks the matches up instead.
const recipientWalkRows = 2000

func (s *Scoped) credentialsQuery(q *gorm.DB, f CredentialFilter, cur *Cursor, limit int) *gorm.DB {
	q = s.credentialsWhere(q.Table("credentials").Select(credentialColumns).
		Joins("LEFT JOIN credential_templates ON credential_templates.id = credentials.template_id"), f, cur)
	if t := strings.TrimSpace(f.Recipient); t != "" {
		q = q.Where(recipientSearchExpr(s.dial)+` LIKE ? ESCAPE '\'`, "%"+escapeLike(asciiLower(t))+"%")
	}
	return q.Order("credentials.created_at DESC, credentials.id DESC").Limit(limit)
}

// recipientWalk is a recipient search over the next recipientWalkRows rows
// of the order only.
func (s *Scoped) recipientWalk(q *gorm.DB, f CredentialFilter, cur *Cursor, limit int) *gorm.DB {
	inner := s.credentialsWhere(q.Session(&gorm.Session{NewDB: true}).Table("credentials").Select("credentials.*"), f, cur).
		Order("credentials.created_at DESC, credentials.id DESC").Limit(recipientWalkRows)
	return q.Table("(?) AS credentials", inner).Select(credentialColumns).
		Joins("LEFT JOIN credential_templates ON credential_templates.id = credentials.template_id").
		Where(recipientSearchExpr(s.dial)+` LIKE ? ESCAPE '\'`, "%"+escapeLike(asciiLower(strings.TrimSpace(f.Recipient)))+"%").
		Order("credentials.created_at DESC, credentials.id DESC").Limit(limit)
}

// credentialsWhere is the organization, the filters but the recipient
// search, and the cursor.
func (s *Scoped) credentialsWhere(q *gorm.DB, f CredentialFilter, cur *Cursor) *gorm.DB {
	q = q.Where(s.owns(&Credential{})) // q names the table (or the walk's subquery) "credentials"
	if f.Status != "" {
		q = q.Where("credentials.status = ?", f.Status)
	}
	if f.TemplateID != "" {
		q = q.Where("credentials.template_id = ?", f.TemplateID)
	}
	if f.SchemaID != "" {
		q = q.Where("credentials.schema_id = ?", f.SchemaID)
	}
	if !f.IssuedFrom.IsZero() {
		d := f.IssuedFrom.UTC()
		q = q.Where("credentials.created_at >= ?", time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC))
	}
	if !f.IssuedTo.IsZero() {
		d := f.IssuedTo.UTC()
		q = q.Where("credentials.created_at < ?", time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, time.UTC))
	}
	if cur != nil {
		// A row value comparison, so that the index scan starts at the
		// cursor (an OR of the two columns would be a filter instead).
		q = q.Where("(credentials.created_at, credentials.id) < (?, ?)", cur.At.UTC(), cur.ID)
	}
	return q
}

// CredentialVerificationCount is how many times one of the organization's
// credentials was verified (its verification_logs rows). ErrNotFound for
// another organization's credential.
func (s *Scoped) CredentialVerificationCount(ctx context.Context, credentialID string) (int64, error) {
	if !validUUID(credentialID) {
		return 0, ErrNotFound
	}
	var n int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var found int64
		if err := s.tenant(tx, &Credential{}).Where("id = ?", credentialID).Count(&found).Error; err != nil {
			return err
		}
		if found == 0 {
			return ErrNotFound
		}
		// Scoped through the credential, found above: a log's
		// organization_id is nil for credentials TrustCred did not issue.
		return tx.Model(&VerificationLog{}).Where("credential_id = ?", credentialID).Count(&n).Error
	})
	return n, err
}

// Choice is one option of a filter: an id and what to call it.
type Choice struct {
	ID, Label string
}

// CredentialChoices are the templates and schemas the credentials list can
// be narrowed to: all of the organization's, by name.
type CredentialChoices struct {
	Templates []Choice
	Schemas   []Choice
}

// CredentialFilterChoices lists the organization's templates and schemas
// (active or not) for the credentials list's filters.
func (s *Scoped) CredentialFilterChoices(ctx context.Context) (CredentialChoices, error) {
	var out CredentialChoices
	var tpls []CredentialTemplate
	if err := s.q(ctx, &CredentialTemplate{}).Select("id", "name").Order("name, id").Find(&tpls).Error; err != nil {
		return out, err
	}
	for _, t := range tpls {
		out.Templates = append(out.Templates, Choice{ID: t.ID, Label: t.Name})
	}
	var schemas []CredentialSchema
	if err := s.q(ctx, &CredentialSchema{}).Select("id", "name", "version").Order("name, version, id").Find(&schemas).Error; err != nil {
		return out, err
	}
	for _, sc := range schemas {
		out.Schemas = append(out.Schemas, Choice{ID: sc.ID, Label: sc.Name + " (version " + sc.Version + ")"})
	}
	return out, nil
}

// ValidDID reports whether s has the W3C DID syntax (what the credentials
// table's recipient_address accepts besides an email address).
func ValidDID(s string) bool { return len(s) <= 500 && didRE.MatchString(s) }

// The schema that credentials written through the API are filed under when
// the client names no template: free-form, one per organization.
const (
	APISchemaName    = "API credentials"
	APISchemaVersion = "1"
	apiSchemaJSON    = `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object"}`
)

// APISchema is the organization's schema for credentials issued through
// the API without a template ("API credentials", version 1, any JSON
// object, no fields). It is created on first use, audited in the same
// transaction; concurrent first uses agree on one row through the unique
// (organization, name, version) constraint. An existing row is used even if
// it was deactivated: credentials must be filed somewhere.
func (s *Scoped) APISchema(ctx context.Context) (*CredentialSchema, error) {
	find := func() (*CredentialSchema, error) {
		var cs CredentialSchema
		err := s.q(ctx, &cs).Where("name = ? AND version = ?", APISchemaName, APISchemaVersion).
			First(&cs).Error
		return &cs, notFound(err)
	}
	cs, err := find()
	if !errors.Is(err, ErrNotFound) {
		return cs, err
	}
	cs = &CredentialSchema{Name: APISchemaName, Version: APISchemaVersion, OrganizationID: s.orgID, Active: true,
		SchemaDefinition: datatypes.JSON(apiSchemaJSON)}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(cs).Error; err != nil {
			return err
		}
		return audit(tx, Actor{OrganizationID: &s.orgID}, "schema.created", "credential_schema", cs.ID, AuditDetails{
			Summary: "Created the schema " + APISchemaName + " for credentials issued through the API",
		})
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return find() // another request created it first
	}
	if err != nil {
		return nil, err
	}
	return cs, nil
}

// Page sizes of the API's credential list.
const (
	DefaultAPIPage = 25
	MaxAPIPage     = 100
)

// APICredentialsPage is one page of the API's credential list, newest first.
type APICredentialsPage struct {
	Credentials []Credential // with Template loaded
	Next        string       // cursor of the next page; "" on the last one
}

// APICredentials lists the organization's issued credentials newest first
// by (created_at, id), keyset-paginated: cursor is "" or a Next of the
// previous page (ErrBadCursor otherwise). status, if set, filters by the
// status EffectiveStatus reports. limit is clamped to 1..MaxAPIPage.
func (s *Scoped) APICredentials(ctx context.Context, status CredentialStatus, cursor string, limit int) (APICredentialsPage, error) {
	if limit <= 0 {
		limit = DefaultAPIPage
	}
	limit = min(limit, MaxAPIPage)
	q := s.q(ctx, &Credential{})
	now := time.Now().UTC()
	switch status {
	case "":
	case CredentialActive:
		q = q.Where("status = ? AND (expires_at IS NULL OR expires_at > ?)", CredentialActive, now)
	case CredentialExpired:
		q = q.Where("status = ? OR (status = ? AND expires_at <= ?)", CredentialExpired, CredentialActive, now)
	default:
		q = q.Where("status = ?", status)
	}
	if cursor != "" {
		c, err := ParseCursor(cursor)
		if err == nil {
			err = timed(c)
		}
		if err != nil {
			return APICredentialsPage{}, err
		}
		q = q.Where("(created_at, id) < (?, ?)", c.At, c.ID)
	}
	var rows []Credential
	if err := q.Preload("Template").Order("created_at DESC, id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return APICredentialsPage{}, err
	}
	var p APICredentialsPage
	var next *Cursor
	p.Credentials, next = timePage(rows, limit, func(c *Credential) (time.Time, string) { return c.CreatedAt, c.ID })
	if next != nil {
		p.Next = next.String()
	}
	return p, nil
}

// PublicCredential is a credential by its public id, platform-wide (the
// public verification page), with its schema, template and issuer.
func (db *DB) PublicCredential(ctx context.Context, publicID string) (*Credential, error) {
	var c Credential
	// One query with joins, not a query per relation: this is the public
	// page's cold path.
	err := db.gorm.WithContext(ctx).Joins("Schema").Joins("Template").Joins("Issuer").
		First(&c, "credentials.public_id = ?", publicID).Error
	return &c, notFound(err)
}

// CredentialRef is what verifying a document that claims to be one of
// our credentials needs of its row: whose it is (for the log entry) and
// the schema it was issued under (nil when it has none).
type CredentialRef struct {
	ID, IssuerID string
	Schema       *RefSchema
}

// RefSchema is a credential's schema as its check reports it.
type RefSchema struct {
	Name, Version string
	Definition    []byte
}

// CredentialRef reads a credential's ref by public id in one indexed
// query (database/sql: it runs on every verification of one of ours);
// ErrNotFound for an unknown id.
func (db *DB) CredentialRef(ctx context.Context, publicID string) (CredentialRef, error) {
	q := `SELECT c.id, c.issuer_id, s.name, s.version, s.schema_definition FROM credentials c
		LEFT JOIN credential_schemas s ON s.id = c.schema_id WHERE c.public_id = ?`
	if db.dialect == Postgres {
		q = strings.Replace(q, "?", "$1", 1)
	}
	var r CredentialRef
	var name, version, def sql.NullString
	err := db.sql.QueryRowContext(ctx, q, publicID).Scan(&r.ID, &r.IssuerID, &name, &version, &def)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	if def.Valid {
		r.Schema = &RefSchema{Name: name.String, Version: version.String, Definition: []byte(def.String)}
	}
	return r, err
}

// CredentialStamp is what a public view of a credential depends on besides
// time (see verify.Cache).
type CredentialStamp struct {
	Status        string
	Updated       time.Time
	IssuerStatus  string
	IssuerUpdated time.Time
	Revocation    int // version of its revocation list
	Suspension    int // version of its suspension list
}

// CredentialStamp reads a credential's stamp by public id in one indexed
// query; ErrNotFound for an unknown id.
func (db *DB) CredentialStamp(ctx context.Context, publicID string) (CredentialStamp, error) {
	// Straight through database/sql: this runs on every public page view.
	q := stampQuery
	if db.dialect == Postgres {
		q = strings.Replace(q, "?", "$1", 1)
	}
	var st CredentialStamp
	err := db.sql.QueryRowContext(ctx, q, publicID).
		Scan(&st.Status, &st.Updated, &st.IssuerStatus, &st.IssuerUpdated, &st.Revocation, &st.Suspension)
	if errors.Is(err, sql.ErrNoRows) {
		return st, ErrNotFound
	}
	st.Updated, st.IssuerUpdated = st.Updated.UTC(), st.IssuerUpdated.UTC()
	return st, err
}

const stampQuery = `SELECT c.status, c.updated_at, o.status, o.updated_at,
	COALESCE(r.version, 0), COALESCE(s.version, 0)
	FROM credentials c JOIN organizations o ON o.id = c.issuer_id
	LEFT JOIN status_lists r ON r.id = c.status_list_id
	LEFT JOIN status_lists s ON s.id = c.suspension_list_id
	WHERE c.public_id = ?`

// ExpireCredentials marks at most batch active credentials whose expiry is
// before now as expired, across organizations, in one transaction, each
// with its status history entry, and says how many (suspended credentials
// keep their status until reinstated; revoked ones stay revoked). then (nil: nothing) runs in that transaction once per
// organization with that organization's handle and its credentials just
// expired (status expired): what must commit with the expiry (its events)
// goes there, and its error rolls the whole batch back.
func (db *DB) ExpireCredentials(ctx context.Context, now time.Time, batch int, then func(tx *Scoped, expired []Credential) error) (int, error) {
	var n int
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var due []Credential
		if err := lockRow(tx, db.dialect).Select("id", "issuer_id", "public_id", "schema_id", "template_id", "recipient_address",
			"issued_at", "expires_at").
			Where("status = ? AND expires_at IS NOT NULL AND expires_at <= ?", CredentialActive, now.UTC()).
			Order("expires_at").Limit(batch).Find(&due).Error; err != nil {
			return err
		}
		if len(due) == 0 {
			return nil
		}
		ids := make([]string, len(due))
		changes := make([]CredentialStatusChange, len(due))
		for i, c := range due {
			ids[i] = c.ID
			changes[i] = CredentialStatusChange{CredentialID: c.ID, OrganizationID: c.IssuerID, FromStatus: CredentialActive,
				ToStatus: CredentialExpired, Via: ViaSystem}
		}
		res := tx.Model(&Credential{}).Where("id IN ? AND status = ?", ids, CredentialActive).Update("status", CredentialExpired)
		if res.Error != nil {
			return res.Error
		}
		n = int(res.RowsAffected)
		if err := tx.CreateInBatches(changes, 200).Error; err != nil {
			return err
		}
		if then == nil {
			return nil
		}
		byOrg := map[string][]Credential{}
		var orgs []string
		for _, c := range due {
			c.Status, c.PreviousStatus = CredentialExpired, string(CredentialActive)
			if _, ok := byOrg[c.IssuerID]; !ok {
				orgs = append(orgs, c.IssuerID)
			}
			byOrg[c.IssuerID] = append(byOrg[c.IssuerID], c)
		}
		for _, org := range orgs {
			if err := then(&Scoped{db: tx, orgID: org, dial: db.dialect}, byOrg[org]); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}
