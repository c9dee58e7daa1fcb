-- The joint road-works permit (rule C-6): one request per site covering every operator's works.

-- What the case officer states about the site's road works, before or after the joint day is
-- reserved; the permit shows it as it is now.
CREATE TABLE permit_sites (
    request_id TEXT PRIMARY KEY REFERENCES requests (id),
    road_type TEXT NOT NULL,          -- communal | regional
    sidewalk_openings BIGINT NOT NULL,
    road_openings BIGINT NOT NULL,
    traffic_measures TEXT,
    site_point TEXT,                  -- WGS 84 "lat, lon" (typed in WGS 84 or Lambert 72)
    updated_at TEXT NOT NULL,
    updated_by TEXT REFERENCES users (id)
);

-- One row per permit request; a cancelled joint day cancels it, a new day makes a new one.
CREATE TABLE permits (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id),
    municipality_id TEXT REFERENCES organisations (id),  -- NULL: the commune is not on the portal
    commune_nis TEXT NOT NULL,
    status TEXT NOT NULL,             -- pending | information_requested | approved | approved_with_conditions | refused | cancelled | offline
    day TEXT NOT NULL,                -- the joint day the works are planned on
    requested_at TEXT NOT NULL,
    due_on TEXT NOT NULL,             -- the commune decides by this day
    decision_text TEXT,               -- the conditions, the question or the refusal's reason
    decided_at TEXT,
    decided_by TEXT REFERENCES users (id),
    conditions_acknowledged_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX permits_open_per_request ON permits (request_id) WHERE status <> 'cancelled';
CREATE INDEX permits_municipality ON permits (municipality_id, status, due_on);

-- Each operator's works under the permit, with the trench it needs.
CREATE TABLE permit_works (
    permit_id TEXT NOT NULL REFERENCES permits (id),
    service TEXT NOT NULL,
    operator_id TEXT REFERENCES organisations (id),
    civil_works BIGINT NOT NULL,
    trench_metres TEXT NOT NULL,      -- decimal
    PRIMARY KEY (permit_id, service)
);

-- Who did what on a permit, when: the commune's decisions, the officer's answers.
CREATE TABLE permit_actions (
    id TEXT PRIMARY KEY,
    permit_id TEXT NOT NULL REFERENCES permits (id),
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    actor_id TEXT REFERENCES users (id),
    actor_name TEXT,
    organisation_id TEXT REFERENCES organisations (id),
    text TEXT
);
CREATE INDEX permit_actions_permit ON permit_actions (permit_id, at);
