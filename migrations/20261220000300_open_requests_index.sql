-- The officer's queue opens on the requests still to work on, newest first: read from an index
-- of those alone instead of skipping every finished request filed since. Its WHERE is the
-- queue's "open" filter (domain::tenancy::StateFilter::FINISHED), which db::requests writes
-- with the same literal terms so that SQLite and PostgreSQL see the index applies.
CREATE INDEX requests_open_newest ON requests (submitted_at, reference)
    WHERE state <> 'closed' AND state <> 'withdrawn' AND state <> 'refused';
