-- SQLite dialect. Phase 2: enhanced features (analytics, marketplace, approvals, webhooks, notification channels).

-- +goose Up
CREATE TABLE credential_analytics (
    id                       TEXT PRIMARY KEY NOT NULL,
    organization_id          TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    date                     DATE NOT NULL,
    credentials_issued       INTEGER NOT NULL DEFAULT 0 CHECK (credentials_issued >= 0),
    credentials_revoked      INTEGER NOT NULL DEFAULT 0 CHECK (credentials_revoked >= 0),
    credentials_expired      INTEGER NOT NULL DEFAULT 0 CHECK (credentials_expired >= 0),
    verification_requests    INTEGER NOT NULL DEFAULT 0 CHECK (verification_requests >= 0),
    successful_verifications INTEGER NOT NULL DEFAULT 0 CHECK (successful_verifications >= 0),
    failed_verifications     INTEGER NOT NULL DEFAULT 0 CHECK (failed_verifications >= 0),
    created_at               DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_credential_analytics_organization_date UNIQUE (organization_id, date)
);
CREATE INDEX idx_credential_analytics_organization_id ON credential_analytics (organization_id);
CREATE INDEX idx_credential_analytics_date ON credential_analytics (date);

CREATE TABLE template_categories (
    id                 TEXT PRIMARY KEY NOT NULL,
    name               TEXT NOT NULL UNIQUE CHECK (name <> ''),
    description        TEXT,
    icon               TEXT,
    parent_category_id TEXT REFERENCES template_categories (id) ON DELETE SET NULL,
    active             BOOLEAN NOT NULL DEFAULT TRUE,
    created_at         DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CHECK (parent_category_id <> id)
);
CREATE INDEX idx_template_categories_parent_category_id ON template_categories (parent_category_id);

-- SQLite allows ADD COLUMN with REFERENCES because the column's default is NULL.
ALTER TABLE credential_templates
    ADD COLUMN category_id TEXT REFERENCES template_categories (id) ON DELETE SET NULL;
CREATE INDEX idx_credential_templates_category_id ON credential_templates (category_id);

CREATE TABLE template_reviews (
    id            TEXT PRIMARY KEY NOT NULL,
    template_id   TEXT NOT NULL REFERENCES credential_templates (id) ON DELETE CASCADE,
    reviewer_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rating        INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    review_text   TEXT,
    helpful_votes INTEGER NOT NULL DEFAULT 0 CHECK (helpful_votes >= 0),
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_template_reviews_template_reviewer UNIQUE (template_id, reviewer_id)
);
CREATE INDEX idx_template_reviews_template_id ON template_reviews (template_id);
CREATE INDEX idx_template_reviews_reviewer_id ON template_reviews (reviewer_id);
CREATE INDEX idx_template_reviews_rating ON template_reviews (rating);

CREATE TABLE multisig_requirements (
    id                  TEXT PRIMARY KEY NOT NULL,
    schema_id           TEXT NOT NULL REFERENCES credential_schemas (id) ON DELETE CASCADE,
    required_signatures INTEGER NOT NULL DEFAULT 1 CHECK (required_signatures >= 1),
    approver_roles      TEXT NOT NULL DEFAULT '[]' CHECK (json_type(approver_roles) = 'array'),
    active              BOOLEAN NOT NULL DEFAULT TRUE,
    created_at          DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_multisig_requirements_schema_id ON multisig_requirements (schema_id);

CREATE TABLE credential_approvals (
    id              TEXT PRIMARY KEY NOT NULL,
    credential_id   TEXT NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
    approver_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    approval_status TEXT NOT NULL DEFAULT 'pending' CHECK (approval_status IN ('pending', 'approved', 'rejected')),
    approval_notes  TEXT,
    approved_at     DATETIME,
    created_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_credential_approvals_credential_id ON credential_approvals (credential_id);
CREATE INDEX idx_credential_approvals_approver_id ON credential_approvals (approver_id);
CREATE INDEX idx_credential_approvals_approval_status ON credential_approvals (approval_status);

CREATE TABLE webhooks (
    id              TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT NOT NULL CHECK (name <> ''),
    url             TEXT NOT NULL CHECK (url GLOB 'http://?*' OR url GLOB 'https://?*'),
    events          TEXT NOT NULL DEFAULT '[]' CHECK (json_type(events) = 'array'),
    secret_key      BLOB NOT NULL,
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    retry_count     INTEGER NOT NULL DEFAULT 3 CHECK (retry_count >= 0),
    last_triggered  DATETIME,
    created_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_webhooks_organization_id ON webhooks (organization_id);
CREATE INDEX idx_webhooks_active ON webhooks (active);

CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY NOT NULL,
    webhook_id       TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_type       TEXT NOT NULL CHECK (event_type <> ''),
    payload          TEXT NOT NULL DEFAULT '{}' CHECK (json_type(payload) = 'object'),
    response_status  INTEGER,
    response_body    TEXT,
    delivery_time_ms INTEGER CHECK (delivery_time_ms >= 0),
    success          BOOLEAN NOT NULL DEFAULT FALSE,
    error_message    TEXT,
    created_at       DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_webhook_deliveries_webhook_id ON webhook_deliveries (webhook_id);
CREATE INDEX idx_webhook_deliveries_success ON webhook_deliveries (success);

CREATE TABLE notification_preferences (
    id                TEXT PRIMARY KEY NOT NULL,
    user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notification_type TEXT NOT NULL CHECK (notification_type IN ('credential_issued', 'credential_revoked', 'verification_request', 'system_alert', 'approval_requested', 'approval_decided')),
    email_enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    sms_enabled       BOOLEAN NOT NULL DEFAULT FALSE,
    push_enabled      BOOLEAN NOT NULL DEFAULT FALSE,
    in_app_enabled    BOOLEAN NOT NULL DEFAULT TRUE,
    created_at        DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_notification_preferences_user_type UNIQUE (user_id, notification_type)
);
CREATE INDEX idx_notification_preferences_user_id ON notification_preferences (user_id);

CREATE TABLE sms_deliveries (
    id                  TEXT PRIMARY KEY NOT NULL,
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    phone_number        TEXT NOT NULL CHECK (phone_number GLOB '+[1-9][0-9]*' AND phone_number NOT GLOB '+*[^0-9]*' AND length(phone_number) BETWEEN 3 AND 16),
    message             TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'delivered', 'failed')),
    provider            TEXT,
    provider_message_id TEXT,
    error_message       TEXT,
    sent_at             DATETIME,
    delivered_at        DATETIME,
    created_at          DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_sms_deliveries_user_id ON sms_deliveries (user_id);
CREATE INDEX idx_sms_deliveries_status ON sms_deliveries (status);

-- +goose Down
DROP TABLE sms_deliveries;
DROP TABLE notification_preferences;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP TABLE credential_approvals;
DROP TABLE multisig_requirements;
DROP TABLE template_reviews;
-- SQLite (>= 3.35) refuses DROP COLUMN while an index uses the column, so the index goes first;
-- the column's own REFERENCES clause does not block it (checked against SQLite 3.54).
DROP INDEX idx_credential_templates_category_id;
ALTER TABLE credential_templates DROP COLUMN category_id;
DROP TABLE template_categories;
DROP TABLE credential_analytics;
