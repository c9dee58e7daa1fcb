-- Portable across SQLite and PostgreSQL: ids as TEXT (uuid v7), integers as BIGINT,
-- flags as BIGINT 0/1, timestamps as RFC 3339 UTC TEXT, dates as YYYY-MM-DD TEXT.

CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,            -- coordinator | operator | municipality | platform
    service TEXT,                  -- operators: electricity | gas | water | proximus | voo
    commune_nis TEXT,              -- municipalities: their commune
    contact TEXT,                  -- how citizens reach them
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,            -- case_officer | operator_staff | operator_admin | municipality | platform_admin
    password_hash TEXT NOT NULL,
    language TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE INDEX users_organisation ON users (organisation_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Which organisation serves which commune (rule C-7: data, not code).
CREATE TABLE coverage (
    commune_nis TEXT NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (commune_nis, organisation_id)
);
CREATE INDEX coverage_organisation ON coverage (organisation_id);

-- Whom to contact where the joint procedure is not offered: area = region:<code> | province:<name> | commune:<nis>.
CREATE TABLE referrals (
    area TEXT PRIMARY KEY,
    text_fr TEXT NOT NULL,
    text_en TEXT NOT NULL
);

CREATE TABLE reference_counters (
    year BIGINT PRIMARY KEY,
    last_number BIGINT NOT NULL
);

CREATE TABLE requests (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE,
    follow_token_hash TEXT NOT NULL UNIQUE,
    coordinator_id TEXT NOT NULL REFERENCES organisations (id),
    state TEXT NOT NULL,
    applicant_kind TEXT NOT NULL,
    applicant_name TEXT NOT NULL,
    company_number TEXT,
    email TEXT NOT NULL,
    phone TEXT NOT NULL,
    language TEXT NOT NULL,
    street TEXT,
    house_number TEXT,
    locality TEXT,
    postcode TEXT NOT NULL,
    commune_nis TEXT NOT NULL,
    commune_name TEXT NOT NULL,
    map_point TEXT,
    parcel_ref TEXT,
    building TEXT NOT NULL,
    dwellings BIGINT NOT NULL,
    electricity_band TEXT,
    wished_from TEXT,
    wished_to TEXT,
    remarks TEXT,
    submitted_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX requests_coordinator ON requests (coordinator_id, state, submitted_at);
CREATE INDEX requests_commune ON requests (commune_nis, submitted_at);

CREATE TABLE request_services (
    request_id TEXT NOT NULL REFERENCES requests (id),
    service TEXT NOT NULL,
    operator_id TEXT REFERENCES organisations (id),   -- NULL: nobody serves it here
    PRIMARY KEY (request_id, service)
);

-- Every organisation a request involves; tenant scoping of requests goes through it.
CREATE TABLE request_parties (
    request_id TEXT NOT NULL REFERENCES requests (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    role TEXT NOT NULL,            -- coordinator | operator | municipality
    PRIMARY KEY (request_id, organisation_id)
);
CREATE INDEX request_parties_organisation ON request_parties (organisation_id, request_id);

-- Append-only timeline: the citizen's status page and the agents' audit trail.
CREATE TABLE request_events (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id),
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor_kind TEXT NOT NULL,      -- applicant | staff | system
    actor_id TEXT,
    actor_name TEXT,
    organisation_id TEXT,
    detail TEXT,
    public BIGINT NOT NULL
);
CREATE INDEX request_events_request ON request_events (request_id, at);

-- Mail is written here in the same transaction as the change it reports, and sent by a worker.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    request_id TEXT,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT,
    status TEXT NOT NULL,          -- pending | sent | failed
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    locked_until TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
