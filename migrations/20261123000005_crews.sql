-- Operators' crews, where they work, when they are away, and how much of each day is booked.
CREATE TABLE crews (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    service TEXT NOT NULL,
    name TEXT NOT NULL,
    daily_capacity BIGINT NOT NULL,
    civil_works BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (organisation_id, name)
);

CREATE TABLE crew_communes (
    crew_id TEXT NOT NULL REFERENCES crews (id),
    commune_nis TEXT NOT NULL,
    PRIMARY KEY (crew_id, commune_nis)
);
CREATE INDEX crew_communes_commune ON crew_communes (commune_nis);

CREATE TABLE crew_absences (
    crew_id TEXT NOT NULL REFERENCES crews (id),
    day TEXT NOT NULL,
    PRIMARY KEY (crew_id, day)
);

-- One row per crew and day with bookings: the guarded increment is the reservation's lock.
CREATE TABLE crew_days (
    crew_id TEXT NOT NULL REFERENCES crews (id),
    day TEXT NOT NULL,
    booked BIGINT NOT NULL,
    PRIMARY KEY (crew_id, day)
);

-- The joint day of a request and the crew each operator sends (rule C-4).
CREATE TABLE reservations (
    request_id TEXT NOT NULL REFERENCES requests (id),
    crew_id TEXT NOT NULL REFERENCES crews (id),
    service TEXT NOT NULL,
    day TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (request_id, service)
);
CREATE INDEX reservations_day ON reservations (day);
