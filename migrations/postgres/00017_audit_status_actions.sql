-- Audit log entries of suspensions were written as "credential.suspendd" and
-- "credential.unsuspendd" (the action's name with a "d" appended): named as
-- the code names them now, so that filters and readers find them.

-- +goose Up
UPDATE audit_logs SET action = 'credential.suspended' WHERE action = 'credential.suspendd';
UPDATE audit_logs SET action = 'credential.unsuspended' WHERE action = 'credential.unsuspendd';

-- +goose Down
-- The misspelling is not restored.
SELECT 1;
