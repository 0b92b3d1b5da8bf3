-- compatible-from: 1
-- The built-in region sets and the 2023 classification of the 342 municipalities (design §1.6).
-- This file creates the sets and the national region; the rows of sql/gebieden-2023.csv (see
-- gebieden-2023.SOURCE.md) are then loaded by migrate.c's data step for version 3, in this same
-- transaction: municipalities, provinces, safety regions and every membership of the four
-- built-in sets, materialised so that aggregation treats all region sets alike.

INSERT INTO region_sets (key, name_nl, name_en, builtin, code_prefix) VALUES
('municipality', 'Gemeenten', 'Municipalities', true, 'GM'),
('nation', 'Nederland', 'The Netherlands', true, 'NL'),
('province', 'Provincies', 'Provinces', true, 'PV'),
('safetyRegion', 'Veiligheidsregio''s', 'Safety regions', true, 'VR');

INSERT INTO regions (set_key, code, name) VALUES ('nation', 'NL01', 'Nederland');
