-- Case files served from memory while nothing they show has changed (services::case_file).
-- `requests.revision` moves with every write to the request or to what hangs off it, and
-- `shared_revision` with every write to what every case file also reads (operators, their
-- coverage and crews, bookings, construction holidays, users). The triggers that move them
-- differ between SQLite and PostgreSQL and are installed by db::revisions after the
-- migrations.
ALTER TABLE requests ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;

CREATE TABLE shared_revision (
    id BIGINT PRIMARY KEY,
    revision BIGINT NOT NULL
);
INSERT INTO shared_revision (id, revision) VALUES (1, 0);
