-- Crews are retired, not deleted: their past reservations keep naming them.
ALTER TABLE crews ADD COLUMN retired_at TEXT;
