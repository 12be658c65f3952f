-- Accounts: single-use tokens (invitations, password resets, email
-- verification), MFA recovery codes, member deactivation, TOTP replay
-- protection and the organization-wide MFA requirement.

-- +goose Up
ALTER TABLE users ADD COLUMN deactivated_at TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN mfa_last_step BIGINT NOT NULL DEFAULT 0 CHECK (mfa_last_step >= 0);
ALTER TABLE organizations ADD COLUMN require_mfa BOOLEAN NOT NULL DEFAULT false;

CREATE TABLE user_tokens (
    id              UUID PRIMARY KEY,
    user_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id UUID REFERENCES organizations (id) ON DELETE CASCADE,
    purpose         TEXT NOT NULL CHECK (purpose IN ('invitation', 'password_reset', 'email_verification')),
    token_hash      TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    created_by      UUID REFERENCES users (id) ON DELETE SET NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    used_at         TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_user_tokens_user_id ON user_tokens (user_id);
CREATE INDEX idx_user_tokens_organization_id ON user_tokens (organization_id);
CREATE INDEX idx_user_tokens_expires_at ON user_tokens (expires_at);
CREATE INDEX idx_user_tokens_created_by ON user_tokens (created_by);

CREATE TABLE mfa_recovery_codes (
    id         UUID PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL CHECK (length(code_hash) = 64),
    used_at    TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_mfa_recovery_codes_user_code UNIQUE (user_id, code_hash)
);
CREATE INDEX idx_mfa_recovery_codes_user_id ON mfa_recovery_codes (user_id);

-- +goose Down
DROP TABLE mfa_recovery_codes;
DROP TABLE user_tokens;
ALTER TABLE organizations DROP COLUMN require_mfa;
ALTER TABLE users DROP COLUMN mfa_last_step;
ALTER TABLE users DROP COLUMN deactivated_at;
