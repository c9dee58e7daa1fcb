-- The queue pages through a tenant's requests, newest first or most urgent first, and flags
-- the requests of one page in one query. These indexes keep both orders and the filters fast
-- with a hundred thousand requests: the page reads an index in order and stops after its
-- rows instead of sorting every request.

-- Newest first (read backwards), for every tenant.
CREATE INDEX requests_submitted ON requests (submitted_at, reference);

-- Most urgent first: requests in progress before finished ones, the earliest filed first.
-- The expression is the one of the queue's ORDER BY (db::requests::URGENCY), character for
-- character, so both engines use the index for it.
CREATE INDEX requests_urgency ON requests (
    (CASE WHEN state IN ('done', 'closed', 'withdrawn', 'refused', 'lapsed') THEN 1 ELSE 0 END),
    submitted_at,
    reference
);

-- The state filter and the counts per state; the officer filter.
CREATE INDEX requests_state ON requests (state, submitted_at);
CREATE INDEX requests_assigned ON requests (assigned_to, submitted_at);

-- The flags of one page: permits of the page's requests (any status).
CREATE INDEX permits_request ON permits (request_id, status);
