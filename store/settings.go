package store

import (
	"context"
	"strconv"

	"gorm.io/gorm"
)

// SetRequireMFA sets whether the organization's members must use a second
// factor ("org.require_mfa_changed", written only when the value changes).
// It reports whether it changed.
func (s *Scoped) SetRequireMFA(ctx context.Context, on bool, actor Actor) (changed bool, err error) {
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := s.tenant(tx, &Organization{}).Where("require_mfa <> ?", on).Update("require_mfa", on)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		changed = true
		actor.OrganizationID = &s.orgID
		summary := "Stopped requiring two-factor authentication for members"
		if on {
			summary = "Required two-factor authentication for all members"
		}
		return audit(tx, actor, "org.require_mfa_changed", "organization", s.orgID, AuditDetails{
			Summary: summary,
			Changes: []FieldChange{{Field: "require_mfa", From: strconv.FormatBool(!on), To: strconv.FormatBool(on)}},
		})
	})
	return changed, err
}
