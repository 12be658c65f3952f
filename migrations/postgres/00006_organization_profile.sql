-- Organization profile and lifecycle details: description, website, contact email, logo (a blob key), and why and when the status last changed.

-- +goose Up
ALTER TABLE organizations ADD COLUMN description TEXT;
ALTER TABLE organizations ADD COLUMN website TEXT;
ALTER TABLE organizations ADD COLUMN contact_email TEXT;
ALTER TABLE organizations ADD COLUMN logo_key TEXT;
ALTER TABLE organizations ADD COLUMN status_reason TEXT;
ALTER TABLE organizations ADD COLUMN status_changed_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE organizations DROP COLUMN status_changed_at;
ALTER TABLE organizations DROP COLUMN status_reason;
ALTER TABLE organizations DROP COLUMN logo_key;
ALTER TABLE organizations DROP COLUMN contact_email;
ALTER TABLE organizations DROP COLUMN website;
ALTER TABLE organizations DROP COLUMN description;
