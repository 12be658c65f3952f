package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"gorm.io/gorm"
)

// StatusPurpose is status_lists.purpose, the statusPurpose of a
// BitstringStatusListEntry.
type StatusPurpose string

const (
	PurposeRevocation StatusPurpose = "revocation"
	PurposeSuspension StatusPurpose = "suspension"
)

// Valid reports whether p is one of the values the database accepts.
func (p StatusPurpose) Valid() bool { return p == PurposeRevocation || p == PurposeSuspension }

// StatusListSize is the number of entries of a new status list: W3C
// Bitstring Status List's minimum of 131,072 (16 KiB), which keeps a
// credential's index from identifying it among few others.
const StatusListSize = 131072

// StatusList is one W3C Bitstring Status List of an organization.
type StatusList struct {
	ID                string
	OrganizationID    string
	Purpose           StatusPurpose `validate:"required,oneof=revocation suspension"`
	IssuerDID         string        `gorm:"column:issuer_did"` // the issuer of the list and of the credentials in it
	ListNumber        int
	Size              int    `gorm:"default:131072"`
	Bitstring         []byte // unpacked bits, bit i is bit 7-(i%8) of byte i/8
	NextIndex         int
	Version           int     `gorm:"default:1"` // bumped on every bit change
	Credential        *string // the signed status list credential of CredentialVersion
	CredentialVersion *int
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

func (StatusList) TableName() string { return "status_lists" }

func (l *StatusList) BeforeCreate(*gorm.DB) error { return newID(&l.ID) }

// StatusEntry is a credential's position in one of its organization's
// status lists.
type StatusEntry struct {
	ListID  string
	Purpose StatusPurpose
	Index   int
}

// reserveStatus takes the next n free indexes of the organization's
// status lists for purpose published under issuerDID, starting a new list
// whenever there is none or the newest is full. It runs inside the
// caller's transaction: on PostgreSQL the newest list's row is locked
// until commit, and SQLite's immediate transactions run one at a time, so
// two credentials never get the same index (the unique indexes on
// credentials would refuse it anyway). Two transactions racing to start
// the same new list: one gets gorm.ErrDuplicatedKey, and retries.
func (s *Scoped) reserveStatus(tx *gorm.DB, purpose StatusPurpose, issuerDID string, n int) ([]StatusEntry, error) {
	out := make([]StatusEntry, 0, n)
	for len(out) < n {
		var list StatusList
		err := s.tenant(lockRow(tx, s.dial), &list).Where("purpose = ? AND issuer_did = ?", purpose, issuerDID).
			Order("list_number DESC").First(&list).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, err
		}
		if err != nil || list.NextIndex >= list.Size {
			var last int
			if err := s.tenant(tx, &StatusList{}).Select("COALESCE(MAX(list_number), -1)").
				Where("purpose = ?", purpose).Row().Scan(&last); err != nil {
				return nil, err
			}
			list = StatusList{OrganizationID: s.orgID, Purpose: purpose, IssuerDID: issuerDID, ListNumber: last + 1,
				Size: StatusListSize, Bitstring: make([]byte, StatusListSize/8)}
			if err := tx.Create(&list).Error; err != nil {
				return nil, err
			}
		}
		take := min(n-len(out), list.Size-list.NextIndex)
		if err := s.tenant(tx, &StatusList{}).Where("id = ?", list.ID).Update("next_index", list.NextIndex+take).Error; err != nil {
			return nil, err
		}
		for i := range take {
			out = append(out, StatusEntry{ListID: list.ID, Purpose: purpose, Index: list.NextIndex + i})
		}
	}
	return out, nil
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
	statusGen.Add(1)
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

// statusGen counts the status list changes this process made (in any
// database it opened): a stamp cached before a change is not served after
// it. setStatusBit bumps it when it changes a bit, and the status change's
// transaction again once it has committed, so that a stamp read between
// the two is dropped too.
var statusGen atomic.Uint64

// listStampCache keeps status list stamps for StatusListStampFresh.
type listStampCache struct {
	once sync.Once
	lru  *lru.Cache[string, cachedListStamp]
}

type cachedListStamp struct {
	stamp StatusListStamp
	gen   uint64
	at    time.Time
}

// maxCachedListStamps bounds the stamps kept (about 100 bytes each).
const maxCachedListStamps = 4096

func (c *listStampCache) cache() *lru.Cache[string, cachedListStamp] {
	c.once.Do(func() { c.lru, _ = lru.New[string, cachedListStamp](maxCachedListStamps) })
	return c.lru
}

// StatusListStampFresh is StatusListStamp read at most maxAge ago: every
// verification of one of our credentials reads two lists' stamps, and at
// thousands of verifications a second the same few lists. A change this
// process makes is seen at once; a change another process makes (several
// servers on one database) within maxAge.
func (db *DB) StatusListStampFresh(ctx context.Context, id string, maxAge time.Duration) (StatusListStamp, error) {
	gen := statusGen.Load() // before the read: a change during it drops the entry
	if e, ok := db.listStamps.cache().Get(id); ok && e.gen == gen && time.Since(e.at) < maxAge {
		return e.stamp, nil
	}
	st, err := db.StatusListStamp(ctx, id)
	if err == nil {
		db.listStamps.cache().Add(strings.Clone(id), cachedListStamp{stamp: st, gen: gen, at: time.Now()})
	}
	return st, err
}
