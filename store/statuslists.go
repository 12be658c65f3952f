package store

import (
	"context"
	"errors"

	"gorm.io/gorm"
)

// StatusEntry is a credential's position in one of its organization's
// status lists.
type StatusEntry struct {
	ListID  string
	Purpose StatusPurpose
	Index   int
}

// ErrStatusListFull is never returned to callers: a full list makes the
// next allocation start a new one.
var errStatusListFull = errors.New("store: status list full")

// allocateStatus takes the next free index of the organization's newest
// status list for purpose published under issuerDID, starting a new list
// when there is none or it is full. It runs inside the issuing
// transaction: on PostgreSQL the list row is locked until commit, and
// SQLite's immediate transactions run one at a time, so two credentials
// never get the same index (the unique indexes on credentials would refuse
// it anyway).
func (s *Scoped) allocateStatus(tx *gorm.DB, purpose StatusPurpose, issuerDID string) (StatusEntry, error) {
	var list StatusList
	err := lockRow(tx, s.dial).Where("organization_id = ? AND purpose = ? AND issuer_did = ?", s.orgID, purpose, issuerDID).
		Order("list_number DESC").First(&list).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return StatusEntry{}, err
	}
	if err != nil || list.NextIndex >= list.Size {
		var last int
		row := tx.Model(&StatusList{}).Select("COALESCE(MAX(list_number), -1)").
			Where("organization_id = ? AND purpose = ?", s.orgID, purpose).Row()
		if err := row.Scan(&last); err != nil {
			return StatusEntry{}, err
		}
		list = StatusList{OrganizationID: s.orgID, Purpose: purpose, IssuerDID: issuerDID, ListNumber: last + 1,
			Size: StatusListSize, Bitstring: make([]byte, StatusListSize/8)}
		if err := tx.Create(&list).Error; err != nil {
			return StatusEntry{}, err
		}
	}
	res := tx.Model(&StatusList{}).Where("id = ? AND next_index = ?", list.ID, list.NextIndex).
		Update("next_index", list.NextIndex+1)
	if res.Error != nil {
		return StatusEntry{}, res.Error
	}
	if res.RowsAffected != 1 {
		return StatusEntry{}, errStatusListFull // cannot happen under the lock; the transaction is rolled back
	}
	return StatusEntry{ListID: list.ID, Purpose: purpose, Index: list.NextIndex}, nil
}

// setStatusBit sets or clears a credential's bit in a list and bumps the
// list's version, so that its signed credential is regenerated.
func setStatusBit(tx *gorm.DB, d Dialect, listID string, index int, value bool) error {
	var list StatusList
	if err := lockRow(tx, d).First(&list, "id = ?", listID).Error; err != nil {
		return err
	}
	if index < 0 || index >= list.Size || len(list.Bitstring)*8 < list.Size {
		return errors.New("store: status list index out of range")
	}
	mask := byte(0x80) >> (index % 8)
	old := list.Bitstring[index/8]&mask != 0
	if old == value {
		return nil
	}
	if value {
		list.Bitstring[index/8] |= mask
	} else {
		list.Bitstring[index/8] &^= mask
	}
	return tx.Model(&StatusList{}).Where("id = ?", listID).
		Updates(map[string]any{"bitstring": list.Bitstring, "version": list.Version + 1}).Error
}

// StatusList is a status list by id with its organization (platform-wide:
// status lists are public).
func (db *DB) StatusList(ctx context.Context, id string) (*StatusList, *Organization, error) {
	if !validUUID(id) {
		return nil, nil, ErrNotFound
	}
	var l StatusList
	if err := db.gorm.WithContext(ctx).First(&l, "id = ?", id).Error; err != nil {
		return nil, nil, notFound(err)
	}
	var o Organization
	if err := db.gorm.WithContext(ctx).First(&o, "id = ?", l.OrganizationID).Error; err != nil {
		return nil, nil, notFound(err)
	}
	return &l, &o, nil
}

// CacheStatusListCredential keeps the signed credential of a list's
// version; it is dropped if the list changed meanwhile.
func (db *DB) CacheStatusListCredential(ctx context.Context, id string, version int, credential string) error {
	return db.gorm.WithContext(ctx).Model(&StatusList{}).Where("id = ? AND version = ?", id, version).
		Updates(map[string]any{"credential": credential, "credential_version": version}).Error
}
