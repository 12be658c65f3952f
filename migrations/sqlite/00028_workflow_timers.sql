-- SQLite dialect. Multi-step approval workflows at run time (issue 17):
-- a pending credential under a credential_issuance workflow has one
-- workflow_instances row (resource_type 'credential') whose current step
-- the request's current_step follows; the periodic approval_timers job
-- reads these times.
--
-- - step_started_at: when the current step began (a new round restarts it).
-- - remind_at: when the step's pending approvers are reminded (half its
--   deadline); set to NULL when the reminder is sent, so it goes once.
-- - escalate_at / escalated_at: when the step escalates (its deadline, with
--   the workflow's escalation on) and when it did (the escalation's
--   approvers may then decide too).
-- - expire_at: the final deadline (the step's deadline plus the
--   workflow's escalation timeout): the request is cancelled.

-- +goose Up
ALTER TABLE workflow_instances ADD COLUMN step_started_at DATETIME;
ALTER TABLE workflow_instances ADD COLUMN remind_at DATETIME;
ALTER TABLE workflow_instances ADD COLUMN escalate_at DATETIME;
ALTER TABLE workflow_instances ADD COLUMN escalated_at DATETIME;
ALTER TABLE workflow_instances ADD COLUMN expire_at DATETIME;
CREATE INDEX idx_workflow_instances_remind_at ON workflow_instances (status, remind_at);
CREATE INDEX idx_workflow_instances_escalate_at ON workflow_instances (status, escalate_at);
CREATE INDEX idx_workflow_instances_expire_at ON workflow_instances (status, expire_at);
CREATE INDEX idx_workflow_instances_resource ON workflow_instances (resource_type, resource_id);

-- +goose Down
DROP INDEX idx_workflow_instances_resource;
DROP INDEX idx_workflow_instances_expire_at;
DROP INDEX idx_workflow_instances_escalate_at;
DROP INDEX idx_workflow_instances_remind_at;
ALTER TABLE workflow_instances DROP COLUMN expire_at;
ALTER TABLE workflow_instances DROP COLUMN escalated_at;
ALTER TABLE workflow_instances DROP COLUMN escalate_at;
ALTER TABLE workflow_instances DROP COLUMN remind_at;
ALTER TABLE workflow_instances DROP COLUMN step_started_at;
