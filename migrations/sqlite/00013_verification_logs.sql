-- SQLite dialect. Verification logs for every verification (issue 7).
--
-- - credential_id becomes nullable: credentials TrustCred did not issue
--   (uploaded at /verify or sent to the API) are verified and logged too.
--   SQLite cannot drop a NOT NULL, so the table is rebuilt.
-- - organization_id: the issuing organization when the credential is ours,
--   so that an organization's verification history and counts read one
--   index; verdict: valid, revoked, suspended, expired or invalid, to
--   filter and count without reading the JSON result.
-- - (credential_id, verified_at, id) and (organization_id, verified_at, id)
--   serve the newest-first keyset lists; the first replaces the
--   single-column credential_id index.

-- +goose Up
CREATE TABLE verification_logs_new (
    id                  TEXT PRIMARY KEY NOT NULL,
    credential_id       TEXT REFERENCES credentials (id) ON DELETE CASCADE,
    verifier_address    TEXT,
    verifier_user_id    TEXT REFERENCES users (id) ON DELETE SET NULL,
    verification_result TEXT NOT NULL DEFAULT '{}' CHECK (json_type(verification_result) = 'object'),
    verification_method TEXT NOT NULL CHECK (verification_method IN ('api', 'qr_code', 'mobile_app', 'web_interface')),
    ip_address          TEXT,
    user_agent          TEXT,
    verified_at         DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    organization_id     TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    verdict             TEXT CHECK (verdict IN ('valid', 'revoked', 'suspended', 'expired', 'invalid'))
);
INSERT INTO verification_logs_new (id, credential_id, verifier_address, verifier_user_id, verification_result,
    verification_method, ip_address, user_agent, verified_at)
SELECT id, credential_id, verifier_address, verifier_user_id, verification_result,
    verification_method, ip_address, user_agent, verified_at FROM verification_logs;
DROP TABLE verification_logs;
ALTER TABLE verification_logs_new RENAME TO verification_logs;
CREATE INDEX idx_verification_logs_verifier_address ON verification_logs (verifier_address);
CREATE INDEX idx_verification_logs_verified_at ON verification_logs (verified_at);
CREATE INDEX idx_verification_logs_verifier_user_id ON verification_logs (verifier_user_id);
CREATE INDEX idx_verification_logs_credential_verified ON verification_logs (credential_id, verified_at, id);
CREATE INDEX idx_verification_logs_organization_verified ON verification_logs (organization_id, verified_at, id);

-- +goose Down
CREATE TABLE verification_logs_old (
    id                  TEXT PRIMARY KEY NOT NULL,
    credential_id       TEXT NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
    verifier_address    TEXT,
    verifier_user_id    TEXT REFERENCES users (id) ON DELETE SET NULL,
    verification_result TEXT NOT NULL DEFAULT '{}' CHECK (json_type(verification_result) = 'object'),
    verification_method TEXT NOT NULL CHECK (verification_method IN ('api', 'qr_code', 'mobile_app', 'web_interface')),
    ip_address          TEXT,
    user_agent          TEXT,
    verified_at         DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO verification_logs_old (id, credential_id, verifier_address, verifier_user_id, verification_result,
    verification_method, ip_address, user_agent, verified_at)
SELECT id, credential_id, verifier_address, verifier_user_id, verification_result,
    verification_method, ip_address, user_agent, verified_at FROM verification_logs WHERE credential_id IS NOT NULL;
DROP TABLE verification_logs;
ALTER TABLE verification_logs_old RENAME TO verification_logs;
CREATE INDEX idx_verification_logs_credential_id ON verification_logs (credential_id);
CREATE INDEX idx_verification_logs_verifier_address ON verification_logs (verifier_address);
CREATE INDEX idx_verification_logs_verified_at ON verification_logs (verified_at);
CREATE INDEX idx_verification_logs_verifier_user_id ON verification_logs (verifier_user_id);
