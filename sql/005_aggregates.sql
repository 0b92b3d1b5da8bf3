-- compatible-from: 4
-- Aggregation over any region set (design §1.6, §3.2, §3.3): raw sums and summed cell keys per
-- (period, region, stage, category). The daemon perturbs, derives rates and renders; SQL only sums,
-- so no raw figure leaves the database in a form the daemon has not protected.

-- Aggregation reads the current cells of one dimension for many periods and municipalities.
CREATE INDEX current_funnel_cells_aggregate
    ON current_funnel_cells (dimension, period, municipality_code)
    INCLUDE (stage, category, count, cell_key);

-- The last day of a quarter written '2026-Q2'.
CREATE FUNCTION period_last_day(p text) RETURNS date
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT (make_date(substr(p, 1, 4)::int, substr(p, 7, 1)::int * 3, 1)
            + interval '1 month' - interval '1 day')::date
$$;

-- Today's municipality for every code: itself, or the successor that absorbed it (herindeling),
-- followed through the whole lineage. A municipality split over several successors goes to the
-- successor of its latest lineage row (the lowest code on a tie), so nothing is counted twice.
CREATE FUNCTION current_successors() RETURNS TABLE (code text, current_code text)
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE step AS (
        SELECT DISTINCT ON (predecessor_code) predecessor_code AS code, successor_code AS next
          FROM lineage ORDER BY predecessor_code, date DESC, successor_code),
    chain (code, current_code, depth) AS (
        SELECT m.code::text, m.code::text, 0 FROM municipalities m
         WHERE NOT EXISTS (SELECT 1 FROM step s WHERE s.code = m.code)
        UNION ALL
        SELECT s.code, c.current_code, c.depth + 1
          FROM step s JOIN chain c ON c.code = s.next
         WHERE c.depth < 50)
    SELECT code, current_code FROM chain
$$;

-- Which municipalities count for which (period, region): `member` is counted in `expected` and in
-- `reporting`; `contributor` is the municipality whose stored cells are added. With p_current the
-- classification of today is used and earlier municipalities contribute to their successor.
CREATE FUNCTION region_contributions(p_set text, p_periods text[], p_regions text[],
                                     p_current boolean)
RETURNS TABLE (period text, region_code text, region_name text, member text, contributor text)
LANGUAGE sql STABLE AS $$
    WITH p AS (
        SELECT x AS period,
               CASE WHEN p_current THEN (now() AT TIME ZONE 'Europe/Amsterdam')::date
                    ELSE period_last_day(x) END AS day
          FROM unnest(p_periods) AS x),
    members AS (
        SELECT p.period, rm.region_code, r.name AS region_name, rm.municipality_code AS member
          FROM p
          JOIN region_memberships rm ON rm.set_key = p_set
                                    AND p.day BETWEEN rm.valid_from AND rm.valid_to
          JOIN municipalities m ON m.code = rm.municipality_code
                               AND p.day BETWEEN m.valid_from AND m.valid_to
          JOIN regions r ON r.set_key = rm.set_key AND r.code = rm.region_code
         WHERE p_regions IS NULL OR rm.region_code = ANY (p_regions))
    SELECT m.period, m.region_code, m.region_name, m.member, m.member
      FROM members m WHERE NOT p_current
    UNION ALL
    SELECT m.period, m.region_code, m.region_name, m.member, s.code
      FROM members m JOIN current_successors() s ON s.current_code = m.member
     WHERE p_current
$$;

-- One row per (period, region) with stage NULL: expected and submitted municipalities and the
-- child population of those that submitted. Then one row per (period, region, stage, category):
-- the stage totals (category '') and, when p_dimension is not 'total', the categories of that
-- dimension, each with the raw sum n, the summed cell key k (mod 2^32), how many municipalities
-- gave it, and the child population of exactly those municipalities (latest year at or before the
-- period's), and for the conversion from the stage before: both stages summed over the
-- municipalities that gave both (pair_*, prev_*; NULL when none did). all_raw: every member of the
-- region is in p_raw_codes (the caller may see it raw).
CREATE FUNCTION aggregate_funnels(p_set text, p_periods text[], p_regions text[],
                                  p_dimension text, p_raw_codes text[], p_current boolean)
RETURNS TABLE (period text, region_code text, region_name text, expected int, submitted int,
               all_raw boolean, stage text, category text, reporting int, n bigint, k bigint,
               population bigint, population_year int, population_missing int,
               pair_n bigint, pair_k bigint, prev_n bigint, prev_k bigint)
-- Kept a single SQL statement so PostgreSQL inlines it and plans it with the actual arguments.
-- The planner cannot estimate how many municipalities a region set holds on a day (it guesses a
-- handful where there are 342 per period), so nothing here joins two of the CTEs on a per-member
-- key: conversions use a window over each member's stages, populations an index lookup each.
LANGUAGE sql STABLE AS $$
    WITH c AS (SELECT * FROM region_contributions(p_set, p_periods, p_regions, p_current)),
    submitted AS (
        SELECT DISTINCT c.period, c.member
          FROM c JOIN submissions s ON s.kind = 'funnel' AND s.live AND s.period = c.period
                                   AND s.municipality_code = c.contributor),
    memberships AS (
        SELECT DISTINCT c.period, c.region_code, c.region_name, c.member FROM c),
    regions AS (
        SELECT m.period, m.region_code, min(m.region_name) AS region_name,
               count(*)::int AS expected,
               count(sb.member)::int AS submitted,
               coalesce(bool_and(m.member = ANY (p_raw_codes)), false) AS all_raw,
               sum(pop.population_0_17) FILTER (WHERE sb.member IS NOT NULL)::bigint AS population,
               max(pop.year) FILTER (WHERE sb.member IS NOT NULL) AS population_year,
               count(*) FILTER (WHERE sb.member IS NOT NULL
                                  AND pop.population_0_17 IS NULL)::int AS population_missing
          FROM memberships m
          LEFT JOIN submitted sb ON sb.period = m.period AND sb.member = m.member
          LEFT JOIN LATERAL (
              -- the municipality's children: its latest population year at or before the period's
              SELECT year, population_0_17 FROM populations
               WHERE municipality_code = m.member AND year <= substr(m.period, 1, 4)::int
               ORDER BY year DESC LIMIT 1) pop ON true
         GROUP BY m.period, m.region_code),
    per_member AS (
        SELECT c.period, c.region_code, c.member, f.stage, f.category, st.position,
               sum(f.count) AS n, sum(f.cell_key) AS k
          FROM c JOIN current_funnel_cells f
            ON f.dimension IN ('total', p_dimension) AND f.period = c.period
           AND f.municipality_code = c.contributor
          JOIN stages st ON st.key = f.stage
         GROUP BY c.period, c.region_code, c.member, f.stage, f.category, st.position),
    -- For conversions: the stage before, when this municipality gave it too (window, not a
    -- self-join: linear whatever the planner believes about the row counts).
    with_previous AS (
        SELECT pm.*,
               lag(pm.position) OVER w AS prev_position,
               lag(pm.n) OVER w AS prev_stage_n, lag(pm.k) OVER w AS prev_stage_k
          FROM per_member pm
        WINDOW w AS (PARTITION BY pm.period, pm.region_code, pm.member, pm.category
                     ORDER BY pm.position)),
    cells AS (
        SELECT wp.period, wp.region_code, wp.stage, wp.category,
               count(*)::int AS reporting, sum(wp.n)::bigint AS n,
               (sum(wp.k) % 4294967296)::bigint AS k,
               sum(pop.population_0_17)::bigint AS population, max(pop.year) AS population_year,
               count(*) FILTER (WHERE pop.population_0_17 IS NULL)::int AS population_missing,
               -- this stage and the one before it, summed over exactly the municipalities that
               -- gave both, so that a conversion never mixes different municipalities
               sum(wp.n) FILTER (WHERE wp.prev_position = wp.position - 1)::bigint AS pair_n,
               (sum(wp.k) FILTER (WHERE wp.prev_position = wp.position - 1)
                % 4294967296)::bigint AS pair_k,
               sum(wp.prev_stage_n) FILTER (WHERE wp.prev_position = wp.position - 1)::bigint
                   AS prev_n,
               (sum(wp.prev_stage_k) FILTER (WHERE wp.prev_position = wp.position - 1)
                % 4294967296)::bigint AS prev_k
          FROM with_previous wp
          LEFT JOIN LATERAL (
              -- the municipality's children: its latest population year at or before the period's
              SELECT year, population_0_17 FROM populations
               WHERE municipality_code = wp.member AND year <= substr(wp.period, 1, 4)::int
               ORDER BY year DESC LIMIT 1) pop ON true
         GROUP BY wp.period, wp.region_code, wp.stage, wp.category)
    SELECT r.period, r.region_code, r.region_name, r.expected, r.submitted, r.all_raw,
           NULL, NULL, NULL, NULL, NULL, r.population, r.population_year, r.population_missing,
           NULL, NULL, NULL, NULL
      FROM regions r
    UNION ALL
    SELECT x.period, x.region_code, NULL, NULL, NULL, NULL, x.stage, x.category, x.reporting,
           x.n, x.k, x.population, x.population_year, x.population_missing,
           x.pair_n, x.pair_k, x.prev_n, x.prev_k
      FROM cells x
     ORDER BY 1, 2, 7 NULLS FIRST, 8
$$;

-- Completeness (design §3.2): expected municipalities per region and which did not submit a
-- funnel or a network for the period.
CREATE FUNCTION completeness(p_set text, p_period text, p_regions text[]) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    WITH c AS (SELECT * FROM region_contributions(p_set, ARRAY[p_period], p_regions, false)),
    flags AS (
        SELECT c.region_code, min(c.region_name) AS region_name, c.member,
               bool_or(s.kind = 'funnel') AS funnel, bool_or(s.kind = 'network') AS network
          FROM c LEFT JOIN submissions s ON s.live AND s.period = c.period
                                        AND s.municipality_code = c.contributor
         GROUP BY c.region_code, c.member)
    SELECT jsonb_build_object('regionSet', p_set, 'period', p_period,
             'rows', coalesce(jsonb_agg(to_jsonb(x) - 'code' ORDER BY x.code), '[]'::jsonb))
      FROM (SELECT f.region_code AS code,
                   jsonb_build_object('code', f.region_code, 'name', min(f.region_name)) AS region,
                   count(*) AS expected,
                   count(*) FILTER (WHERE f.funnel) AS funnels,
                   count(*) FILTER (WHERE f.network) AS networks,
                   coalesce(jsonb_agg(f.member ORDER BY f.member)
                            FILTER (WHERE f.funnel IS NOT TRUE), '[]') AS "missingFunnels",
                   coalesce(jsonb_agg(f.member ORDER BY f.member)
                            FILTER (WHERE f.network IS NOT TRUE), '[]') AS "missingNetworks"
              FROM flags f GROUP BY f.region_code) x
$$;
