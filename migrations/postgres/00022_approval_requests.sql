-- PostgreSQL dialect.
-- Approval requests (issue 17, the runtime side): a credential issued
-- under an active multi-signature requirement of its schema is stored as
-- pending (sealed, unsigned, no status list entry) with one approval
-- request; reviewers decide on it in credential_approvals.
--
-- - approval_requests: one per pending credential (UNIQUE credential_id).
--   requester_id: who asked (NULL for an API key or once the user is
--   deleted); the requester never decides on their own request. status:
--   pending → approved (the final approval; a job then signs the
--   credential) | rejected (any rejection ends it) | cancelled. round: the
--   credential's data was edited while pending round-1 times; decisions of
--   earlier rounds no longer count (approvals reset) but stay as history.
--   current_step: the workflow step decided now (1 for a multi-signature
--   requirement). Inbox: (organization_id, status, created_at, id), and
--   with a schema filter (organization_id, status, schema_id, created_at, id).
-- - credential_approvals gains request_id, organization_id (tenant
--   column), round, step, approver_role (the role that made the person
--   eligible when they decided) and acting_for_id (a delegate decided for
--   that person). UNIQUE (request_id, round, step, approver_id): a person
--   decides once per step of a round. Rows from before (no request) keep
--   NULLs.

-- +goose Up
CREATE TABLE approval_requests (
    id              UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    credential_id   UUID NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
    schema_id       UUID NOT NULL REFERENCES credential_schemas (id) ON DELETE CASCADE,
    requester_id    UUID REFERENCES users (id) ON DELETE SET NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
    round           INTEGER NOT NULL DEFAULT 1 CHECK (round >= 1),
    current_step    INTEGER NOT NULL DEFAULT 1 CHECK (current_step >= 1),
    decided_at      TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_approval_requests_credential UNIQUE (credential_id)
);
CREATE INDEX idx_approval_requests_inbox ON approval_requests (organization_id, status, created_at, id);
CREATE INDEX idx_approval_requests_schema ON approval_requests (organization_id, status, schema_id, created_at, id);
CREATE INDEX idx_approval_requests_requester_id ON approval_requests (requester_id);
ALTER TABLE credential_approvals ADD COLUMN request_id UUID REFERENCES approval_requests (id) ON DELETE CASCADE;
ALTER TABLE credential_approvals ADD COLUMN organization_id UUID REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE credential_approvals ADD COLUMN round INTEGER NOT NULL DEFAULT 1 CHECK (round >= 1);
ALTER TABLE credential_approvals ADD COLUMN step INTEGER NOT NULL DEFAULT 1 CHECK (step >= 1);
ALTER TABLE credential_approvals ADD COLUMN approver_role TEXT;
ALTER TABLE credential_approvals ADD COLUMN acting_for_id UUID REFERENCES users (id) ON DELETE SET NULL;
CREATE UNIQUE INDEX uq_credential_approvals_decision ON credential_approvals (request_id, round, step, approver_id);
CREATE INDEX idx_credential_approvals_organization_id ON credential_approvals (organization_id);

-- +goose Down
DROP INDEX idx_credential_approvals_organization_id;
DROP INDEX uq_credential_approvals_decision;
ALTER TABLE credential_approvals DROP COLUMN acting_for_id;
ALTER TABLE credential_approvals DROP COLUMN approver_role;
ALTER TABLE credential_approvals DROP COLUMN step;
ALTER TABLE credential_approvals DROP COLUMN round;
ALTER TABLE credential_approvals DROP COLUMN organization_id;
ALTER TABLE credential_approvals DROP COLUMN request_id;
DROP TABLE approval_requests;
