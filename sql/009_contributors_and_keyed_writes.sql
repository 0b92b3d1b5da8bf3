-- compatible-from: 8
-- Issue 20. Only adds: the previous binary keeps working on this schema (docs/operations.md §9).
--
-- 1. Which municipalities contribute to an aggregate row. Under boundaries=current a row of
--    today's municipality also sums its predecessors (the lineage), so "every member may be seen
--    raw" is not "every contributing figure may be seen raw" (design §3.3). aggregate_funnels gains
--    a form without p_raw_codes that lists the contributors of each (period, region) instead of
--    deciding raw-ness: who sees what is decided in C (core/access), from that list. The old form
--    stays for the previous binary, now deciding from the contributors too (so that binary stops
--    showing a predecessor's figures raw); it goes in a later migration.
--
-- 2. Idempotency-Key on PUT and DELETE of funnels and networks, as on imports (design §3.1, §6):
--    one table and one pair of functions for every keyed write. A key belongs to one principal
--    and one request — method, path and the SHA-256 of the body; the first answer is kept in the
--    write's own transaction (so a write and its kept answer commit together or not at all) and
--    answered again for 24 hours; the same key with another request, or while the first is still
--    running, gets an idempotency-... word (409 over HTTP, api/outcome.c).

---------------------------------------------------------------------------------------------------
-- 1. Contributors

-- As the six-argument form before it (sql/005), but the region rows (stage NULL) carry
-- `contributors`: the codes of every municipality whose stored cells are added into the row —
-- the members, and under p_current their predecessors — sorted, joined by ','. NULL on cell rows.
CREATE FUNCTION aggregate_funnels(p_set text, p_periods text[], p_regions text[],
                                  p_dimension text, p_current boolean)
RETURNS TABLE (period text, region_code text, region_name text, expected int, submitted int,
               contributors text, stage text, category text, reporting int, n bigint, k bigint,
               population bigint, population_year int, population_missing int,
               pair_n bigint, pair_k bigint, prev_n bigint, prev_k bigint)
-- One SQL statement, so that PostgreSQL inlines it (see sql/005 for why nothing here joins two of
-- the CTEs on a per-member key; the contributors ride along with each member for the same reason).
LANGUAGE sql STABLE AS $$
    WITH c AS (SELECT * FROM region_contributions(p_set, p_periods, p_regions, p_current)),
    submitted AS (
        SELECT DISTINCT c.period, c.member
          FROM c JOIN submissions s ON s.kind = 'funnel' AND s.live AND s.period = c.period
                                   AND s.municipality_code = c.contributor),
    memberships AS (
        SELECT c.period, c.region_code, min(c.region_name) AS region_name, c.member,
               string_agg(c.contributor, ',' ORDER BY c.contributor) AS contributors
          FROM c GROUP BY c.period, c.region_code, c.member),
    regions AS (
        SELECT m.period, m.region_code, min(m.region_name) AS region_name,
               count(*)::int AS expected,
               count(sb.member)::int AS submitted,
               string_agg(m.contributors, ',' ORDER BY m.member) AS contributors,
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
               sum(wp.n) FILTER (WHERE wp.prev_position = wp.position - 1)::bigint AS pair_n,
               (sum(wp.k) FILTER (WHERE wp.prev_position = wp.position - 1)
                % 4294967296)::bigint AS pair_k,
               sum(wp.prev_stage_n) FILTER (WHERE wp.prev_position = wp.position - 1)::bigint
                   AS prev_n,
               (sum(wp.prev_stage_k) FILTER (WHERE wp.prev_position = wp.position - 1)
                % 4294967296)::bigint AS prev_k
          FROM with_previous wp
          LEFT JOIN LATERAL (
              SELECT year, population_0_17 FROM populations
               WHERE municipality_code = wp.member AND year <= substr(wp.period, 1, 4)::int
               ORDER BY year DESC LIMIT 1) pop ON true
         GROUP BY wp.period, wp.region_code, wp.stage, wp.category)
    SELECT r.period, r.region_code, r.region_name, r.expected, r.submitted, r.contributors,
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

-- The previous binary's form: all_raw now holds only when every contributor, not merely every
-- member, is in p_raw_codes. To be dropped once no binary of schema version 8 runs.
CREATE OR REPLACE FUNCTION aggregate_funnels(p_set text, p_periods text[], p_regions text[],
                                             p_dimension text, p_raw_codes text[],
                                             p_current boolean)
RETURNS TABLE (period text, region_code text, region_name text, expected int, submitted int,
               all_raw boolean, stage text, category text, reporting int, n bigint, k bigint,
               population bigint, population_year int, population_missing int,
               pair_n bigint, pair_k bigint, prev_n bigint, prev_k bigint)
LANGUAGE sql STABLE AS $$
    SELECT a.period, a.region_code, a.region_name, a.expected, a.submitted,
           CASE WHEN a.stage IS NULL
                THEN coalesce(string_to_array(a.contributors, ',') <@ p_raw_codes, false) END,
           a.stage, a.category, a.reporting, a.n, a.k, a.population, a.population_year,
           a.population_missing, a.pair_n, a.pair_k, a.prev_n, a.prev_k
      FROM aggregate_funnels(p_set, p_periods, p_regions, p_dimension, p_current) a
     ORDER BY 1, 2, 7 NULLS FIRST, 8
$$;

---------------------------------------------------------------------------------------------------
-- 2. Keyed writes

-- Existing keys are all imports'. `status` is no longer written (SQL answers words, not HTTP
-- statuses); it is dropped in a later migration.
ALTER TABLE idempotency_keys
    ADD COLUMN method text NOT NULL DEFAULT 'POST' CHECK (method IN ('POST', 'PUT', 'DELETE')),
    ADD COLUMN path text NOT NULL DEFAULT '/v1/imports' CHECK (length(path) BETWEEN 1 AND 255),
    ALTER COLUMN status DROP NOT NULL;
COMMENT ON TABLE idempotency_keys IS
    'The first answer of a keyed write (Idempotency-Key, design §3.1) per (principal, key), kept '
    '24 hours: for the request method, path and SHA-256 of body that first used the key. '
    'response is what the write function answered.';

-- Opens a keyed write; call it first in the write's transaction. Holds the key (a transaction
-- advisory lock) until that transaction ends, and forgets keys older than 24 hours. Returns NULL
-- when the key is new — the caller writes, then idempotency_keep()s its answer in the same
-- transaction — else {"outcome": "replayed", "response": the answer kept} or {"outcome":
-- "idempotency-running" (another transaction holds the key) | "idempotency-other-body" (the key
-- was first used for another method, path or body)}.
CREATE FUNCTION idempotency_claim(p_principal_id bigint, p_key text, p_method text, p_path text,
                                  p_body_sha256 text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    kept idempotency_keys;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtextextended(p_principal_id::text || '|' || p_key, 7))
    THEN
        RETURN jsonb_build_object('outcome', 'idempotency-running');
    END IF;
    DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours';
    SELECT * INTO kept FROM idempotency_keys
     WHERE principal_id = p_principal_id AND key = p_key;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF kept.method <> p_method OR kept.path <> p_path OR kept.body_sha256 <> p_body_sha256 THEN
        RETURN jsonb_build_object('outcome', 'idempotency-other-body');
    END IF;
    RETURN jsonb_build_object('outcome', 'replayed', 'response', kept.response);
END;
$$;

-- Keeps the answer of a keyed write that idempotency_claim() opened, in the same transaction.
CREATE FUNCTION idempotency_keep(p_principal_id bigint, p_key text, p_method text, p_path text,
                                 p_body_sha256 text, p_response jsonb)
RETURNS void
LANGUAGE sql AS $$
    INSERT INTO idempotency_keys (principal_id, key, method, path, body_sha256, response)
    VALUES (p_principal_id, p_key, p_method, p_path, p_body_sha256, p_response)
$$;

-- The path of a singular resource, as the audit trail and the kept keys name it.
CREATE FUNCTION submission_path(p_kind text, p_code text, p_period text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT format('/v1/municipalities/%s/%ss/%s', p_code, p_kind, p_period)
$$;

-- put_submission (sql/008) with an Idempotency-Key: p_key NULL writes as put_submission does.
-- With a key, a repeat of the request answers put_submission's first answer again with
-- "replayed": true, writing nothing; answers created, updated and unchanged of a write that is not
-- a dry run are kept. Other words as put_submission, plus idempotency-running and
-- idempotency-other-body.
CREATE FUNCTION put_submission_once(p_key text, p_body_sha256 text,
                                    p_kind text, p_code text, p_period text, p_previous text,
                                    p_content jsonb, p_cells jsonb, p_warnings jsonb,
                                    p_if_match int, p_dry_run boolean,
                                    p_principal_id bigint, p_principal_label text,
                                    p_request_id text, p_client_address text,
                                    p_outlier_min int, p_outlier_ratio_pct int)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    path text := submission_path(p_kind, p_code, p_period);
    claim jsonb;
    result jsonb;
BEGIN
    IF p_key IS NOT NULL THEN
        claim := idempotency_claim(p_principal_id, p_key, 'PUT', path, p_body_sha256);
        IF claim->>'outcome' = 'replayed' THEN
            RETURN (claim->'response') || jsonb_build_object('replayed', true);
        ELSIF claim IS NOT NULL THEN
            RETURN jsonb_build_object('status', claim->>'outcome');
        END IF;
    END IF;
    result := put_submission(p_kind, p_code, p_period, p_previous, p_content, p_cells,
                             p_warnings, p_if_match, p_dry_run, p_principal_id,
                             p_principal_label, p_request_id, p_client_address, p_outlier_min,
                             p_outlier_ratio_pct);
    IF p_key IS NOT NULL AND NOT p_dry_run
       AND result->>'status' IN ('created', 'updated', 'unchanged') THEN
        PERFORM idempotency_keep(p_principal_id, p_key, 'PUT', path, p_body_sha256, result);
    END IF;
    RETURN result;
END;
$$;

-- delete_submission (sql/004) with an Idempotency-Key, kept for the answer deleted; as
-- put_submission_once otherwise.
CREATE FUNCTION delete_submission_once(p_key text, p_body_sha256 text,
                                       p_kind text, p_code text, p_period text, p_if_match int,
                                       p_principal_id bigint, p_principal_label text,
                                       p_request_id text, p_client_address text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    path text := submission_path(p_kind, p_code, p_period);
    claim jsonb;
    result jsonb;
BEGIN
    IF p_key IS NOT NULL THEN
        claim := idempotency_claim(p_principal_id, p_key, 'DELETE', path, p_body_sha256);
        IF claim->>'outcome' = 'replayed' THEN
            RETURN (claim->'response') || jsonb_build_object('replayed', true);
        ELSIF claim IS NOT NULL THEN
            RETURN jsonb_build_object('status', claim->>'outcome');
        END IF;
    END IF;
    result := delete_submission(p_kind, p_code, p_period, p_if_match, p_principal_id,
                                p_principal_label, p_request_id, p_client_address);
    IF p_key IS NOT NULL AND result->>'status' = 'deleted' THEN
        PERFORM idempotency_keep(p_principal_id, p_key, 'DELETE', path, p_body_sha256, result);
    END IF;
    RETURN result;
END;
$$;

-- import_funnels (sql/008) with the key handling of idempotency_claim/idempotency_keep: the same
-- signature and the same answers as before.
CREATE OR REPLACE FUNCTION import_funnels(p_items jsonb, p_allowed text[], p_dry_run boolean,
                               p_key text, p_body_sha256 text,
                               p_principal_id bigint, p_principal_label text, p_request_id text,
                               p_client_address text, p_outlier_min int, p_outlier_ratio_pct int,
                               p_skipped int)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    claim jsonb;
    item jsonb;
    result jsonb;
    errors jsonb := '[]'::jsonb;
    warnings jsonb := '[]'::jsonb;
    created int := 0;
    updated int := 0;
    unchanged int := 0;
    answer jsonb;
    outcome text;
BEGIN
    IF p_key IS NOT NULL THEN
        claim := idempotency_claim(p_principal_id, p_key, 'POST', '/v1/imports', p_body_sha256);
        IF claim->>'outcome' = 'replayed' THEN
            RETURN jsonb_build_object('outcome', 'replayed', 'body', claim->'response');
        ELSIF claim IS NOT NULL THEN
            RETURN claim;
        END IF;
    END IF;

    FOR item IN SELECT * FROM jsonb_array_elements(p_items) LOOP
        IF NOT EXISTS (SELECT 1 FROM municipalities WHERE code = item->>'municipality') THEN
            errors := errors || jsonb_build_object('in', 'body', 'pointer', item->>'pointer',
                'code', 'unknown-municipality',
                'detail', format('%s is not a known municipality code', item->>'municipality'));
        ELSIF p_allowed IS NOT NULL AND NOT (item->>'municipality' = ANY (p_allowed)) THEN
            errors := errors || jsonb_build_object('in', 'body', 'pointer', item->>'pointer',
                'code', 'forbidden',
                'detail', format('this token may not write figures of %s', item->>'municipality'));
        END IF;
    END LOOP;
    IF jsonb_array_length(errors) > 0 THEN
        outcome := CASE WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(errors) e
                                      WHERE e->>'code' = 'unknown-municipality')
                        THEN 'import-invalid' ELSE 'import-forbidden' END;
        answer := jsonb_build_object('status', 'rejected', 'created', 0, 'updated', 0,
                                     'unchanged', 0, 'skipped', p_skipped,
                                     'rejected', jsonb_array_length(p_items),
                                     'warnings', '[]'::jsonb, 'errors', errors);
    ELSE
        FOR item IN SELECT * FROM jsonb_array_elements(p_items) LOOP
            result := put_submission('funnel', item->>'municipality', item->>'period',
                                     item->>'previous', item->'content', item->'cells',
                                     item->'warnings', NULL, p_dry_run, p_principal_id,
                                     p_principal_label, p_request_id, p_client_address,
                                     p_outlier_min, p_outlier_ratio_pct);
            CASE result->>'status'
                WHEN 'created' THEN created := created + 1;
                WHEN 'updated' THEN updated := updated + 1;
                ELSE unchanged := unchanged + 1;
            END CASE;
            IF result->>'status' <> 'unchanged' THEN
                warnings := warnings || coalesce((
                    SELECT jsonb_agg(w || jsonb_build_object(
                               'pointer', (item->>'pointer') || (w->>'pointer')))
                      FROM jsonb_array_elements(result->'document'->'warnings') w), '[]'::jsonb);
            END IF;
        END LOOP;
        outcome := CASE WHEN p_dry_run THEN 'validated' ELSE 'imported' END;
        answer := jsonb_build_object(
            'status', CASE WHEN p_dry_run THEN 'validated' ELSE 'imported' END,
            'dryRun', p_dry_run, 'created', created, 'updated', updated,
            'unchanged', unchanged, 'skipped', p_skipped, 'rejected', 0, 'warnings', warnings,
            'errors', '[]'::jsonb);
    END IF;
    IF p_key IS NOT NULL AND outcome = 'imported' THEN
        PERFORM idempotency_keep(p_principal_id, p_key, 'POST', '/v1/imports', p_body_sha256,
                                 answer);
    END IF;
    RETURN jsonb_build_object('outcome', outcome, 'body', answer);
END;
$$;
