package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/datatypes"
	"gorm.io/gorm"
)

// VerificationMethod is verification_logs.verification_method.
type VerificationMethod string

const (
	VerifiedByAPI          VerificationMethod = "api"
	VerifiedByQRCode       VerificationMethod = "qr_code"
	VerifiedByMobileApp    VerificationMethod = "mobile_app"
	VerifiedByWebInterface VerificationMethod = "web_interface"
)

// Valid reports whether m is one of the values the database accepts.
func (m VerificationMethod) Valid() bool {
	switch m {
	case VerifiedByAPI, VerifiedByQRCode, VerifiedByMobileApp, VerifiedByWebInterface:
		return true
	}
	return false
}

// VerificationCheck is one step of a verification, as shown to the user.
type VerificationCheck struct {
	Name   string `json:"name"` // proof, issuer_key, status, validity, schema
	Passed bool   `json:"passed"`
	Detail string `json:"detail,omitempty"`
}

// VerificationReport is verification_logs.verification_result.
type VerificationReport struct {
	Verified bool                `json:"verified"`
	Checks   []VerificationCheck `json:"checks,omitempty"`
	Errors   []string            `json:"errors,omitempty"`
}

// VerificationLog records one verification of a credential.
type VerificationLog struct {
	ID                 string
	CredentialID       *string // nil for a credential TrustCred did not issue (00013)
	OrganizationID     *string // the issuing organization, when the credential is ours (00013)
	Verdict            *string `validate:"omitnil,oneof=valid revoked suspended expired invalid unavailable"` // (00013, unavailable 00016)
	VerifierAddress    *string `validate:"omitnil,max=500,email|did"`                                         // verifier's email or DID; nil for anonymous public verification
	VerifierUserID     *string
	VerificationResult datatypes.JSONType[VerificationReport]
	// ResultJSON, when set, is VerificationResult already encoded: what
	// InsertVerificationLogs writes instead (a cached page's report is
	// encoded once, not on every view).
	ResultJSON         []byte             `gorm:"-" validate:"-"`
	VerificationMethod VerificationMethod `validate:"required,oneof=api qr_code mobile_app web_interface"`
	IPAddress          *string
	UserAgent          *string
	VerifiedAt         time.Time `gorm:"autoCreateTime"`

	Credential *Credential `gorm:"foreignKey:CredentialID" validate:"-"`
}

func (VerificationLog) TableName() string { return "verification_logs" }

func (l *VerificationLog) BeforeCreate(*gorm.DB) error { return newID(&l.ID) }

// InsertVerificationLogs writes a batch of verification log rows in one
// transaction (platform-wide: public verifications are logged too).
func (db *DB) InsertVerificationLogs(ctx context.Context, logs []VerificationLog) error {
	return db.insertVerificationLogs(ctx, nil, db.sql, logs)
}

// InsertVerificationLogsThen is InsertVerificationLogs in one
// transaction in which then also runs: what must commit with the logs
// (the credential.verified events they lead to) or not at all. then gets
// an organization's handle on that transaction (its InTx and SQLTx join
// it); its error rolls the logs back.
func (db *DB) InsertVerificationLogsThen(ctx context.Context, logs []VerificationLog, then func(in func(orgID string) *Scoped) error) (err error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	// COPY (PostgreSQL) runs on the connection the transaction holds, so
	// it is part of the transaction.
	if err := db.insertVerificationLogs(ctx, conn, tx, logs); err != nil {
		return err
	}
	g := db.gorm.Session(&gorm.Session{NewDB: true, Context: ctx})
	g.Statement.ConnPool = tx
	if err := then(func(orgID string) *Scoped { return &Scoped{db: g, orgID: orgID, dial: db.dialect} }); err != nil {
		return err
	}
	return tx.Commit()
}

// execer runs a statement: the pool or a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// insertVerificationLogs writes logs through ex (SQLite) or with COPY on
// conn (PostgreSQL; nil: a connection of the pool's).
func (db *DB) insertVerificationLogs(ctx context.Context, conn *sql.Conn, ex execer, logs []VerificationLog) error {
	if len(logs) == 0 {
		return nil
	}
	if db.dialect == Postgres {
		return db.copyVerificationLogs(ctx, conn, logs)
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
		if _, err := ex.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// VerificationFilter selects an organization's verification logs. Zero
// fields select everything.
type VerificationFilter struct {
	CredentialID string             // one credential's history
	Method       VerificationMethod // web_interface, qr_code, api, mobile_app
	Verdict      string             // valid, revoked, suspended, expired, invalid, unavailable
	From, To     time.Time          // verified_at >= From, < To
	Before       *Cursor            // the next (older) page
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
	Next    *Cursor
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
	if err := timed(f.Before); err != nil {
		return p, err
	}
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
		p.Next = &Cursor{At: last.VerifiedAt, ID: last.ID}
	}
	return p, nil
}

// ClaimVerifiedEvent claims the credential's credential.verified window
// at at: true when no event was published for it in the window before at
// (verified_event_at unset, or at least window older), at becoming its
// verified_event_at; false when a writer, of this server or another,
// published one within it. Called in the transaction that publishes the
// event (InsertVerificationLogsThen's handles), so the claim commits with
// the event or not at all; two servers claiming one credential at once
// wait on its row and only the first wins, which is what makes the cap hold
// across servers. ErrNotFound for a credential not the organization's.
func (s *Scoped) ClaimVerifiedEvent(ctx context.Context, id string, at time.Time, window time.Duration) (bool, error) {
	if !validUUID(id) {
		return false, ErrNotFound
	}
	at = at.UTC()
	res := s.q(ctx, &Credential{}).Where("id = ? AND (verified_event_at IS NULL OR verified_event_at <= ?)", id, at.Add(-window)).
		UpdateColumn("verified_event_at", at)
	if res.Error != nil {
		return false, res.Error
	}
	if res.RowsAffected == 1 {
		return true, nil
	}
	var n int64
	if err := s.q(ctx, &Credential{}).Where("id = ?", id).Count(&n).Error; err != nil {
		return false, err
	}
	if n == 0 {
		return false, ErrNotFound
	}
	return false, nil
}
