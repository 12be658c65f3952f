package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// ReserveStatusEntries takes n consecutive free entries of the
// organization's status lists for purpose under issuerDID, starting new
// lists as needed, in one transaction. For seeding many credentials at
// once (IssueMany); single issuance allocates inside its own transaction.
func (s *Scoped) ReserveStatusEntries(ctx context.Context, purpose StatusPurpose, issuerDID string, n int) ([]StatusEntry, error) {
	var out []StatusEntry
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		out, err = s.reserveStatus(tx, purpose, issuerDID, n)
		return err
	})
	return out, err
}

// InsertIssuedCredentials stores credentials signed with entries from
// ReserveStatusEntries, in batches of 1000 (one transaction each, with
// their first status change), and one audit entry for the lot.
// ErrNotFound if one references another organization's schema, template,
// status list or signing key.
func (s *Scoped) InsertIssuedCredentials(ctx context.Context, creds []*Credential, actor Actor) error {
	const batch = 1000
	for start := 0; start < len(creds); start += batch {
		part := creds[start:min(start+batch, len(creds))]
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			changes := make([]CredentialStatusChange, len(part))
			for i, c := range part {
				c.IssuerID, c.Status = s.orgID, CredentialActive
				if err := newID(&c.ID); err != nil {
					return err
				}
				changes[i] = CredentialStatusChange{CredentialID: c.ID, OrganizationID: s.orgID, FromStatus: CredentialDraft,
					ToStatus: CredentialActive, ActorUserID: actor.UserID, Via: ViaSystem}
			}
			if err := s.ownRefs(tx, part); err != nil {
				return err
			}
			if err := tx.CreateInBatches(part, 250).Error; err != nil {
				return err
			}
			return tx.CreateInBatches(changes, 250).Error
		})
		if err != nil {
			return err
		}
	}
	actor.OrganizationID = &s.orgID
	return audit(s.db.WithContext(ctx), actor, "credential.issued_many", "organization", s.orgID, AuditDetails{
		Summary: fmt.Sprintf("Issued %d credentials at once", len(creds)),
	})
}
