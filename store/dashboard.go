package store

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"
)

// PlatformCounts are the platform operator's dashboard figures.
type PlatformCounts struct {
	Organizations map[OrganizationStatus]int64 // every status is present
	Users         int64
}

// PlatformCounts counts every organization by status and every user:
// platform-wide, for platform operators only.
func (db *DB) PlatformCounts(ctx context.Context) (PlatformCounts, error) {
	pc := PlatformCounts{Organizations: map[OrganizationStatus]int64{
		OrganizationPending: 0, OrganizationActive: 0, OrganizationSuspended: 0, OrganizationRevoked: 0,
	}}
	var rows []struct {
		Status OrganizationStatus
		N      int64
	}
	g := db.gorm.WithContext(ctx)
	if err := g.Model(&Organization{}).Select("status, count(*) AS n").Group("status").Scan(&rows).Error; err != nil {
		return pc, err
	}
	for _, r := range rows {
		pc.Organizations[r.Status] = r.N
	}
	err := g.Model(&User{}).Count(&pc.Users).Error
	return pc, err
}

// PendingRegistration is an organization awaiting approval, with the email
// of the administrator who registered it.
type PendingRegistration struct {
	Organization
	AdminEmail         string // "" if the organization has no administrator
	AdminEmailVerified bool
}

// LatestPendingRegistrations lists the newest pending organizations, at
// most limit: platform-wide, for platform operators only.
func (db *DB) LatestPendingRegistrations(ctx context.Context, limit int) ([]PendingRegistration, error) {
	g := db.gorm.WithContext(ctx)
	var orgs []Organization
	if err := g.Where("status = ?", OrganizationPending).Order("created_at DESC, id DESC").Limit(limit).Find(&orgs).Error; err != nil {
		return nil, err
	}
	out := make([]PendingRegistration, len(orgs))
	ids := make([]string, len(orgs))
	for i, o := range orgs {
		out[i].Organization, ids[i] = o, o.ID
	}
	if len(ids) == 0 {
		return out, nil
	}
	var admins []User
	if err := g.Where("organization_id IN ? AND role = ?", ids, RoleAdmin).Order("created_at, id").Find(&admins).Error; err != nil {
		return nil, err
	}
	for i := range out {
		for _, a := range admins {
			if *a.OrganizationID == out[i].ID {
				out[i].AdminEmail, out[i].AdminEmailVerified = a.Email, a.EmailVerified
				break
			}
		}
	}
	return out, nil
}

// Month is the calendar month (UTC) that holds now, and the stretch of the
// month before it that is as long as this month so far: a trend compares
// like with like (the 1st–10th of this month with the 1st–10th of the
// last), not a few days with a whole month.
type Month struct {
	Start     time.Time // the 1st of this month, 00:00 UTC
	PrevStart time.Time // the 1st of last month
	PrevSame  time.Time // last month at the same point (at most Start)
}

// MonthOf is the Month holding now.
func MonthOf(now time.Time) Month {
	now = now.UTC()
	m := Month{Start: time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)}
	m.PrevStart = m.Start.AddDate(0, -1, 0)
	m.PrevSame = m.PrevStart.Add(now.Sub(m.Start))
	if m.PrevSame.After(m.Start) {
		m.PrevSame = m.Start
	}
	return m
}

// OrgDashboard is an organization's dashboard: this month's figures and the
// same stretch of last month, the bulk issuance still to finish, the latest
// verifications of its credentials, and how far it has got in setting up.
type OrgDashboard struct {
	Issued, IssuedBefore     int64 // credentials issued this month so far; last month by the same point
	Verified, VerifiedBefore int64 // verifications of its credentials, likewise
	PendingBatches           []IssuanceBatch
	PendingBatchCount        int64 // batches validated (waiting to be issued), queued or running
	RecentVerifications      []VerificationEntry
	Setup                    Setup
}

// Setup is what a new organization has done so far, for its getting-started
// checklist.
type Setup struct {
	Profile     bool  // a description and a logo
	Schemas     int64 // credential schemas
	Templates   int64 // credential templates
	Credentials int64 // credentials ever issued (any status but draft)
	Members     int64 // members, invited ones included, not deactivated
}

// Dashboard sizes: the pending batches and verifications listed.
const dashboardRecent = 5

// Dashboard reads the organization's dashboard at now.
func (s *Scoped) Dashboard(ctx context.Context, now time.Time) (OrgDashboard, error) {
	var d OrgDashboard
	m := MonthOf(now)
	end := now.UTC()
	issued := func(from, to time.Time, n *int64) error {
		return s.q(ctx, &Credential{}).Where("issued_at >= ? AND issued_at < ?", from, to).Count(n).Error
	}
	verified := func(from, to time.Time, n *int64) error {
		return s.db.WithContext(ctx).Table("verification_logs").Where(s.owns(&VerificationLog{})).
			Where("verified_at >= ? AND verified_at < ?", from, to).Count(n).Error
	}
	for _, step := range []func() error{
		func() error { return issued(m.Start, end, &d.Issued) },
		func() error { return issued(m.PrevStart, m.PrevSame, &d.IssuedBefore) },
		func() error { return verified(m.Start, end, &d.Verified) },
		func() error { return verified(m.PrevStart, m.PrevSame, &d.VerifiedBefore) },
	} {
		if err := step(); err != nil {
			return d, err
		}
	}
	pending := []BatchStatus{BatchValidated, BatchQueued, BatchRunning}
	if err := s.q(ctx, &IssuanceBatch{}).Where("status IN ?", pending).Count(&d.PendingBatchCount).Error; err != nil {
		return d, err
	}
	if d.PendingBatchCount > 0 {
		if err := s.q(ctx, &IssuanceBatch{}).Preload("Template").Where("status IN ?", pending).
			Order("created_at DESC, id DESC").Limit(dashboardRecent).Find(&d.PendingBatches).Error; err != nil {
			return d, err
		}
	}
	if err := s.db.WithContext(ctx).Table("verification_logs").Where(s.owns(&VerificationLog{})).
		Select("verification_logs.*, credentials.public_id AS public_id, credentials.recipient_name AS recipient_name").
		Joins("LEFT JOIN credentials ON credentials.id = verification_logs.credential_id").
		Order("verification_logs.verified_at DESC, verification_logs.id DESC").Limit(dashboardRecent).
		Scan(&d.RecentVerifications).Error; err != nil {
		return d, err
	}
	org, err := s.Organization(ctx)
	if err != nil {
		return d, err
	}
	d.Setup.Profile = deref(org.Description) != "" && org.LogoKey != nil
	for _, c := range []struct {
		q *gorm.DB
		n *int64
	}{
		{s.q(ctx, &CredentialSchema{}), &d.Setup.Schemas},
		{s.q(ctx, &CredentialTemplate{}), &d.Setup.Templates},
		{s.q(ctx, &Credential{}).Where("status <> ?", CredentialDraft), &d.Setup.Credentials},
		{s.q(ctx, &User{}).Where("deactivated_at IS NULL"), &d.Setup.Members},
	} {
		if err := c.q.Count(c.n).Error; err != nil {
			return d, err
		}
	}
	return d, nil
}

// Received is a credential issued to the account's holder, as their
// dashboard lists it.
type Received struct {
	PublicID     string
	Status       CredentialStatus
	IssuedAt     *time.Time
	ExpiresAt    *time.Time
	TemplateName *string
	IssuerName   string
}

// ReceivedCredentials lists the newest credentials issued to the account's
// holder, by any organization, at most limit: those linked to the account,
// and those addressed to its email address once the address is confirmed
// (an unconfirmed address proves nothing about who holds it). Drafts,
// pending and rejected ones were never issued and are left out.
func (a *Account) ReceivedCredentials(ctx context.Context, limit int) ([]Received, error) {
	u, err := a.User(ctx)
	if err != nil {
		return nil, err
	}
	q := a.db.WithContext(ctx).Table("credentials").
		Select("credentials.public_id, credentials.status, credentials.issued_at, credentials.expires_at, "+
			"credential_templates.name AS template_name, organizations.name AS issuer_name").
		Joins("JOIN organizations ON organizations.id = credentials.issuer_id").
		Joins("LEFT JOIN credential_templates ON credential_templates.id = credentials.template_id").
		Where("credentials.status NOT IN ?", []CredentialStatus{CredentialDraft, CredentialPending, CredentialRejected})
	if u.EmailVerified {
		addrs := []string{u.Email}
		if l := strings.ToLower(u.Email); l != u.Email {
			addrs = append(addrs, l)
		}
		q = q.Where("(credentials.recipient_user_id = ? OR credentials.recipient_address IN ?)", a.userID, addrs)
	} else {
		q = q.Where("credentials.recipient_user_id = ?", a.userID)
	}
	var out []Received
	err = q.Order("credentials.issued_at DESC, credentials.id DESC").Limit(limit).Scan(&out).Error
	return out, err
}

// MyVerification is one verification the account's holder made while
// signed in.
type MyVerification struct {
	VerifiedAt time.Time
	Verdict    *string
	PublicID   *string // nil for a credential TrustCred did not issue
	IssuerName *string
}

// RecentVerifications lists the newest verifications the account's holder
// made while signed in (the verify page, a credential's public page), at
// most limit.
func (a *Account) RecentVerifications(ctx context.Context, limit int) ([]MyVerification, error) {
	var out []MyVerification
	err := a.db.WithContext(ctx).Table("verification_logs").
		Select("verification_logs.verified_at, verification_logs.verdict, credentials.public_id, organizations.name AS issuer_name").
		Joins("LEFT JOIN credentials ON credentials.id = verification_logs.credential_id").
		Joins("LEFT JOIN organizations ON organizations.id = verification_logs.organization_id").
		Where("verification_logs.verifier_user_id = ?", a.userID).
		Order("verification_logs.verified_at DESC, verification_logs.id DESC").Limit(limit).Scan(&out).Error
	return out, err
}
