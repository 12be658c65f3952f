-- PostgreSQL dialect. A verification that could not be completed (our
-- database or an issuer's server unreachable: verify.Unavailable) is logged
-- with the verdict 'unavailable', so that the organization's counts and
-- filters tell it apart from a credential that is not valid.

-- +goose Up
ALTER TABLE verification_logs DROP CONSTRAINT verification_logs_verdict_check;
ALTER TABLE verification_logs ADD CONSTRAINT verification_logs_verdict_check
    CHECK (verdict IN ('valid', 'revoked', 'suspended', 'expired', 'invalid', 'unavailable'));

-- +goose Down
UPDATE verification_logs SET verdict = NULL WHERE verdict = 'unavailable';
ALTER TABLE verification_logs DROP CONSTRAINT verification_logs_verdict_check;
ALTER TABLE verification_logs ADD CONSTRAINT verification_logs_verdict_check
    CHECK (verdict IN ('valid', 'revoked', 'suspended', 'expired', 'invalid'));
