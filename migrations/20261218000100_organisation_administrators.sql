-- Issue 21: every organisation has administrators who manage its API keys: an operator's
-- `operator_admin`, and for the coordinator and the communes a staff member given this flag on
-- top of their role (a case officer or a commune's works department stays what they are).
ALTER TABLE users ADD COLUMN administrator BIGINT NOT NULL DEFAULT 0;
UPDATE users SET administrator = 1 WHERE role = 'operator_admin';
