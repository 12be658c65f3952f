-- PostgreSQL dialect. Approval configuration (issue 17): what the
-- organization's admins set on /settings/approvals; the approval runtime
-- (pending credentials, decisions, the inbox) reads it.
--
-- - multisig_requirements.rule_name: what the rule is called on the page
--   and in the inbox ("Registrar's office"); approver_user_ids: people
--   named by id who may approve besides the holders of approver_roles.
--   Several active rules of one schema must all hold.
-- - approval_workflows.schema_id: the schema a credential_issuance
--   workflow applies to (NULL: every schema of the organization without its
--   own); at most one active credential_issuance workflow per organization
--   and schema (or per organization for NULL), by a unique partial index
--   on COALESCE(schema_id, ''). bulk_sample_size: how many rows of a bulk
--   batch a reviewer is shown at random before approving it (0: the
--   reviewer's choice). steps JSON elements gain deadline_hours.
-- - approval_policies: one row per organization: four-eyes on revocation
--   and on suspension, and the step-up asked of an approver (none,
--   password, totp). No row: everything off.
-- - approval_delegations: an approver's delegate for a date range (out of
--   office); ends_at is exclusive.

-- +goose Up
ALTER TABLE multisig_requirements ADD COLUMN rule_name TEXT NOT NULL DEFAULT '';
ALTER TABLE multisig_requirements ADD COLUMN approver_user_ids JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(approver_user_ids) = 'array');
ALTER TABLE approval_workflows ADD COLUMN schema_id UUID REFERENCES credential_schemas (id) ON DELETE CASCADE;
ALTER TABLE approval_workflows ADD COLUMN bulk_sample_size INTEGER NOT NULL DEFAULT 0 CHECK (bulk_sample_size >= 0);
CREATE UNIQUE INDEX uq_approval_workflows_active_issuance ON approval_workflows (organization_id, COALESCE(schema_id::text, ''))
    WHERE active AND workflow_type = 'credential_issuance';
CREATE INDEX idx_approval_workflows_schema_id ON approval_workflows (schema_id);

CREATE TABLE approval_policies (
    id                   UUID PRIMARY KEY,
    organization_id      UUID NOT NULL UNIQUE REFERENCES organizations (id) ON DELETE CASCADE,
    four_eyes_revocation BOOLEAN NOT NULL DEFAULT false,
    four_eyes_suspension BOOLEAN NOT NULL DEFAULT false,
    step_up              TEXT NOT NULL DEFAULT 'none' CHECK (step_up IN ('none', 'password', 'totp')),
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE approval_delegations (
    id              UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    delegate_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    starts_at       TIMESTAMPTZ NOT NULL,
    ends_at         TIMESTAMPTZ NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
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
