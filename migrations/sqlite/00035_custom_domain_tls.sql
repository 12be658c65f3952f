-- SQLite dialect. TLS for custom domains (issue 19): the certificate
-- and key an organization uploads for its custom domain.
--
-- - tls_certificate: the PEM chain as uploaded (leaf first), checked on
--   upload: the key matches the leaf, the leaf covers the domain, not expired.
-- - tls_key: the private key's PEM, sealed with internal/secret
--   (context "custom-domain-tls-key"); never stored in clear.
-- - tls_not_after: the leaf's expiry, for the page and the expiry warnings.
-- - tls_warned_days: the smallest warning threshold (30, then 7 days before
--   expiry) the admins were told about for this certificate; NULL until the
--   first warning, reset by a new upload.
-- - issuer_did: new credentials name the organization did:web:<domain>
--   (the DID document at https://<domain>/.well-known/did.json) instead of
--   did:web:<TrustCred host>:orgs:<slug>; issued ones keep their DID.
-- Claiming another domain or removing the domain drops the certificate
-- (the columns are on the domain's row).

-- +goose Up
ALTER TABLE custom_domains ADD COLUMN tls_certificate TEXT;
ALTER TABLE custom_domains ADD COLUMN tls_key BLOB;
ALTER TABLE custom_domains ADD COLUMN tls_not_after DATETIME;
ALTER TABLE custom_domains ADD COLUMN tls_warned_days INTEGER;
ALTER TABLE custom_domains ADD COLUMN issuer_did BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX idx_custom_domains_tls_not_after ON custom_domains (tls_not_after);

-- +goose Down
DROP INDEX idx_custom_domains_tls_not_after;
ALTER TABLE custom_domains DROP COLUMN issuer_did;
ALTER TABLE custom_domains DROP COLUMN tls_warned_days;
ALTER TABLE custom_domains DROP COLUMN tls_not_after;
ALTER TABLE custom_domains DROP COLUMN tls_key;
ALTER TABLE custom_domains DROP COLUMN tls_certificate;
