-- Issue 21: when an operator's answer became overdue was recorded, so that `assessment.late` is
-- sent once per assessment (NULL while on time or not yet seen late).
ALTER TABLE assessments ADD COLUMN late_at TEXT;
