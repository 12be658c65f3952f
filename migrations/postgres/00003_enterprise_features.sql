-- Phase 5: enterprise features (compliance audit, retention, LDAP, ERP, analytics models,
-- branding, custom templates and fields, approval workflows).

-- +goose Up
CREATE TABLE enhanced_audit_logs (
    id              UUID PRIMARY KEY,
    user_id         UUID REFERENCES users (id) ON DELETE SET NULL,
    organization_id UUID REFERENCES organizations (id) ON DELETE SET NULL,
    session_id      UUID REFERENCES user_sessions (id) ON DELETE SET NULL,
    action          TEXT NOT NULL CHECK (action <> ''),
    resource_type   TEXT NOT NULL CHECK (resource_type <> ''),
    resource_id     TEXT,
    details         JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object'),
    ip_address      INET,
    user_agent      TEXT,
    geolocation     JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(geolocation) = 'object'),
    risk_score      INTEGER NOT NULL DEFAULT 0 CHECK (risk_score BETWEEN 0 AND 100),
    compliance_tags JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(compliance_tags) = 'array'),
    retention_until DATE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_enhanced_audit_logs_user_id ON enhanced_audit_logs (user_id);
CREATE INDEX idx_enhanced_audit_logs_organization_id ON enhanced_audit_logs (organization_id);
CREATE INDEX idx_enhanced_audit_logs_retention_until ON enhanced_audit_logs (retention_until);
CREATE INDEX idx_enhanced_audit_logs_compliance_tags ON enhanced_audit_logs USING GIN (compliance_tags);
CREATE INDEX idx_enhanced_audit_logs_session_id ON enhanced_audit_logs (session_id);

CREATE TABLE retention_policies (
    id                    UUID PRIMARY KEY,
    organization_id       UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    data_type             TEXT NOT NULL CHECK (data_type <> ''),
    retention_period_days INTEGER NOT NULL CHECK (retention_period_days > 0),
    retention_reason      TEXT,
    active                BOOLEAN NOT NULL DEFAULT true,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_retention_policies_organization_data_type UNIQUE (organization_id, data_type)
);

CREATE TABLE ldap_configurations (
    id                      UUID PRIMARY KEY,
    organization_id         UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                    TEXT NOT NULL CHECK (name <> ''),
    server_url              TEXT NOT NULL CHECK (server_url ~ '^ldaps?://.+'),
    base_dn                 TEXT NOT NULL CHECK (base_dn <> ''),
    bind_dn                 TEXT,
    bind_password_encrypted BYTEA,
    user_search_filter      TEXT,
    group_search_filter     TEXT,
    sync_enabled            BOOLEAN NOT NULL DEFAULT false,
    sync_interval_minutes   INTEGER NOT NULL DEFAULT 60 CHECK (sync_interval_minutes > 0),
    last_sync_at            TIMESTAMPTZ,
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_ldap_configurations_organization_id ON ldap_configurations (organization_id);

CREATE TABLE ldap_user_mappings (
    id             UUID PRIMARY KEY,
    ldap_config_id UUID NOT NULL REFERENCES ldap_configurations (id) ON DELETE CASCADE,
    ldap_user_id   TEXT NOT NULL CHECK (ldap_user_id <> ''),
    local_user_id  UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ldap_groups    JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(ldap_groups) = 'array'),
    last_sync_at   TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_ldap_user_mappings_config_user UNIQUE (ldap_config_id, ldap_user_id)
);
CREATE INDEX idx_ldap_user_mappings_ldap_config_id ON ldap_user_mappings (ldap_config_id);
CREATE INDEX idx_ldap_user_mappings_local_user_id ON ldap_user_mappings (local_user_id);

CREATE TABLE erp_integrations (
    id                   UUID PRIMARY KEY,
    organization_id      UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    erp_type             TEXT NOT NULL CHECK (erp_type <> ''),
    name                 TEXT NOT NULL CHECK (name <> ''),
    api_endpoint         TEXT NOT NULL CHECK (api_endpoint ~ '^https?://.+'),
    api_key_encrypted    BYTEA,
    api_secret_encrypted BYTEA,
    webhook_url          TEXT,
    sync_enabled         BOOLEAN NOT NULL DEFAULT false,
    sync_direction       TEXT NOT NULL DEFAULT 'bidirectional' CHECK (sync_direction IN ('inbound', 'outbound', 'bidirectional')),
    last_sync_at         TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_erp_integrations_organization_id ON erp_integrations (organization_id);

CREATE TABLE real_time_analytics (
    id              UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    metric_name     TEXT NOT NULL CHECK (metric_name <> ''),
    metric_value    NUMERIC(15, 2) NOT NULL,
    metric_unit     TEXT NOT NULL DEFAULT 'count' CHECK (metric_unit IN ('count', 'percentage', 'currency', 'time_ms')),
    dimension_key   TEXT NOT NULL DEFAULT '',
    dimension_value TEXT NOT NULL DEFAULT '',
    "timestamp"     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_real_time_analytics_point UNIQUE (organization_id, metric_name, dimension_key, dimension_value, "timestamp")
);
CREATE INDEX idx_real_time_analytics_organization_id ON real_time_analytics (organization_id);
CREATE INDEX idx_real_time_analytics_metric_name ON real_time_analytics (metric_name);
CREATE INDEX idx_real_time_analytics_timestamp ON real_time_analytics ("timestamp");

CREATE TABLE analytics_models (
    id                 UUID PRIMARY KEY,
    organization_id    UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    model_name         TEXT NOT NULL CHECK (model_name <> ''),
    model_type         TEXT NOT NULL CHECK (model_type IN ('fraud_detection', 'usage_prediction', 'churn_prediction')),
    model_version      TEXT NOT NULL CHECK (model_version <> ''),
    model_data         BYTEA,
    accuracy_score     NUMERIC(5, 4) CHECK (accuracy_score BETWEEN 0 AND 1),
    training_data_size BIGINT NOT NULL DEFAULT 0 CHECK (training_data_size >= 0),
    last_trained_at    TIMESTAMPTZ,
    active             BOOLEAN NOT NULL DEFAULT true,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_analytics_models_organization_id ON analytics_models (organization_id);
CREATE INDEX idx_analytics_models_model_type ON analytics_models (model_type);

CREATE TABLE model_predictions (
    id                   UUID PRIMARY KEY,
    model_id             UUID NOT NULL REFERENCES analytics_models (id) ON DELETE CASCADE,
    input_data           JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(input_data) = 'object'),
    prediction_result    JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(prediction_result) = 'object'),
    confidence_score     NUMERIC(5, 4) CHECK (confidence_score BETWEEN 0 AND 1),
    prediction_timestamp TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_model_predictions_model_id ON model_predictions (model_id);

CREATE TABLE organization_branding (
    id              UUID PRIMARY KEY,
    organization_id UUID NOT NULL UNIQUE REFERENCES organizations (id) ON DELETE CASCADE,
    logo_url        TEXT,
    primary_color   TEXT CHECK (primary_color ~ '^#[0-9a-fA-F]{6}$'),
    secondary_color TEXT CHECK (secondary_color ~ '^#[0-9a-fA-F]{6}$'),
    accent_color    TEXT CHECK (accent_color ~ '^#[0-9a-fA-F]{6}$'),
    custom_css      TEXT,
    custom_js       TEXT,
    favicon_url     TEXT,
    custom_domain   TEXT UNIQUE,
    ssl_certificate BYTEA,
    ssl_private_key BYTEA,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_organization_branding_organization_id ON organization_branding (organization_id);

CREATE TABLE custom_credential_templates (
    id                UUID PRIMARY KEY,
    organization_id   UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    template_name     TEXT NOT NULL CHECK (template_name <> ''),
    template_type     TEXT NOT NULL CHECK (template_type IN ('diploma', 'certificate', 'license', 'badge')),
    design_data       JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(design_data) = 'object'),
    preview_image_url TEXT,
    is_active         BOOLEAN NOT NULL DEFAULT true,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_custom_credential_templates_organization_id ON custom_credential_templates (organization_id);

CREATE TABLE custom_fields (
    id                UUID PRIMARY KEY,
    organization_id   UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    field_name        TEXT NOT NULL CHECK (field_name <> ''),
    field_type        TEXT NOT NULL CHECK (field_type IN ('text', 'number', 'date', 'select', 'file')),
    field_label       TEXT NOT NULL CHECK (field_label <> ''),
    field_description TEXT,
    validation_rules  JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(validation_rules) = 'object'),
    options           JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(options) = 'array'),
    is_required       BOOLEAN NOT NULL DEFAULT false,
    is_active         BOOLEAN NOT NULL DEFAULT true,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_custom_fields_organization_field_name UNIQUE (organization_id, field_name)
);
CREATE INDEX idx_custom_fields_organization_id ON custom_fields (organization_id);

CREATE TABLE approval_workflows (
    id                       UUID PRIMARY KEY,
    organization_id          UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    workflow_name            TEXT NOT NULL CHECK (workflow_name <> ''),
    workflow_type            TEXT NOT NULL CHECK (workflow_type IN ('credential_issuance', 'schema_creation', 'user_registration')),
    steps                    JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(steps) = 'array'),
    auto_approve_threshold   INTEGER NOT NULL DEFAULT 1 CHECK (auto_approve_threshold >= 1),
    escalation_enabled       BOOLEAN NOT NULL DEFAULT false,
    escalation_timeout_hours INTEGER NOT NULL DEFAULT 24 CHECK (escalation_timeout_hours > 0),
    active                   BOOLEAN NOT NULL DEFAULT true,
    created_at               TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_approval_workflows_organization_id ON approval_workflows (organization_id);

CREATE TABLE workflow_instances (
    id            UUID PRIMARY KEY,
    workflow_id   UUID NOT NULL REFERENCES approval_workflows (id) ON DELETE CASCADE,
    resource_type TEXT NOT NULL CHECK (resource_type <> ''),
    resource_id   UUID NOT NULL,
    current_step  INTEGER NOT NULL DEFAULT 1 CHECK (current_step >= 1),
    status        TEXT NOT NULL DEFAULT 'in_progress' CHECK (status IN ('in_progress', 'approved', 'rejected', 'cancelled')),
    started_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    completed_at  TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_workflow_instances_workflow_id ON workflow_instances (workflow_id);
CREATE INDEX idx_workflow_instances_status ON workflow_instances (status);

-- +goose Down
DROP TABLE workflow_instances;
DROP TABLE approval_workflows;
DROP TABLE custom_fields;
DROP TABLE custom_credential_templates;
DROP TABLE organization_branding;
DROP TABLE model_predictions;
DROP TABLE analytics_models;
DROP TABLE real_time_analytics;
DROP TABLE erp_integrations;
DROP TABLE ldap_user_mappings;
DROP TABLE ldap_configurations;
DROP TABLE retention_policies;
DROP TABLE enhanced_audit_logs;
