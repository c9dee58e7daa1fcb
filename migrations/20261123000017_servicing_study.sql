-- ORES' study of a servicing (JSON): existing supply points outside the land fed by the cabins
-- (V-9.2 PFext), the measured cabin surface, the surcharge of special demands (V-4.2) and the
-- work quoted separately (V-4.1d). NULL until ORES electricity records it.
ALTER TABLE requests ADD COLUMN servicing_study TEXT;
