-- Issue 21: an organisation's systems act through API keys its administrator creates. Only the
-- SHA-256 of the secret is kept (the secret is shown once); a key is revoked, never deleted, so
-- the timeline events naming it stay readable.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    -- read | read_write
    scope TEXT NOT NULL,
    -- the first characters of the secret, to tell keys apart on the page
    prefix TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT,
    last_used_at TEXT,
    revoked_at TEXT,
    revoked_by TEXT REFERENCES users (id)
);

CREATE INDEX api_keys_organisation ON api_keys (organisation_id, created_at);

-- Idempotency-Key on every POST of the API: the first answer is kept, per key owner (the
-- organisation) and key, with a fingerprint of the request it answered.
CREATE TABLE idempotency_keys (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    idempotency_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    etag TEXT,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (organisation_id, idempotency_key)
);
