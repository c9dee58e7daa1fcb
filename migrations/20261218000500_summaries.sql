-- Read models of the large pages, kept in the transaction of every write that changes them
-- (db::summaries): the officer queue's counts per state and its communes, per organisation
-- party of the requests (a tenant counts only the requests it is a party of); the nuisance
-- figures (C-6) per organisation, commune, street and day of the done joint days, from a
-- ledger of each request's done joint days. The pages read a few hundred rows instead of
-- every request and every joint day.

-- Per organisation and state, how many of the requests it is a party of are in that state.
CREATE TABLE queue_counts (
    organisation_id TEXT NOT NULL,
    state TEXT NOT NULL,
    requests BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, state)
);

-- Per organisation, the communes (code and name as filed) of the requests it is a party of.
CREATE TABLE queue_communes (
    organisation_id TEXT NOT NULL,
    commune_nis TEXT NOT NULL,
    commune_name TEXT NOT NULL,
    requests BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, commune_nis, commune_name)
);

-- One row per done joint day of a request (every operator's works recorded done): what it
-- adds to the figures. `street` is the street as filed ('' for none); with civil works
-- (`civil_works` 1) the shared trench metres in billionths of a metre (`trench_nano`) and
-- the number of decimals they were written with (`trench_scale`), else 0 and 0.
CREATE TABLE nuisance_ledger (
    request_id TEXT NOT NULL REFERENCES requests (id),
    day TEXT NOT NULL,
    commune_nis TEXT NOT NULL,
    street TEXT NOT NULL,
    operators BIGINT NOT NULL,
    civil_works BIGINT NOT NULL,
    trench_scale BIGINT NOT NULL,
    trench_nano BIGINT NOT NULL,
    PRIMARY KEY (request_id, day)
);

-- The ledger summed per organisation party of the requests, commune, street, day and
-- number of decimals of the trench metres.
CREATE TABLE nuisance_days (
    organisation_id TEXT NOT NULL,
    commune_nis TEXT NOT NULL,
    day TEXT NOT NULL,
    street TEXT NOT NULL,
    trench_scale BIGINT NOT NULL,
    works_days BIGINT NOT NULL,
    crew_visits_avoided BIGINT NOT NULL,
    openings_made BIGINT NOT NULL,
    openings_separate BIGINT NOT NULL,
    trench_nano BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, commune_nis, day, street, trench_scale)
);
-- Every commune of a tenant over a period, read from the index alone.
CREATE INDEX nuisance_days_period ON nuisance_days (organisation_id, day, commune_nis, street,
    trench_scale, works_days, crew_visits_avoided, openings_made, openings_separate, trench_nano);

-- Backfill (db::summaries::rebuild runs the statements below again).
INSERT INTO queue_counts (organisation_id, state, requests)
SELECT p.organisation_id, r.state, COUNT(*)
FROM request_parties p JOIN requests r ON r.id = p.request_id
GROUP BY p.organisation_id, r.state;

INSERT INTO queue_communes (organisation_id, commune_nis, commune_name, requests)
SELECT p.organisation_id, r.commune_nis, r.commune_name, COUNT(*)
FROM request_parties p JOIN requests r ON r.id = p.request_id
GROUP BY p.organisation_id, r.commune_nis, r.commune_name;

INSERT INTO nuisance_ledger (request_id, day, commune_nis, street, operators, civil_works, trench_scale, trench_nano)
SELECT x.request_id, x.day, x.commune_nis, x.street, COUNT(*), MAX(x.civil_works),
    CASE WHEN MAX(x.civil_works) = 1 THEN MAX(CASE WHEN x.place = 2 THEN x.scale ELSE 0 END) ELSE 0 END,
    CASE WHEN MAX(x.civil_works) = 1 THEN MAX(CASE WHEN x.place = 2 THEN x.nano ELSE 0 END) ELSE 0 END
FROM (
    SELECT v.request_id, v.day, r.commune_nis, COALESCE(r.street, '') AS street,
        c.civil_works, v.done_at,
        -- the second-longest trench of the day (stable order: by service among equals)
        ROW_NUMBER() OVER (PARTITION BY v.request_id, v.day
            ORDER BY CAST(COALESCE(w.trench_metres, '0') AS NUMERIC) DESC, v.service) AS place,
        CASE WHEN w.trench_metres LIKE '%.%'
            THEN LENGTH(w.trench_metres) - LENGTH(RTRIM(w.trench_metres, '0123456789'))
            ELSE 0 END AS scale,
        CAST(ROUND(CAST(COALESCE(w.trench_metres, '0') AS NUMERIC) * 1000000000) AS BIGINT) AS nano
    FROM reservations v
    JOIN crews c ON c.id = v.crew_id
    JOIN requests r ON r.id = v.request_id
    LEFT JOIN permits pm ON pm.request_id = r.id AND pm.status <> 'cancelled'
    LEFT JOIN permit_works w ON w.permit_id = pm.id AND w.service = v.service
) x
GROUP BY x.request_id, x.day, x.commune_nis, x.street
HAVING SUM(CASE WHEN x.done_at IS NULL THEN 1 ELSE 0 END) = 0;

INSERT INTO nuisance_days (organisation_id, commune_nis, day, street, trench_scale, works_days, crew_visits_avoided, openings_made, openings_separate, trench_nano)
SELECT p.organisation_id, l.commune_nis, l.day, l.street, l.trench_scale, COUNT(*),
    SUM(l.operators - 1), SUM(l.civil_works), SUM(l.civil_works * l.operators), SUM(l.trench_nano)
FROM nuisance_ledger l JOIN request_parties p ON p.request_id = l.request_id
GROUP BY p.organisation_id, l.commune_nis, l.day, l.street, l.trench_scale;
