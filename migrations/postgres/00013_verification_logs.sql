-- PostgreSQL dialect. Verification logs for every verification (issue 7).
--
-- - credential_id becomes nullable: credentials TrustCred did not issue
--   (uploaded at /verify or sent to the API) are verified and logged too.
-- - organization_id: the issuing organization when the credential is ours,
--   so that an organization's verification history and counts read one
--   index; verdict: valid, revoked, suspended, expired or invalid, to
--   filter and count without reading the JSON result.
-- - (credential_id, verified_at, id) and (organization_id, verified_at, id)
--   serve the newest-first keyset lists; the first replaces the
--   single-column credential_id index.

-- +goose Up
ALTER TABLE verification_logs ALTER COLUMN credential_id DROP NOT NULL;
ALTER TABLE verification_logs ADD COLUMN organization_id UUID REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE verification_logs ADD COLUMN verdict TEXT CHECK (verdict IN ('valid', 'revoked', 'suspended', 'expired', 'invalid'));
CREATE INDEX idx_verification_logs_credential_verified ON verification_logs (credential_id, verified_at, id);
CREATE INDEX idx_verification_logs_organization_verified ON verification_logs (organization_id, verified_at, id);
DROP INDEX idx_verification_logs_credential_id;

-- +goose Down
DELETE FROM verification_logs WHERE credential_id IS NULL;
CREATE INDEX idx_verification_logs_credential_id ON verification_logs (credential_id);
DROP INDEX idx_verification_logs_organization_verified;
DROP INDEX idx_verification_logs_credential_verified;
ALTER TABLE verification_logs DROP COLUMN verdict;
ALTER TABLE verification_logs DROP COLUMN organization_id;
ALTER TABLE verification_logs ALTER COLUMN credential_id SET NOT NULL;
