-- Issue 21: signed webhooks. An organisation's administrator registers endpoints and the
-- events each wants. The signing secret is kept as is (the server signs every delivery with
-- it, so it must be readable here, unlike an API key's secret which is only compared).
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    -- 1 while deliveries are sent; 0 once switched off by its administrator or disabled
    -- after failing for days
    active BIGINT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    -- the first failed attempt since the last success; NULL while it answers
    failing_since TEXT,
    -- when it was disabled for failing (NULL when switched off by hand or active)
    disabled_at TEXT
);

CREATE INDEX webhook_endpoints_organisation ON webhook_endpoints (organisation_id, created_at);

-- The events an endpoint wants, from the fixed list of the product.
CREATE TABLE webhook_endpoint_events (
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id),
    event_type TEXT NOT NULL,
    PRIMARY KEY (endpoint_id, event_type)
);

CREATE INDEX webhook_endpoint_events_type ON webhook_endpoint_events (event_type, endpoint_id);

-- One row per event and endpoint, written in the transaction of the change it reports, then
-- claimed and sent by the webhook worker like the mail outbox: retried with backoff, sent in
-- order per request and endpoint (ids are time-ordered uuids).
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id),
    -- the same for every endpoint told of one event, and for every attempt of it
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    request_id TEXT REFERENCES requests (id),
    body TEXT NOT NULL,
    -- pending | delivered
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    locked_until TEXT,
    last_attempt_at TEXT,
    -- the receiver's HTTP status, or NULL when none came (the error says why)
    last_status BIGINT,
    last_error TEXT,
    last_duration_ms BIGINT,
    created_at TEXT NOT NULL,
    delivered_at TEXT
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, request_id, status);
