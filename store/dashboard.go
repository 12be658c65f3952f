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
