-- Issue 21: when an operator was reminded that its answer falls due within a day was recorded,
-- so that `assessment.due` is sent once per assessment (NULL until then).
ALTER TABLE assessments ADD COLUMN due_soon_at TEXT;
