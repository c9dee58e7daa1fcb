-- Construction-industry holidays 2027 ("congés du bâtiment", joint committee CP 124), so that
-- joint days and works lead times of 2027 skip them (V-8.2.2). Same table and conventions as
-- 20261123000014: provinces separated by commas, empty for all of Wallonia, both ends included;
-- updated_by stays NULL (shipped with the product).
--
-- ILLUSTRATIVE DATES: the joint committee sets the real ones yearly. These follow the pattern of
-- the known years: winter rest days on the bridge after Ascension (Thursday 6 May 2027) and the
-- week before Christmas (Saturday 25 December 2027), as in 2026; summer holidays per province
-- on the same weekdays as in 2025. Platform administrators correct them on
-- /admin/construction-holidays once the official calendar is published.
INSERT INTO construction_holidays (id, name, first_day, last_day, provinces, updated_at) VALUES
    ('33d9f617-9a88-4717-aaf4-37fa3f0b663e', 'Jour de repos d''hiver 2027', '2027-05-07', '2027-05-07', '', '2026-12-02T00:00:00.000000Z'),
    ('8a56c2be-8941-4d40-8a52-0e8db17c5aec', 'Congés d''été 2027', '2027-07-12', '2027-07-30', 'brabant_wallon,namur', '2026-12-02T00:00:00.000000Z'),
    ('aaa66c9e-1cc9-4e32-8ed7-baafbae5b0f6', 'Congés d''été 2027', '2027-07-05', '2027-07-26', 'hainaut', '2026-12-02T00:00:00.000000Z'),
    ('0f7bc7a7-5bd0-4799-96b2-c1c777f076a1', 'Congés d''été 2027', '2027-07-05', '2027-07-30', 'liege', '2026-12-02T00:00:00.000000Z'),
    ('476ac27c-52df-4e84-8788-cce433281a13', 'Congés d''été 2027', '2027-07-20', '2027-08-06', 'luxembourg', '2026-12-02T00:00:00.000000Z'),
    ('fc936fdd-9b4d-4c93-be72-803490582596', 'Jours de repos d''hiver 2027', '2027-12-20', '2027-12-24', '', '2026-12-02T00:00:00.000000Z');
