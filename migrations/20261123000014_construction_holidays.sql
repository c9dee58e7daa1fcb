-- Construction-industry holidays ("congés du bâtiment", joint committee CP 124), platform-wide
-- reference data kept by platform administrators (page /admin/construction-holidays).
-- Civil-works crews do not work on these days and works lead times are suspended (V-8.2.2).
-- `provinces` lists province codes separated by commas (brabant_wallon, hainaut, liege,
-- luxembourg, namur); empty means all of Wallonia. Both ends of a period are included.
CREATE TABLE construction_holidays (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    first_day TEXT NOT NULL,       -- YYYY-MM-DD
    last_day TEXT NOT NULL,        -- YYYY-MM-DD
    provinces TEXT NOT NULL,
    updated_by TEXT REFERENCES users (id),  -- NULL for the periods shipped with the product
    updated_at TEXT NOT NULL
);
CREATE INDEX construction_holidays_days ON construction_holidays (first_day, last_day);

-- The periods known when the product shipped; administrators add each new year's.
INSERT INTO construction_holidays (id, name, first_day, last_day, provinces, updated_at) VALUES
    ('829d8f27-7bc0-5c81-bd3d-c2df08d9d9c9', 'Congés d''été 2025', '2025-07-14', '2025-08-01', 'brabant_wallon,namur', '2026-11-23T00:00:00.000000Z'),
    ('67a701dd-04ca-5a9b-9c2e-64210692ded9', 'Congés d''été 2025', '2025-07-07', '2025-07-28', 'hainaut', '2026-11-23T00:00:00.000000Z'),
    ('cff19961-b0c4-5206-b115-c1ed77f714ff', 'Congés d''été 2025', '2025-07-07', '2025-08-01', 'liege', '2026-11-23T00:00:00.000000Z'),
    ('dab52192-7f68-5c04-b65c-5a021de8ff56', 'Congés d''été 2025', '2025-07-22', '2025-08-08', 'luxembourg', '2026-11-23T00:00:00.000000Z'),
    ('0be6fb73-a217-59e8-8c4d-66a41ad06532', 'Jour de repos d''hiver 2026', '2026-01-02', '2026-01-02', '', '2026-11-23T00:00:00.000000Z'),
    ('64275aa8-6d72-5e34-9c2c-ab8d97ca7c17', 'Jour de repos d''hiver 2026', '2026-05-15', '2026-05-15', '', '2026-11-23T00:00:00.000000Z'),
    ('a879f14a-c57a-5a92-a936-5eaef51bf14a', 'Jours de repos d''hiver 2026', '2026-12-21', '2026-12-24', '', '2026-11-23T00:00:00.000000Z');
