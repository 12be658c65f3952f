package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

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
	Cursor *CredentialCursor
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
	Next    *CredentialCursor // the next (older) page; nil on the last
}

// CredentialCursor is a position in the list ordered by (created_at, id)
// descending. Its String form is opaque to clients.
type CredentialCursor struct {
	At time.Time `json:"t"`
	ID string    `json:"i"`
}

// String is the cursor as a URL-safe token.
func (c CredentialCursor) String() string {
	b, _ := json.Marshal(c) // a time and a string: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

// ParseCredentialCursor reads a token made by CredentialCursor.String.
// Anything else is ErrBadCursor.
func ParseCredentialCursor(s string) (*CredentialCursor, error) {
	if s == "" || len(s) > 512 {
		return nil, ErrBadCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, ErrBadCursor
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	var c CredentialCursor
	if err := dec.Decode(&c); err != nil || dec.More() || !validUUID(c.ID) || c.At.IsZero() {
		return nil, ErrBadCursor
	}
	c.At = c.At.UTC()
	return &c, nil
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
		l.Next = &CredentialCursor{At: last.CreatedAt.UTC(), ID: last.ID}
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

func (s *Scoped) credentialsQuery(q *gorm.DB, f CredentialFilter, cur *CredentialCursor, limit int) *gorm.DB {
	q = s.credentialsWhere(q.Table("credentials").Select(credentialColumns).
		Joins("LEFT JOIN credential_templates ON credential_templates.id = credentials.template_id"), f, cur)
	if t := strings.TrimSpace(f.Recipient); t != "" {
		q = q.Where(recipientSearchExpr(s.dial)+` LIKE ? ESCAPE '\'`, "%"+escapeLike(asciiLower(t))+"%")
	}
	return q.Order("credentials.created_at DESC, credentials.id DESC").Limit(limit)
}

// recipientWalk is a recipient search over the next recipientWalkRows rows
// of the order only.
func (s *Scoped) recipientWalk(q *gorm.DB, f CredentialFilter, cur *CredentialCursor, limit int) *gorm.DB {
	inner := s.credentialsWhere(q.Session(&gorm.Session{NewDB: true}).Table("credentials").Select("credentials.*"), f, cur).
		Order("credentials.created_at DESC, credentials.id DESC").Limit(recipientWalkRows)
	return q.Table("(?) AS credentials", inner).Select(credentialColumns).
		Joins("LEFT JOIN credential_templates ON credential_templates.id = credentials.template_id").
		Where(recipientSearchExpr(s.dial)+` LIKE ? ESCAPE '\'`, "%"+escapeLike(asciiLower(strings.TrimSpace(f.Recipient)))+"%").
		Order("credentials.created_at DESC, credentials.id DESC").Limit(limit)
}

// credentialsWhere is the organization, the filters but the recipient
// search, and the cursor.
func (s *Scoped) credentialsWhere(q *gorm.DB, f CredentialFilter, cur *CredentialCursor) *gorm.DB {
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
