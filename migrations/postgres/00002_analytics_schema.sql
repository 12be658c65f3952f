-- Phase 2: enhanced features (analytics, marketplace, approvals, webhooks, notification channels).

-- +goose Up
CREATE TABLE credential_analytics (
    id                       UUID PRIMARY KEY,
    organization_id          UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    date                     DATE NOT NULL,
    credentials_issued       INTEGER NOT NULL DEFAULT 0 CHECK (credentials_issued >= 0),
    credentials_revoked      INTEGER NOT NULL DEFAULT 0 CHECK (credentials_revoked >= 0),
    credentials_expired      INTEGER NOT NULL DEFAULT 0 CHECK (credentials_expired >= 0),
    verification_requests    INTEGER NOT NULL DEFAULT 0 CHECK (verification_requests >= 0),
    successful_verifications INTEGER NOT NULL DEFAULT 0 CHECK (successful_verifications >= 0),
    failed_verifications     INTEGER NOT NULL DEFAULT 0 CHECK (failed_verifications >= 0),
    created_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_credential_analytics_organization_date UNIQUE (organization_id, date)
);
CREATE INDEX idx_credential_analytics_organization_id ON credential_analytics (organization_id);
CREATE INDEX idx_credential_analytics_date ON credential_analytics (date);

CREATE TABLE template_categories (
    id                 UUID PRIMARY KEY,
    name               TEXT NOT NULL UNIQUE CHECK (name <> ''),
    description        TEXT,
    icon               TEXT,
    parent_category_id UUID REFERENCES template_categories (id) ON DELETE SET NULL,
    active             BOOLEAN NOT NULL DEFAULT true,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (parent_category_id <> id)
);
CREATE INDEX idx_template_categories_parent_category_id ON template_categories (parent_category_id);

ALTER TABLE credential_templates
    ADD COLUMN category_id UUID REFERENCES template_categories (id) ON DELETE SET NULL;
CREATE INDEX idx_credential_templates_category_id ON credential_templates (category_id);

CREATE TABLE template_reviews (
    id            UUID PRIMARY KEY,
    template_id   UUID NOT NULL REFERENCES credential_templates (id) ON DELETE CASCADE,
    reviewer_id   UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rating        INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    review_text   TEXT,
    helpful_votes INTEGER NOT NULL DEFAULT 0 CHECK (helpful_votes >= 0),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_template_reviews_template_reviewer UNIQUE (template_id, reviewer_id)
);
CREATE INDEX idx_template_reviews_template_id ON template_reviews (template_id);
CREATE INDEX idx_template_reviews_reviewer_id ON template_reviews (reviewer_id);
CREATE INDEX idx_template_reviews_rating ON template_reviews (rating);

CREATE TABLE multisig_requirements (
    id                  UUID PRIMARY KEY,
    schema_id           UUID NOT NULL REFERENCES credential_schemas (id) ON DELETE CASCADE,
    required_signatures INTEGER NOT NULL DEFAULT 1 CHECK (required_signatures >= 1),
    approver_roles      JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(approver_roles) = 'array'),
    active              BOOLEAN NOT NULL DEFAULT true,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_multisig_requirements_schema_id ON multisig_requirements (schema_id);

CREATE TABLE credential_approvals (
    id              UUID PRIMARY KEY,
    credential_id   UUID NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
    approver_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    approval_status TEXT NOT NULL DEFAULT 'pending' CHECK (approval_status IN ('pending', 'approved', 'rejected')),
    approval_notes  TEXT,
    approved_at     TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_credential_approvals_credential_id ON credential_approvals (credential_id);
CREATE INDEX idx_credential_approvals_approver_id ON credential_approvals (approver_id);
CREATE INDEX idx_credential_approvals_approval_status ON credential_approvals (approval_status);

CREATE TABLE webhooks (
    id              UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT NOT NULL CHECK (name <> ''),
    url             TEXT NOT NULL CHECK (url ~ '^https?://.+'),
    events          JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(events) = 'array'),
    secret_key      BYTEA NOT NULL,
    active          BOOLEAN NOT NULL DEFAULT true,
    retry_count     INTEGER NOT NULL DEFAULT 3 CHECK (retry_count >= 0),
    last_triggered  TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_webhooks_organization_id ON webhooks (organization_id);
CREATE INDEX idx_webhooks_active ON webhooks (active);

CREATE TABLE webhook_deliveries (
    id               UUID PRIMARY KEY,
    webhook_id       UUID NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_type       TEXT NOT NULL CHECK (event_type <> ''),
    payload          JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(payload) = 'object'),
    response_status  INTEGER,
    response_body    TEXT,
    delivery_time_ms INTEGER CHECK (delivery_time_ms >= 0),
    success          BOOLEAN NOT NULL DEFAULT false,
    error_message    TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_webhook_deliveries_webhook_id ON webhook_deliveries (webhook_id);
CREATE INDEX idx_webhook_deliveries_success ON webhook_deliveries (success);

CREATE TABLE notification_preferences (
    id                UUID PRIMARY KEY,
    user_id           UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notification_type TEXT NOT NULL CHECK (notification_type IN ('credential_issued', 'credential_revoked', 'verification_request', 'system_alert', 'approval_requested', 'approval_decided')),
    email_enabled     BOOLEAN NOT NULL DEFAULT true,
    sms_enabled       BOOLEAN NOT NULL DEFAULT false,
    push_enabled      BOOLEAN NOT NULL DEFAULT false,
    in_app_enabled    BOOLEAN NOT NULL DEFAULT true,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_notification_preferences_user_type UNIQUE (user_id, notification_type)
);
CREATE INDEX idx_notification_preferences_user_id ON notification_preferences (user_id);

CREATE TABLE sms_deliveries (
    id                  UUID PRIMARY KEY,
    user_id             UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    phone_number        TEXT NOT NULL CHECK (phone_number ~ '^\+[1-9][0-9]{1,14}$'),
    message             TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'delivered', 'failed')),
    provider            TEXT,
    provider_message_id TEXT,
    error_message       TEXT,
    sent_at             TIMESTAMPTZ,
    delivered_at        TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now()
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
DROP INDEX idx_credential_templates_category_id;
ALTER TABLE credential_templates DROP COLUMN category_id;
DROP TABLE template_categories;
DROP TABLE credential_analytics;
