-- Whether an answer's version left its part without a price for lack of a tariff book in
-- force on its date (V-5): recorded with the version (db::assessments) instead of searched for
-- in the text of every answer on each page of the queue.
ALTER TABLE assessment_versions ADD COLUMN no_tariff BIGINT NOT NULL DEFAULT 0;
UPDATE assessment_versions SET no_tariff = 1
WHERE body LIKE '%"unpriced":{"kind":"no_book_in_force"%' OR body LIKE '%"tariff_unavailable"%';
-- The queue's flag reads it from the index, without the version's text.
CREATE INDEX assessment_versions_no_tariff ON assessment_versions (assessment_id, version, no_tariff);
