-- SQLite dialect. Approval workflows of the other kinds at run time
-- (issue 17): schema_creation (and later user_registration) workflows
-- run the same rules as credential issuance, on their own requests.
--
-- - credential_schemas.approval_status: approved (usable, every schema
--   before this migration), pending (created while the organization's
--   schema_creation workflow was active: stored inactive, usable for no
--   template or issuance until the workflow approves it) or rejected.
-- - resource_approval_requests: one request per resource waiting
--   (resource_type schema or user, resource_id its id; no foreign key as it
--   names two tables; a partial unique index keeps one pending request per
--   resource). instance_id: the workflow_instances row whose steps it
--   walks. requester_id never decides. status, round and current_step as
--   approval_requests; decision_note: the rejection's note. Inbox:
--   (organization_id, status, created_at, id).
-- - resource_approval_decisions: one decision per person per round
--   (UNIQUE request_id, round, approver_id: the race guard besides the
--   request's row lock), with the step, the role that made them eligible
--   and the absent approver a delegate decided for.

-- +goose Up
ALTER TABLE credential_schemas ADD COLUMN approval_status TEXT NOT NULL DEFAULT 'approved' CHECK (approval_status IN ('approved', 'pending', 'rejected'));
CREATE TABLE resource_approval_requests (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    resource_type   TEXT NOT NULL CHECK (resource_type IN ('schema', 'user')),
    resource_id     TEXT NOT NULL,
    instance_id     TEXT REFERENCES workflow_instances (id) ON DELETE SET NULL,
    requester_id    TEXT REFERENCES users (id) ON DELETE SET NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
    round           INTEGER NOT NULL DEFAULT 1 CHECK (round >= 1),
    current_step    INTEGER NOT NULL DEFAULT 1 CHECK (current_step >= 1),
    decision_note   TEXT,
    decided_at      DATETIME,
    created_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX idx_resource_approval_requests_pending ON resource_approval_requests (resource_type, resource_id) WHERE status = 'pending';
CREATE INDEX idx_resource_approval_requests_inbox ON resource_approval_requests (organization_id, status, created_at, id);
CREATE INDEX idx_resource_approval_requests_instance_id ON resource_approval_requests (instance_id);
CREATE INDEX idx_resource_approval_requests_requester_id ON resource_approval_requests (requester_id);
CREATE TABLE resource_approval_decisions (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    request_id      TEXT NOT NULL REFERENCES resource_approval_requests (id) ON DELETE CASCADE,
    approver_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    acting_for_id   TEXT REFERENCES users (id) ON DELETE SET NULL,
    decision        TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
    note            TEXT,
    round           INTEGER NOT NULL DEFAULT 1 CHECK (round >= 1),
    step            INTEGER NOT NULL DEFAULT 1 CHECK (step >= 1),
    approver_role   TEXT NOT NULL,
    decided_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    created_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_resource_approval_decisions_person UNIQUE (request_id, round, approver_id)
);
CREATE INDEX idx_resource_approval_decisions_organization_id ON resource_approval_decisions (organization_id);
CREATE INDEX idx_resource_approval_decisions_approver_id ON resource_approval_decisions (approver_id);
CREATE INDEX idx_resource_approval_decisions_acting_for_id ON resource_approval_decisions (acting_for_id);

-- +goose Down
DROP TABLE resource_approval_decisions;
DROP TABLE resource_approval_requests;
ALTER TABLE credential_schemas DROP COLUMN approval_status;
