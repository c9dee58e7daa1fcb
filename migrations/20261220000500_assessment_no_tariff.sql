-- The no-tariff mark of each part's current answer, kept on the part itself (db::assessments
-- sets it with every new version): the queue's flags then read the parts of a page's requests
-- once, without looking up each one's current version.
ALTER TABLE assessments ADD COLUMN no_tariff BIGINT NOT NULL DEFAULT 0;
UPDATE assessments SET no_tariff = 1
WHERE EXISTS (SELECT 1 FROM assessment_versions v
              WHERE v.assessment_id = assessments.id AND v.version = assessments.version
                AND v.no_tariff = 1);
-- Nothing reads the versions' mark through an index any more.
DROP INDEX assessment_versions_no_tariff;
