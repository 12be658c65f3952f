-- PostgreSQL dialect. Issuing signed credentials (issue 6).
--
-- - signing_keys: each organization's Ed25519 keys. key_id is the fragment of
--   the verification method in the organization's DID document
--   (did:web:…#key_id); the private key is sealed with the master keyring
--   (internal/secret). At most one key per organization is active; retired
--   keys stay in the DID document so that credentials they signed verify.
-- - organizations.did_method: 'web' (did:web:{host}:orgs:{slug}, the
--   default) or 'key' (the active key's did:key).
-- - status_lists: W3C Bitstring Status List v1.0 lists, one row per
--   (organization, purpose, list number); bitstring holds the raw, unpacked
--   bits (131,072 by default), next_index the next free index. version is
--   bumped on every bit change; the signed status list credential is cached
--   in credential for credential_version and re-signed when they differ.
--   issuer_did is the issuer the list is published under: a status list
--   credential must name the same issuer as the credentials that point to
--   it, so a list only takes credentials of that DID (a did:key
--   organization that rotates its key starts new lists).
-- - credentials: each issued credential has a revocation entry
--   (status_list_id, status_list_index) and a suspension entry
--   (suspension_list_id, suspension_list_index); the unique indexes make a
--   shared index impossible. signing_key_id records the key that signed it.
--   (issuer_id, created_at, id) serves the newest-first keyset list.
-- - credential_status_changes: a credential's status history.
-- - issuance_batches / issuance_batch_rows: bulk issuance from CSV. A row is
--   issued in the same transaction that sets its credential_id and status,
--   so a job that is retried after a crash never issues a row twice; the
--   unique (batch_id, row_number) keeps rows unique. Row data is sealed.

-- +goose Up
ALTER TABLE organizations ADD COLUMN did_method TEXT NOT NULL DEFAULT 'web' CHECK (did_method IN ('web', 'key'));

CREATE TABLE signing_keys (
    id                    UUID PRIMARY KEY,
    organization_id       UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    key_id                TEXT NOT NULL CHECK (key_id <> ''),
    public_key_multibase  TEXT NOT NULL CHECK (public_key_multibase LIKE 'z%'),
    private_key_encrypted BYTEA NOT NULL,
    status                TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    retired_at            TIMESTAMPTZ,
    UNIQUE (organization_id, key_id),
    CHECK (status <> 'retired' OR retired_at IS NOT NULL)
);
CREATE UNIQUE INDEX idx_signing_keys_active ON signing_keys (organization_id) WHERE status = 'active';

CREATE TABLE status_lists (
    id                 UUID PRIMARY KEY,
    organization_id    UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    purpose            TEXT NOT NULL CHECK (purpose IN ('revocation', 'suspension')),
    issuer_did         TEXT NOT NULL CHECK (issuer_did <> ''),
    list_number        INTEGER NOT NULL CHECK (list_number >= 0),
    size               INTEGER NOT NULL DEFAULT 131072 CHECK (size > 0 AND size % 8 = 0),
    bitstring          BYTEA NOT NULL,
    next_index         INTEGER NOT NULL DEFAULT 0 CHECK (next_index >= 0 AND next_index <= size),
    version            INTEGER NOT NULL DEFAULT 1 CHECK (version > 0),
    credential         TEXT,
    credential_version INTEGER,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (organization_id, purpose, list_number)
);

ALTER TABLE credentials ADD COLUMN status_list_id UUID REFERENCES status_lists (id) ON DELETE RESTRICT;
ALTER TABLE credentials ADD COLUMN suspension_list_id UUID REFERENCES status_lists (id) ON DELETE RESTRICT;
ALTER TABLE credentials ADD COLUMN suspension_list_index INTEGER CHECK (suspension_list_index >= 0);
ALTER TABLE credentials ADD COLUMN signing_key_id UUID REFERENCES signing_keys (id) ON DELETE SET NULL;
CREATE UNIQUE INDEX idx_credentials_status_entry ON credentials (status_list_id, status_list_index);
CREATE UNIQUE INDEX idx_credentials_suspension_entry ON credentials (suspension_list_id, suspension_list_index);
CREATE INDEX idx_credentials_signing_key_id ON credentials (signing_key_id);
CREATE INDEX idx_credentials_issuer_created ON credentials (issuer_id, created_at, id);

CREATE TABLE credential_status_changes (
    id              UUID PRIMARY KEY,
    credential_id   UUID NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    from_status     TEXT NOT NULL,
    to_status       TEXT NOT NULL,
    reason          TEXT,
    actor_user_id   UUID REFERENCES users (id) ON DELETE SET NULL,
    via             TEXT NOT NULL CHECK (via IN ('web', 'api', 'system')),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_credential_status_changes_credential ON credential_status_changes (credential_id, created_at);
CREATE INDEX idx_credential_status_changes_organization_id ON credential_status_changes (organization_id);
CREATE INDEX idx_credential_status_changes_actor_user_id ON credential_status_changes (actor_user_id);

CREATE TABLE issuance_batches (
    id              UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    template_id     UUID REFERENCES credential_templates (id) ON DELETE SET NULL,
    created_by      UUID REFERENCES users (id) ON DELETE SET NULL,
    filename        TEXT,
    status          TEXT NOT NULL DEFAULT 'validated' CHECK (status IN ('validated', 'queued', 'running', 'completed', 'cancelled')),
    column_mapping  JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(column_mapping) = 'object'),
    total_rows      INTEGER NOT NULL DEFAULT 0 CHECK (total_rows >= 0),
    invalid_rows    INTEGER NOT NULL DEFAULT 0 CHECK (invalid_rows >= 0),
    issued_count    INTEGER NOT NULL DEFAULT 0 CHECK (issued_count >= 0),
    failed_count    INTEGER NOT NULL DEFAULT 0 CHECK (failed_count >= 0),
    send_email      BOOLEAN NOT NULL DEFAULT false,
    started_at      TIMESTAMPTZ,
    completed_at    TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_issuance_batches_organization ON issuance_batches (organization_id, created_at);
CREATE INDEX idx_issuance_batches_template_id ON issuance_batches (template_id);
CREATE INDEX idx_issuance_batches_created_by ON issuance_batches (created_by);

CREATE TABLE issuance_batch_rows (
    id             UUID PRIMARY KEY,
    batch_id       UUID NOT NULL REFERENCES issuance_batches (id) ON DELETE CASCADE,
    row_number     INTEGER NOT NULL CHECK (row_number > 0),
    data_encrypted BYTEA NOT NULL,
    status         TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'invalid', 'issued', 'failed')),
    error          TEXT,
    credential_id  UUID REFERENCES credentials (id) ON DELETE SET NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (batch_id, row_number),
    CHECK (status <> 'issued' OR credential_id IS NOT NULL)
);
CREATE INDEX idx_issuance_batch_rows_status ON issuance_batch_rows (batch_id, status, row_number);
CREATE INDEX idx_issuance_batch_rows_credential_id ON issuance_batch_rows (credential_id);

-- +goose Down
DROP TABLE issuance_batch_rows;
DROP TABLE issuance_batches;
DROP TABLE credential_status_changes;
DROP INDEX idx_credentials_issuer_created;
DROP INDEX idx_credentials_signing_key_id;
DROP INDEX idx_credentials_suspension_entry;
DROP INDEX idx_credentials_status_entry;
ALTER TABLE credentials DROP COLUMN signing_key_id;
ALTER TABLE credentials DROP COLUMN suspension_list_index;
ALTER TABLE credentials DROP COLUMN suspension_list_id;
ALTER TABLE credentials DROP COLUMN status_list_id;
DROP TABLE status_lists;
DROP TABLE signing_keys;
ALTER TABLE organizations DROP COLUMN did_method;
