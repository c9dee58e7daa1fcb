-- Private links to a request's status page end: six months after the request is finished
-- (closed_at, set by every move to a finished state), or as soon as the applicant asks for a
-- new link, which replaces every earlier one (the filing link included).
ALTER TABLE requests ADD COLUMN closed_at TEXT;
ALTER TABLE requests ADD COLUMN follow_token_revoked_at TEXT;
ALTER TABLE follow_links ADD COLUMN revoked_at TEXT;

-- Requests finished before this change: the last change of a finished request is its closing.
UPDATE requests SET closed_at = updated_at
    WHERE state IN ('done', 'closed', 'withdrawn', 'refused');

-- "Lost your link?" finds the requests filed with an address, whatever its case.
CREATE INDEX requests_email ON requests ((lower(email)));

-- Addresses typed on the "Lost your link?" page, waiting for the worker: the page answers the
-- same at once for any address, and the worker sends links only where requests exist. A row
-- is deleted when handled.
CREATE TABLE link_requests (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX link_requests_created ON link_requests (created_at);

-- One-time codes that confirm an online acceptance of the offer: emailed to the applicant's
-- address, so the private link alone cannot accept. Stored only as an argon2 hash; a code is
-- spent by its use, by a newer code, by too many wrong tries, or by its expiry.
CREATE TABLE acceptance_codes (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id),
    offer_version BIGINT NOT NULL,
    code_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    spent_at TEXT
);
CREATE INDEX acceptance_codes_request ON acceptance_codes (request_id, created_at);
