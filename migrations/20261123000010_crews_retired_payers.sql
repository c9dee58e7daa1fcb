-- Crews are retired, not deleted: their past reservations keep naming them.
ALTER TABLE crews ADD COLUMN retired_at TEXT;

-- A commune acting as project owner pays after the works (V-8.2.1): set by the case officer.
ALTER TABLE requests ADD COLUMN pays_after_works BIGINT NOT NULL DEFAULT 0;
