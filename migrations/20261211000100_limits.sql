-- Sign-in attempts per account that failed or are being checked, for the lockout after
-- repeated failures. The account is the address as typed (trimmed, lower-cased), known or
-- not, so a lockout says nothing about which accounts exist. Rows past the window are pruned.
CREATE TABLE sign_in_attempts (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX sign_in_attempts_account ON sign_in_attempts (account, at);
CREATE INDEX sign_in_attempts_at ON sign_in_attempts (at);

-- The mailbox a message goes to, as the per-recipient quota counts it: lower-cased, without
-- a "+tag" (messages queued before keep their lower-cased address).
ALTER TABLE outbox ADD COLUMN recipient_key TEXT;
UPDATE outbox SET recipient_key = LOWER(recipient);
CREATE INDEX outbox_recipient ON outbox (recipient_key, kind, created_at);
