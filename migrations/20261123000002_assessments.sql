-- Each involved operator's answer to a request (fan-out). The row is also the durable task:
-- a worker claims it with a lease, answers it once, and a crash only delays it.
CREATE TABLE assessments (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    service TEXT NOT NULL,
    status TEXT NOT NULL,            -- pending | answered | failed
    version BIGINT NOT NULL DEFAULT 0,
    feasibility TEXT,                -- feasible | feasible_with_extension | not_available | refused
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    locked_until TEXT,
    last_error TEXT,
    due_at TEXT NOT NULL,            -- flagged to the case officer when still unanswered then
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (request_id, organisation_id, service)
);
CREATE INDEX assessments_due ON assessments (status, next_attempt_at);
CREATE INDEX assessments_organisation ON assessments (organisation_id, status);

-- Every version of an answer, by the module or adjusted by operator staff with a reason.
CREATE TABLE assessment_versions (
    assessment_id TEXT NOT NULL REFERENCES assessments (id),
    version BIGINT NOT NULL,
    feasibility TEXT NOT NULL,
    body TEXT NOT NULL,              -- JSON: prerequisites, crew need, lead time, reasons
    actor_kind TEXT NOT NULL,        -- system | staff
    actor_id TEXT,
    reason TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (assessment_id, version)
);
