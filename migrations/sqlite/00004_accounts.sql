-- SQLite dialect. Accounts: single-use tokens (invitations, password resets,
-- email verification), MFA recovery codes, member deactivation, TOTP replay
-- protection and the organization-wide MFA requirement.

-- +goose Up
ALTER TABLE users ADD COLUMN deactivated_at DATETIME;
ALTER TABLE users ADD COLUMN mfa_last_step INTEGER NOT NULL DEFAULT 0 CHECK (mfa_last_step >= 0);
ALTER TABLE organizations ADD COLUMN require_mfa BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE user_tokens (
    id              TEXT PRIMARY KEY NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    purpose         TEXT NOT NULL CHECK (purpose IN ('invitation', 'password_reset', 'email_verification')),
    token_hash      TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    created_by      TEXT REFERENCES users (id) ON DELETE SET NULL,
    expires_at      DATETIME NOT NULL,
    used_at         DATETIME,
    created_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_user_tokens_user_id ON user_tokens (user_id);
CREATE INDEX idx_user_tokens_organization_id ON user_tokens (organization_id);
CREATE INDEX idx_user_tokens_expires_at ON user_tokens (expires_at);
CREATE INDEX idx_user_tokens_created_by ON user_tokens (created_by);

CREATE TABLE mfa_recovery_codes (
    id         TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL CHECK (length(code_hash) = 64),
    used_at    DATETIME,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_mfa_recovery_codes_user_code UNIQUE (user_id, code_hash)
);
CREATE INDEX idx_mfa_recovery_codes_user_id ON mfa_recovery_codes (user_id);

-- +goose Down
DROP TABLE mfa_recovery_codes;
DROP TABLE user_tokens;
ALTER TABLE organizations DROP COLUMN require_mfa;
ALTER TABLE users DROP COLUMN mfa_last_step;
ALTER TABLE users DROP COLUMN deactivated_at;
