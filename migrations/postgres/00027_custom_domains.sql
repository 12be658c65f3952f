-- PostgreSQL dialect. Custom domains (issue 19): the domain an organization
-- serves its public pages on, proved by the DNS TXT record of domain
-- verification (internal/dnsverify).
--
-- - One domain per organization (UNIQUE organization_id) and one
--   organization per domain (UNIQUE domain, lower case, no trailing dot).
-- - status: pending until the TXT record is found, then verified; a later
--   check that finds the record gone (not a DNS failure) makes it pending
--   again. Only verified domains are served (web's host routing).
-- - last_checked_at / last_error: the last check, by a person or the
--   periodic job; last_error is the reason in words, NULL after a success.
-- organization_branding.custom_domain (00003) is left as it is: the TLS
-- material for the domain will sit next to it in a later migration.

-- +goose Up
CREATE TABLE custom_domains (
    id              UUID PRIMARY KEY,
    organization_id UUID NOT NULL UNIQUE REFERENCES organizations (id) ON DELETE CASCADE,
    domain          TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'verified')),
    verified_at     TIMESTAMPTZ,
    last_checked_at TIMESTAMPTZ,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_custom_domains_checked ON custom_domains (last_checked_at);

-- +goose Down
DROP TABLE custom_domains;
