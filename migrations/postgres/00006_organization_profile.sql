-- Organization profile and lifecycle (issue 5): the public profile an
-- administrator edits (description, website, contact email, logo blob key),
-- why and when the status last changed (suspension, revocation), and
-- organization names unique regardless of case (registration refuses a
-- duplicate name, and concurrent registrations cannot both take one).

-- +goose Up
ALTER TABLE organizations ADD COLUMN description TEXT;
ALTER TABLE organizations ADD COLUMN website TEXT CHECK (website ~ '^https?://.+');
ALTER TABLE organizations ADD COLUMN contact_email TEXT CHECK (contact_email LIKE '_%@_%');
ALTER TABLE organizations ADD COLUMN logo_key TEXT CHECK (logo_key <> '');
ALTER TABLE organizations ADD COLUMN status_reason TEXT;
ALTER TABLE organizations ADD COLUMN status_changed_at TIMESTAMPTZ;
CREATE UNIQUE INDEX idx_organizations_lower_name ON organizations (lower(name));

-- +goose Down
DROP INDEX idx_organizations_lower_name;
ALTER TABLE organizations DROP COLUMN status_changed_at;
ALTER TABLE organizations DROP COLUMN status_reason;
ALTER TABLE organizations DROP COLUMN logo_key;
ALTER TABLE organizations DROP COLUMN contact_email;
ALTER TABLE organizations DROP COLUMN website;
ALTER TABLE organizations DROP COLUMN description;
