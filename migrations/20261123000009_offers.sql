-- The consolidated offer (C-3): numbered, immutable versions; one payee per operator with its
-- structured communication; payments registered by the case officer; mail attachments.

-- How each operator is paid (each operator is its own payee).
ALTER TABLE organisations ADD COLUMN payee_name TEXT;
ALTER TABLE organisations ADD COLUMN iban TEXT;
ALTER TABLE organisations ADD COLUMN bic TEXT;

-- The case officer in charge of a request (queue assignment).
ALTER TABLE requests ADD COLUMN assigned_to TEXT REFERENCES users (id);
-- Set when the applicant asks for a change after an offer was sent (V-8.3), cleared by a revision.
ALTER TABLE requests ADD COLUMN change_requested_at TEXT;

CREATE TABLE offers (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id),
    version BIGINT NOT NULL,
    status TEXT NOT NULL,            -- sent | accepted | superseded | lapsed
    -- The key of the form that sent it: pressing "send" twice sends one offer.
    idempotency_key TEXT NOT NULL UNIQUE,
    language TEXT NOT NULL,
    document TEXT NOT NULL,          -- JSON: everything printed, so the PDF is the same forever
    sent_at TEXT NOT NULL,
    sent_by TEXT REFERENCES users (id),
    valid_until TEXT NOT NULL,       -- V-8.1: six months after sending
    supersedes_reason TEXT,
    reminder_sent_at TEXT,
    accepted_at TEXT,
    accepted_by_kind TEXT,           -- applicant | staff
    accepted_by TEXT,
    acceptance_note TEXT,
    closed_at TEXT,                  -- superseded or lapsed
    UNIQUE (request_id, version)
);
CREATE INDEX offers_status ON offers (status, valid_until);

CREATE TABLE offer_payees (
    offer_id TEXT NOT NULL REFERENCES offers (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    payee_name TEXT NOT NULL,
    iban TEXT,
    bic TEXT,
    amount TEXT NOT NULL,            -- decimal, VAT included
    structured_communication TEXT NOT NULL,
    after_works BIGINT NOT NULL DEFAULT 0,   -- a commune as project owner pays after the works (V-8.2.1)
    paid_at TEXT,
    paid_amount TEXT,
    paid_recorded_by TEXT REFERENCES users (id),
    PRIMARY KEY (offer_id, organisation_id)
);

CREATE TABLE outbox_attachments (
    outbox_id TEXT NOT NULL REFERENCES outbox (id),
    position BIGINT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content_base64 TEXT NOT NULL,
    PRIMARY KEY (outbox_id, position)
);
