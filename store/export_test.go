package store

import "gorm.io/gorm"

// Gorm exposes the GORM handle to the store's external tests, which inspect
// tables and insert raw rows; application code goes through store methods.
func Gorm(db *DB) *gorm.DB { return db.gorm }
