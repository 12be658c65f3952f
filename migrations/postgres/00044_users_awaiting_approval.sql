-- A member waiting for the organization's user_registration workflow
-- (issue 17): set when they accepted their invitation while the workflow
-- was active, cleared when the workflow approves them. While it is set the
-- member can sign in but every organization page answers "your membership
-- awaits approval" (auth guard). A rejection deactivates the account.

-- +goose Up
ALTER TABLE users ADD COLUMN awaiting_approval_since TIMESTAMPTZ;

-- +goose Down
ALTER TABLE users DROP COLUMN awaiting_approval_since;
