-- SQLite dialect. A verification that could not be completed is logged with
-- the verdict 'unavailable': see the PostgreSQL migration of the same
-- version. SQLite cannot change a CHECK constraint, so the table is rebuilt
-- as 00013 left it, with the wider CHECK.

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
    verdict             TEXT CHECK (verdict IN ('valid', 'revoked', 'suspended', 'expired', 'invalid', 'unavailable'))
);
INSERT INTO verification_logs_new SELECT id, credential_id, verifier_address, verifier_user_id, verification_result,
    verification_method, ip_address, user_agent, verified_at, organization_id, verdict FROM verification_logs;
DROP TABLE verification_logs;
ALTER TABLE verification_logs_new RENAME TO verification_logs;
CREATE INDEX idx_verification_logs_verifier_address ON verification_logs (verifier_address);
CREATE INDEX idx_verification_logs_verified_at ON verification_logs (verified_at);
CREATE INDEX idx_verification_logs_verifier_user_id ON verification_logs (verifier_user_id);
CREATE INDEX idx_verification_logs_credential_verified ON verification_logs (credential_id, verified_at, id);
CREATE INDEX idx_verification_logs_organization_verified ON verification_logs (organization_id, verified_at, id);

-- +goose Down
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
INSERT INTO verification_logs_new SELECT id, credential_id, verifier_address, verifier_user_id, verification_result,
    verification_method, ip_address, user_agent, verified_at, organization_id,
    CASE WHEN verdict = 'unavailable' THEN NULL ELSE verdict END FROM verification_logs;
DROP TABLE verification_logs;
ALTER TABLE verification_logs_new RENAME TO verification_logs;
CREATE INDEX idx_verification_logs_verifier_address ON verification_logs (verifier_address);
CREATE INDEX idx_verification_logs_verified_at ON verification_logs (verified_at);
CREATE INDEX idx_verification_logs_verifier_user_id ON verification_logs (verifier_user_id);
CREATE INDEX idx_verification_logs_credential_verified ON verification_logs (credential_id, verified_at, id);
CREATE INDEX idx_verification_logs_organization_verified ON verification_logs (organization_id, verified_at, id);
