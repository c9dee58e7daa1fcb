-- The large pages of an organisation (the commune's dashboard, the nuisance figures) served
-- from memory while nothing they show has changed (services::kept): the revision moves with
-- every write to the organisation's figures (`nuisance_days`) and, for a commune, to its
-- permits. Moved by triggers installed by db::revisions, like `requests.revision`.
CREATE TABLE organisation_revisions (
    organisation_id TEXT PRIMARY KEY,
    revision BIGINT NOT NULL
);
INSERT INTO organisation_revisions (organisation_id, revision) SELECT id, 0 FROM organisations;
