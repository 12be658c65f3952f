-- PostgreSQL dialect. Four-eyes on revocation and suspension (issue 17):
-- when the organization's approval policy asks for it
-- (approval_policies.four_eyes_revocation / four_eyes_suspension), a
-- revoke or suspend request waits here until another person (an admin or
-- reviewer, never the requester) approves it; only then does the
-- credential's status change.
--
-- - action: revoke or suspend (unsuspending never needs four eyes).
-- - status: pending until decided; approved (the change was made in the
--   same transaction) or rejected (decision_note says why); cancelled is
--   reserved for a withdrawn request.
-- - One pending request per credential (partial unique index).

-- +goose Up
CREATE TABLE status_change_requests (
    id              UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    credential_id   UUID NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
    action          TEXT NOT NULL CHECK (action IN ('revoke', 'suspend')),
    reason          TEXT NOT NULL DEFAULT '',
    via             TEXT NOT NULL DEFAULT 'web' CHECK (via IN ('web', 'api', 'system')),
    requester_id    UUID REFERENCES users (id) ON DELETE SET NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
    decider_id      UUID REFERENCES users (id) ON DELETE SET NULL,
    decision_note   TEXT,
    decided_at      TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX idx_status_change_requests_pending ON status_change_requests (credential_id) WHERE status = 'pending';
CREATE INDEX idx_status_change_requests_inbox ON status_change_requests (organization_id, status, created_at, id);

-- +goose Down
DROP TABLE status_change_requests;
