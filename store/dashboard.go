package store

import "context"

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

// MemberCounts are an organization's members by status.
type MemberCounts struct {
	Active      int64 // a password set, not deactivated
	Invited     int64 // invited and not joined yet (no password), not deactivated
	Deactivated int64
}

// MemberCounts counts the organization's members by status.
func (s *Scoped) MemberCounts(ctx context.Context) (MemberCounts, error) {
	var mc MemberCounts
	err := s.q(ctx, &User{}).Select(
		"COALESCE(SUM(CASE WHEN deactivated_at IS NULL AND password_hash IS NOT NULL THEN 1 ELSE 0 END), 0) AS active, " +
			"COALESCE(SUM(CASE WHEN deactivated_at IS NULL AND password_hash IS NULL THEN 1 ELSE 0 END), 0) AS invited, " +
			"COALESCE(SUM(CASE WHEN deactivated_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS deactivated").
		Scan(&mc).Error
	return mc, err
}

// Issuer is what an organization's public page shows.
type Issuer struct {
	Organization
	Categories []string // issuer_categories, alphabetical; only for an active organization
}

// PublicIssuer finds the organization with this slug for its public page:
// platform-wide, as the page is public. Unknown and revoked organizations
// are ErrNotFound; pending and suspended ones are returned without their
// categories (the page says they are not active).
func (db *DB) PublicIssuer(ctx context.Context, slug string) (*Issuer, error) {
	g := db.gorm.WithContext(ctx)
	var is Issuer
	if err := g.Where("slug = ? AND status <> ?", slug, OrganizationRevoked).First(&is.Organization).Error; err != nil {
		return nil, notFound(err)
	}
	if is.Status != OrganizationActive {
		return &is, nil
	}
	err := g.Model(&IssuerCategory{}).Where("issuer_id = ?", is.ID).Order("category").Pluck("category", &is.Categories).Error
	return &is, err
}
