package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// InsertVerificationLogs writes a batch of verification log rows in one
// transaction (platform-wide: public verifications are logged too).
func (db *DB) InsertVerificationLogs(ctx context.Context, logs []VerificationLog) error {
	if len(logs) == 0 {
		return nil
	}
	if db.dialect == Postgres {
		return db.copyVerificationLogs(ctx, logs)
	}
	// Plain multi-row INSERTs through database/sql: this runs for every
	// verification, thousands a second under load, and GORM's reflection
	// would cost more than the insert.
	const cols = 11
	const per = 400 // rows per statement (PostgreSQL allows 65,535 parameters)
	for start := 0; start < len(logs); start += per {
		part := logs[start:min(start+per, len(logs))]
		var q strings.Builder
		q.WriteString("INSERT INTO verification_logs (id, credential_id, organization_id, verdict, verifier_address, " +
			"verifier_user_id, verification_result, verification_method, ip_address, user_agent, verified_at) VALUES ")
		args := make([]any, 0, len(part)*cols)
		for i := range part {
			l := &part[i]
			if err := newID(&l.ID); err != nil {
				return err
			}
			if l.VerifiedAt.IsZero() {
				l.VerifiedAt = time.Now().UTC()
			}
			result := l.ResultJSON
			if result == nil {
				var err error
				if result, err = json.Marshal(l.VerificationResult.Data()); err != nil {
					return err
				}
			}
			if i > 0 {
				q.WriteString(",")
			}
			q.WriteString("(")
			for j := range cols {
				if j > 0 {
					q.WriteString(",")
				}
				if db.dialect == Postgres {
					fmt.Fprintf(&q, "$%d", len(args)+j+1)
				} else {
					q.WriteString("?")
				}
			}
			q.WriteString(")")
			args = append(args, l.ID, l.CredentialID, l.OrganizationID, l.Verdict, l.VerifierAddress, l.VerifierUserID,
				string(result), string(l.VerificationMethod), l.IPAddress, l.UserAgent, l.VerifiedAt.UTC())
		}
		if _, err := db.sql.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
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

// StatusListStamp is what a served status list credential depends on:
// the list's version and whether its organization is revoked.
type StatusListStamp struct {
	Version       int
	IssuerRevoked bool
}

// StatusListStamp reads a list's stamp in one indexed query, without the
// bitstring and signed credential the list row carries; ErrNotFound for an
// unknown list.
func (db *DB) StatusListStamp(ctx context.Context, id string) (StatusListStamp, error) {
	var st StatusListStamp
	if !validUUID(id) {
		return st, ErrNotFound
	}
	q := `SELECT l.version, o.status FROM status_lists l JOIN organizations o ON o.id = l.organization_id WHERE l.id = ?`
	if db.dialect == Postgres {
		q = strings.Replace(q, "?", "$1", 1)
	}
	var status string
	err := db.sql.QueryRowContext(ctx, q, id).Scan(&st.Version, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return st, ErrNotFound
	}
	st.IssuerRevoked = status == string(OrganizationRevoked)
	return st, err
}

// VerificationFilter selects an organization's verification logs. Zero
// fields select everything.
type VerificationFilter struct {
	CredentialID string             // one credential's history
	Method       VerificationMethod // web_interface, qr_code, api, mobile_app
	Verdict      string             // valid, revoked, suspended, expired, invalid, unavailable
	From, To     time.Time          // verified_at >= From, < To
	Before       *AuditCursor       // the next (older) page
	Limit        int                // 1..200, default 50
}

// VerificationEntry is a log row with its credential's public id and
// recipient.
type VerificationEntry struct {
	VerificationLog
	PublicID      *string
	RecipientName *string
}

// VerificationPage is one page of an organization's verification history,
// newest first, with the totals of the whole selection.
type VerificationPage struct {
	Entries []VerificationEntry
	Next    *AuditCursor
	Counts  VerificationCounts
}

// VerificationCounts are totals of a selection by verdict.
type VerificationCounts struct {
	Total, Valid, Revoked, Suspended, Expired, Invalid int64
	Unavailable                                        int64 // could not be checked (the verdict unavailable)
}

func (s *Scoped) verificationQuery(ctx context.Context, f VerificationFilter) *gorm.DB {
	q := s.db.WithContext(ctx).Table("verification_logs").Where(s.owns(&VerificationLog{}))
	if f.CredentialID != "" {
		q = q.Where("verification_logs.credential_id = ?", f.CredentialID)
	}
	if f.Method != "" {
		q = q.Where("verification_logs.verification_method = ?", f.Method)
	}
	if f.Verdict != "" {
		q = q.Where("verification_logs.verdict = ?", f.Verdict)
	}
	if !f.From.IsZero() {
		q = q.Where("verification_logs.verified_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("verification_logs.verified_at < ?", f.To.UTC())
	}
	return q
}

// Verifications is a page of the organization's verification history.
// A malformed credential id selects nothing.
func (s *Scoped) Verifications(ctx context.Context, f VerificationFilter) (VerificationPage, error) {
	var p VerificationPage
	if f.CredentialID != "" && !validUUID(f.CredentialID) {
		return p, nil
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var counts []struct {
		Verdict *string
		N       int64
	}
	if err := s.verificationQuery(ctx, f).Select("verdict, count(*) AS n").Group("verdict").Scan(&counts).Error; err != nil {
		return p, err
	}
	for _, c := range counts {
		p.Counts.Total += c.N
		switch deref(c.Verdict) {
		case "valid":
			p.Counts.Valid += c.N
		case "revoked":
			p.Counts.Revoked += c.N
		case "suspended":
			p.Counts.Suspended += c.N
		case "expired":
			p.Counts.Expired += c.N
		case "unavailable":
			p.Counts.Unavailable += c.N
		default:
			p.Counts.Invalid += c.N
		}
	}
	q := s.verificationQuery(ctx, f).
		Select("verification_logs.*, credentials.public_id AS public_id, credentials.recipient_name AS recipient_name").
		Joins("LEFT JOIN credentials ON credentials.id = verification_logs.credential_id")
	if f.Before != nil {
		q = q.Where("(verification_logs.verified_at, verification_logs.id) < (?, ?)", f.Before.At, f.Before.ID)
	}
	if err := q.Order("verification_logs.verified_at DESC, verification_logs.id DESC").Limit(f.Limit + 1).Scan(&p.Entries).Error; err != nil {
		return p, err
	}
	if len(p.Entries) > f.Limit {
		p.Entries = p.Entries[:f.Limit]
		last := p.Entries[len(p.Entries)-1]
		p.Next = &AuditCursor{At: last.VerifiedAt, ID: last.ID}
	}
	return p, nil
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
