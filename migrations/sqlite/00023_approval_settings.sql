-- SQLite dialect of 00023 (see the PostgreSQL file for what each column
-- means).

-- +goose Up
ALTER TABLE multisig_requirements ADD COLUMN rule_name TEXT NOT NULL DEFAULT '';
ALTER TABLE multisig_requirements ADD COLUMN approver_user_ids TEXT NOT NULL DEFAULT '[]' CHECK (json_type(approver_user_ids) = 'array');
-- No REFERENCES here: SQLite cannot drop a column that has one (Down); the
-- store checks that the schema is the organization's.
ALTER TABLE approval_workflows ADD COLUMN schema_id TEXT;
ALTER TABLE approval_workflows ADD COLUMN bulk_sample_size INTEGER NOT NULL DEFAULT 0 CHECK (bulk_sample_size >= 0);
CREATE UNIQUE INDEX uq_approval_workflows_active_issuance ON approval_workflows (organization_id, COALESCE(schema_id, ''))
    WHERE active AND workflow_type = 'credential_issuance';
CREATE INDEX idx_approval_workflows_schema_id ON approval_workflows (schema_id);

CREATE TABLE approval_policies (
    id                   TEXT PRIMARY KEY NOT NULL,
    organization_id      TEXT NOT NULL UNIQUE REFERENCES organizations (id) ON DELETE CASCADE,
    four_eyes_revocation BOOLEAN NOT NULL DEFAULT FALSE,
    four_eyes_suspension BOOLEAN NOT NULL DEFAULT FALSE,
    step_up              TEXT NOT NULL DEFAULT 'none' CHECK (step_up IN ('none', 'password', 'totp')),
    created_at           DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at           DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE approval_delegations (
    id              TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    delegate_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    starts_at       DATETIME NOT NULL,
    ends_at         DATETIME NOT NULL,
    created_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CHECK (ends_at > starts_at),
    CHECK (delegate_id <> user_id)
);
CREATE INDEX idx_approval_delegations_user_id ON approval_delegations (user_id, starts_at);
CREATE INDEX idx_approval_delegations_organization_id ON approval_delegations (organization_id);
CREATE INDEX idx_approval_delegations_delegate_id ON approval_delegations (delegate_id);

-- +goose Down
DROP TABLE approval_delegations;
DROP TABLE approval_policies;
DROP INDEX idx_approval_workflows_schema_id;
DROP INDEX uq_approval_workflows_active_issuance;
ALTER TABLE approval_workflows DROP COLUMN bulk_sample_size;
ALTER TABLE approval_workflows DROP COLUMN schema_id;
ALTER TABLE multisig_requirements DROP COLUMN approver_user_ids;
ALTER TABLE multisig_requirements DROP COLUMN rule_name;
