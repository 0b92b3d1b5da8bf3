-- compatible-from: 9
-- Issue 13, design §8: releases, and the revision cap. Only adds: the previous binary keeps
-- working on this schema.
--
-- A release freezes what protected readers see of one period. It is made in two statements, both
-- called by the daemon (api/h_releases.c):
--   1. release_snapshot(period): every region set, both boundary modes, totals and every
--      dimension, summed as aggregate_funnels sums them — in ONE statement, so in one snapshot:
--      the sums, the revisions that count and the coverage all belong to the same moment;
--   2. create_release(...): the rows the daemon made of them (the published, perturbed row and
--      the raw row of every region, as core/aggregate renders them with the protection parameters
--      of that moment) stored with the revisions that counted. Reads of a release are lookups of
--      those stored rows (release_funnel_rows): nothing done later — revisions, deletes, loads,
--      rekey, other parameters — changes what a release answers.

CREATE TABLE releases (
    id                text PRIMARY KEY,
    period            period_text NOT NULL,
    number            int NOT NULL CHECK (number >= 1),
    status            text NOT NULL CHECK (status IN ('provisional', 'final')),
    open              boolean NOT NULL DEFAULT false,
    released_at       timestamptz NOT NULL DEFAULT now(),
    released_by_id    bigint NULL,
    released_by_label text NULL,
    supersedes        text NULL REFERENCES releases (id),
    coverage          jsonb NOT NULL CHECK (jsonb_typeof(coverage) = 'object'),
    parameters        jsonb NOT NULL CHECK (jsonb_typeof(parameters) = 'object'),
    UNIQUE (period, number),
    CHECK (id = period || '-r' || number)
);
COMMENT ON TABLE releases IS
    'Frozen, citable figures of one period (design §8); ids {period}-r{n}, n from 1 per period.';
COMMENT ON COLUMN releases.parameters IS
    'The protection parameters the published rows were made with: {"js", "d", "rateMin"}.';

-- The revision of every municipality's funnel and network that counted in a release.
CREATE TABLE release_revisions (
    release_id        text NOT NULL REFERENCES releases (id),
    kind              text NOT NULL CHECK (kind IN ('funnel', 'network')),
    municipality_code text NOT NULL,
    revision          int NOT NULL CHECK (revision >= 1),
    PRIMARY KEY (release_id, kind, municipality_code)
);

-- The rows of /v1/funnels a release answers: per region set, boundary mode and breakdown
-- ('' for totals only), one per region, in the order the live read gives them.
CREATE TABLE release_rows (
    release_id         text NOT NULL REFERENCES releases (id),
    region_set         text NOT NULL,
    current_boundaries boolean NOT NULL,
    dimension          text NOT NULL,
    position           int NOT NULL,
    region_code        text NOT NULL,
    contributors       text[] NOT NULL,
    published          json NOT NULL,
    raw                json NOT NULL,
    PRIMARY KEY (release_id, region_set, current_boundaries, dimension, region_code)
);
COMMENT ON COLUMN release_rows.published IS
    'The row as core/aggregate rendered it for protected readers, kept as the exact text (json, '
    'not jsonb: member order and spelling are part of a citable answer). `raw` likewise.';
COMMENT ON COLUMN release_rows.contributors IS
    'Every municipality whose figures are added into the row (under current boundaries its '
    'predecessors too): a caller sees `raw` only when it may see all of them raw (decided by the '
    'daemon, core/access: access_sees_row_raw).';

-- 1. The sums of every region of every set for p_period, both boundary modes, totals ('' in
--    `dimension`) and each dimension, ordered as aggregate_funnels orders one answer, after one
--    leading row (region_set NULL) whose `frozen` holds the revisions that count and the number
--    of live networks: {"revisions": [[kind, code, revision], ...], "networks": n}.
CREATE FUNCTION release_snapshot(p_period text)
RETURNS TABLE (region_set text, current_boundaries boolean, dimension text,
               period text, region_code text, region_name text, expected int, submitted int,
               contributors text, stage text, category text, reporting int, n bigint, k bigint,
               population bigint, population_year int, population_missing int,
               pair_n bigint, pair_k bigint, prev_n bigint, prev_k bigint, frozen jsonb)
LANGUAGE sql STABLE AS $$
    SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           jsonb_build_object(
               'revisions', coalesce((SELECT jsonb_agg(jsonb_build_array(s.kind,
                                                          s.municipality_code, s.current_revision)
                                                       ORDER BY s.kind, s.municipality_code)
                                        FROM submissions s
                                       WHERE s.period = p_period AND s.live), '[]'::jsonb),
               'networks', (SELECT count(*) FROM submissions s
                             WHERE s.period = p_period AND s.live AND s.kind = 'network'))
    UNION ALL
    (SELECT rs.key, b.cur, d.key, a.*, NULL
       FROM region_sets rs
      CROSS JOIN (VALUES (false), (true)) AS b (cur)
      CROSS JOIN (SELECT '' AS key UNION ALL SELECT key FROM dimensions) AS d
      CROSS JOIN LATERAL aggregate_funnels(rs.key, ARRAY[p_period], NULL,
                                           CASE WHEN d.key = '' THEN 'total' ELSE d.key END,
                                           b.cur) AS a
      ORDER BY rs.key, b.cur, d.key, a.region_code, a.stage NULLS FIRST, a.category)
$$;

-- 2. Stores a release made of a snapshot. p_rows: [[set, current, dimension, position, code,
--    contributors (','-joined), published, raw], ...]; p_frozen: the snapshot's `frozen`;
--    p_coverage: {"expected", "funnels", "networks"}. Numbers releases per period under a lock, so
--    two made at once get r{n} and r{n+1}; the newest earlier release of the period is the one it
--    supersedes. Audited. Answers {"outcome": "created", "body": <release document>}.
CREATE FUNCTION create_release(p_period text, p_status text, p_open boolean,
                               p_principal_id bigint, p_principal_label text, p_request_id text,
                               p_client_address text, p_parameters jsonb, p_coverage jsonb,
                               p_frozen jsonb, p_rows json)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    previous text;
    next_number int;
    new_id text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('release|' || p_period, 13));
    SELECT r.id, r.number + 1 INTO previous, next_number
      FROM releases r WHERE r.period = p_period ORDER BY r.number DESC LIMIT 1;
    next_number := coalesce(next_number, 1);
    new_id := p_period || '-r' || next_number;
    INSERT INTO releases (id, period, number, status, open, released_by_id, released_by_label,
                          supersedes, coverage, parameters)
    VALUES (new_id, p_period, next_number, p_status, p_open, p_principal_id, p_principal_label,
            previous, p_coverage, p_parameters);
    INSERT INTO release_revisions (release_id, kind, municipality_code, revision)
    SELECT new_id, x->>0, x->>1, (x->>2)::int
      FROM jsonb_array_elements(p_frozen->'revisions') x;
    INSERT INTO release_rows (release_id, region_set, current_boundaries, dimension, position,
                              region_code, contributors, published, raw)
    SELECT new_id, x->>0, (x->>1)::boolean, x->>2, (x->>3)::int, x->>4,
           string_to_array(coalesce(x->>5, ''), ','), x->6, x->7
      FROM json_array_elements(p_rows) x;
    INSERT INTO audit_events (principal_id, principal_label, client_address, request_id, method,
                              path, status, outcome)
    VALUES (p_principal_id, p_principal_label, nullif(p_client_address, '')::inet, p_request_id,
            'POST', '/v1/releases/' || new_id, 201, 'created');
    PERFORM pg_notify('trechter_changes', 'release ' || p_period);
    RETURN jsonb_build_object('outcome', 'created', 'body', release_document(new_id));
END;
$$;

-- The release document of design §8.
CREATE FUNCTION release_document(p_id text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
               'id', r.id, 'period', r.period, 'status', r.status, 'open', r.open,
               'releasedAt', to_char(r.released_at AT TIME ZONE 'UTC',
                                     'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
               'releasedBy', jsonb_build_object('id', r.released_by_id::text,
                                                'label', r.released_by_label),
               'supersedes', r.supersedes, 'coverage', r.coverage, 'parameters', r.parameters)
      FROM releases r WHERE r.id = p_id
$$;

-- {"releases": [...]} newest first, of one period or of all.
CREATE FUNCTION list_releases(p_period text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('releases', coalesce(jsonb_agg(release_document(r.id)
                                                             ORDER BY r.released_at DESC,
                                                                      r.period DESC,
                                                                      r.number DESC), '[]'))
      FROM releases r WHERE p_period IS NULL OR r.period = p_period
$$;

-- The stored rows a read of releases answers: for each period of p_periods the release p_release
-- (an id) or, when p_release is NULL, the period's newest (only open ones, made with "open": true,
-- when p_open_only: what a caller without a token may see); each row with its contributors, its
-- published row, and its raw row when p_with_raw (for callers who may see some rows raw: which
-- ones is decided by the daemon, core/access, from the contributors). A period without such a
-- release gives one row per region with release_info and the rows NULL (shown as not released).
CREATE FUNCTION release_funnel_rows(p_release text, p_periods text[], p_set text,
                                    p_current boolean, p_dimension text, p_regions text[],
                                    p_with_raw boolean, p_open_only boolean)
RETURNS TABLE (period text, release_info jsonb, contributors text, published json, raw json,
               region_code text, region_name text)
LANGUAGE sql STABLE AS $$
    WITH chosen AS (
        SELECT p.period, (SELECT r.id FROM releases r
                           WHERE r.period = p.period
                             AND (p_release IS NULL OR r.id = p_release)
                             AND (r.open OR NOT p_open_only)
                           ORDER BY r.number DESC LIMIT 1) AS id, p.ord
          FROM unnest(p_periods) WITH ORDINALITY AS p (period, ord))
    SELECT x.period, x.release_info, x.contributors, x.published, x.raw, x.region_code,
           x.region_name
      FROM (
        SELECT c.ord, rr.position, c.period,
               (SELECT jsonb_build_object('id', r.id, 'status', r.status,
                                          'releasedAt', to_char(r.released_at AT TIME ZONE 'UTC',
                                                                'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
                  FROM releases r WHERE r.id = c.id) AS release_info,
               array_to_string(rr.contributors, ',') AS contributors, rr.published,
               CASE WHEN p_with_raw THEN rr.raw END AS raw,
               rr.region_code, NULL::text AS region_name
          FROM chosen c
          JOIN release_rows rr
            ON rr.release_id = c.id AND rr.region_set = p_set
           AND rr.current_boundaries = p_current AND rr.dimension = p_dimension
           AND (p_regions IS NULL OR rr.region_code = ANY (p_regions))
        UNION ALL
        SELECT c.ord, 0, c.period, NULL, NULL, NULL, NULL, rc.region_code, min(rc.region_name)
          FROM chosen c
          CROSS JOIN LATERAL region_contributions(p_set, ARRAY[c.period], p_regions,
                                                  p_current) rc
         WHERE c.id IS NULL
         GROUP BY c.ord, c.period, rc.region_code) x
     ORDER BY x.ord, x.position, x.region_code
$$;

-- GET /v1/releases/{id}/changes: against the release it supersedes, the municipalities whose
-- counting funnel was added, revised or withdrawn, and the published cells of nation, province
-- and safetyRegion (period boundaries, totals and breakdowns) whose count changed.
-- NULL when p_id is not a release.
CREATE FUNCTION release_changes(p_id text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    WITH rel AS (SELECT id, supersedes FROM releases WHERE id = p_id),
    now_rev AS (SELECT municipality_code, revision FROM release_revisions
                 WHERE release_id = p_id AND kind = 'funnel'),
    old_rev AS (SELECT municipality_code, revision FROM release_revisions
                 WHERE release_id = (SELECT supersedes FROM rel) AND kind = 'funnel'),
    cells AS (
        SELECT rr.release_id, rr.region_set, rr.region_code, s.key AS stage, rr.dimension,
               '' AS category, s.value->'count' AS count
          FROM release_rows rr, jsonb_each(rr.published::jsonb->'stages') s
         WHERE rr.release_id IN (p_id, (SELECT supersedes FROM rel)) AND NOT rr.current_boundaries
           AND rr.region_set IN ('nation', 'province', 'safetyRegion') AND rr.dimension = ''
        UNION ALL
        SELECT rr.release_id, rr.region_set, rr.region_code, s.key, rr.dimension, b.key,
               b.value->'count'
          FROM release_rows rr, jsonb_each(rr.published::jsonb->'stages') s,
               jsonb_each(coalesce(s.value->'breakdown', '{}')) b
         WHERE rr.release_id IN (p_id, (SELECT supersedes FROM rel)) AND NOT rr.current_boundaries
           AND rr.region_set IN ('nation', 'province', 'safetyRegion') AND rr.dimension <> ''),
    changed AS (
        SELECT coalesce(a.region_set, b.region_set) AS region_set,
               coalesce(a.region_code, b.region_code) AS region_code,
               coalesce(a.stage, b.stage) AS stage,
               CASE WHEN coalesce(a.dimension, b.dimension) = '' THEN 'total'
                    ELSE coalesce(a.dimension, b.dimension) END AS dimension,
               coalesce(a.category, b.category) AS category,
               coalesce(b.count, 'null'::jsonb) AS from_count,
               coalesce(a.count, 'null'::jsonb) AS to_count
          FROM (SELECT * FROM cells WHERE release_id = p_id) a
          FULL JOIN (SELECT * FROM cells WHERE release_id = (SELECT supersedes FROM rel)) b
            ON a.region_set = b.region_set AND a.region_code = b.region_code
           AND a.stage = b.stage AND a.dimension = b.dimension AND a.category = b.category
         WHERE (SELECT supersedes FROM rel) IS NOT NULL
           AND coalesce(a.count, 'null'::jsonb) IS DISTINCT FROM coalesce(b.count, 'null'::jsonb))
    SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM rel) THEN NULL ELSE jsonb_build_object(
        'from', (SELECT supersedes FROM rel), 'to', p_id,
        'municipalities', jsonb_build_object(
            'added', coalesce((SELECT jsonb_agg(n.municipality_code ORDER BY n.municipality_code)
                                 FROM now_rev n WHERE (SELECT supersedes FROM rel) IS NOT NULL
                                  AND NOT EXISTS (SELECT 1 FROM old_rev o
                                                   WHERE o.municipality_code = n.municipality_code)),
                              '[]'),
            'revised', coalesce((SELECT jsonb_agg(n.municipality_code ORDER BY n.municipality_code)
                                   FROM now_rev n JOIN old_rev o USING (municipality_code)
                                  WHERE o.revision <> n.revision), '[]'),
            'withdrawn', coalesce((SELECT jsonb_agg(o.municipality_code ORDER BY o.municipality_code)
                                     FROM old_rev o
                                    WHERE NOT EXISTS (SELECT 1 FROM now_rev n
                                                       WHERE n.municipality_code = o.municipality_code)),
                                  '[]')),
        'cells', coalesce((SELECT jsonb_agg(jsonb_build_object(
                               'regionSet', c.region_set, 'region', c.region_code,
                               'stage', c.stage, 'dimension', c.dimension,
                               'category', c.category, 'from', c.from_count, 'to', c.to_count)
                               ORDER BY c.region_set, c.region_code, c.stage, c.dimension,
                                        c.category)
                             FROM changed c), '[]')) END
$$;

---------------------------------------------------------------------------------------------------
-- The revision cap (design §8, defence in depth): a municipality's token may write at most
-- max-revisions-per-day revisions of one funnel or network in 24 hours. The daemon passes the cap
-- for the caller (core/access: none for the rapporteur) as one more argument of the write
-- functions; the forms without it stay for the previous binary.

-- True when writing p_content would make one revision too many: p_cap > 0, at least p_cap
-- revisions of the resource in the last 24 hours, and p_content is not what is stored already (an
-- unchanged write makes no revision, so a retry of the write that reached the cap still gets its
-- answer). Locks the submission row first, as put_submission does, so that two writes at once
-- cannot both pass at p_cap - 1.
CREATE FUNCTION revision_cap_reached(p_kind text, p_code text, p_period text, p_content jsonb,
                                     p_cap int)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    sub submissions;
    recent int;
    stored jsonb;
BEGIN
    IF p_cap IS NULL OR p_cap <= 0 THEN
        RETURN false;
    END IF;
    SELECT * INTO sub FROM submissions
     WHERE municipality_code = p_code AND kind = p_kind AND period = p_period FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    SELECT count(*) INTO recent FROM revisions
     WHERE submission_id = sub.id AND submitted_at > now() - interval '24 hours';
    IF recent < p_cap THEN
        RETURN false;
    END IF;
    SELECT content INTO stored FROM revisions
     WHERE submission_id = sub.id AND revision = sub.current_revision;
    RETURN stored IS DISTINCT FROM p_content;
END;
$$;

-- put_submission_once (sql/009) under the cap: answers {"status": "revision-cap"} (429) instead
-- of writing. A dry run is never capped: it writes nothing.
CREATE FUNCTION put_submission_once(p_key text, p_body_sha256 text,
                                    p_kind text, p_code text, p_period text, p_previous text,
                                    p_content jsonb, p_cells jsonb, p_warnings jsonb,
                                    p_if_match int, p_dry_run boolean,
                                    p_principal_id bigint, p_principal_label text,
                                    p_request_id text, p_client_address text,
                                    p_outlier_min int, p_outlier_ratio_pct int, p_max_per_day int)
RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT p_dry_run
       AND revision_cap_reached(p_kind, p_code, p_period, p_content, p_max_per_day) THEN
        RETURN jsonb_build_object('status', 'revision-cap');
    END IF;
    RETURN put_submission_once(p_key, p_body_sha256, p_kind, p_code, p_period, p_previous,
                               p_content, p_cells, p_warnings, p_if_match, p_dry_run,
                               p_principal_id, p_principal_label, p_request_id, p_client_address,
                               p_outlier_min, p_outlier_ratio_pct);
END;
$$;

-- import_funnels (sql/008) under the cap: when any item would pass it, nothing is imported and
-- the answer is {"outcome": "import-revision-cap"} (429) listing every such item.
CREATE FUNCTION import_funnels(p_items jsonb, p_allowed text[], p_dry_run boolean,
                               p_key text, p_body_sha256 text,
                               p_principal_id bigint, p_principal_label text, p_request_id text,
                               p_client_address text, p_outlier_min int, p_outlier_ratio_pct int,
                               p_skipped int, p_max_per_day int)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    item jsonb;
    errors jsonb := '[]'::jsonb;
BEGIN
    IF NOT p_dry_run AND coalesce(p_max_per_day, 0) > 0 THEN
        FOR item IN SELECT * FROM jsonb_array_elements(p_items) LOOP
            IF revision_cap_reached('funnel', item->>'municipality', item->>'period',
                                    item->'content', p_max_per_day) THEN
                errors := errors || jsonb_build_object('in', 'body', 'pointer', item->>'pointer',
                    'code', 'revision-cap',
                    'detail', format('the funnel of %s for %s had %s revisions in the last 24 '
                                     'hours (max-revisions-per-day)', item->>'municipality',
                                     item->>'period', p_max_per_day));
            END IF;
        END LOOP;
        IF jsonb_array_length(errors) > 0 THEN
            RETURN jsonb_build_object('outcome', 'import-revision-cap', 'body', jsonb_build_object(
                'status', 'rejected', 'created', 0, 'updated', 0, 'unchanged', 0,
                'skipped', p_skipped, 'rejected', jsonb_array_length(p_items),
                'warnings', '[]'::jsonb, 'errors', errors));
        END IF;
    END IF;
    RETURN import_funnels(p_items, p_allowed, p_dry_run, p_key, p_body_sha256, p_principal_id,
                          p_principal_label, p_request_id, p_client_address, p_outlier_min,
                          p_outlier_ratio_pct, p_skipped);
END;
$$;

---------------------------------------------------------------------------------------------------
-- GET /v1/catalog: the open releases as a DCAT-AP catalogue (JSON-LD), for open-data portals such
-- as data.overheid.nl to harvest: a dataset per period, a distribution per open release and
-- format. Links are relative; the daemon sets @base to the address the catalogue was asked at.
-- Licence: CC0 1.0, as the Dutch government's open-data policy asks of published statistics (the
-- figures are anonymised, perturbed aggregates; nothing in them is personal).
CREATE FUNCTION open_catalog() RETURNS jsonb
LANGUAGE sql STABLE AS $$
    WITH open_releases AS (
        SELECT r.*, to_char(r.released_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS at
          FROM releases r WHERE r.open),
    distributions AS (
        SELECT o.period, o.at, f.format, jsonb_build_object(
                   '@id', format('v1/funnels?period=%s&regionSet=municipality&release=%s%s',
                                 o.period, o.id, f.suffix),
                   '@type', 'dcat:Distribution',
                   'dct:title', format('%s, %s (%s), %s', o.id, o.status, f.format,
                                       'per gemeente / per municipality'),
                   'dct:description', format(
                       'Release %s of %s (%s). Counts protected by cell-key perturbation '
                       '(js=%s, D=%s): a published count is never 1..%s, and is within %s of the '
                       'raw count above that; rates and conversions from published values below '
                       '%s are withheld; protected cells need not add up. Other region sets: '
                       'regionSet=province, safetyRegion or nation.',
                       o.id, o.period, o.status, o.parameters->>'js', o.parameters->>'d',
                       o.parameters->>'js', o.parameters->>'d', o.parameters->>'rateMin'),
                   'dcat:accessURL', jsonb_build_object('@id', format(
                       'v1/funnels?period=%s&regionSet=municipality&release=%s%s',
                       o.period, o.id, f.suffix)),
                   'dcat:downloadURL', jsonb_build_object('@id', format(
                       'v1/funnels?period=%s&regionSet=municipality&release=%s%s',
                       o.period, o.id, f.suffix)),
                   'dcat:mediaType', jsonb_build_object('@id',
                       'https://www.iana.org/assignments/media-types/' || f.media_type),
                   'dct:format', jsonb_build_object('@id',
                       'http://publications.europa.eu/resource/authority/file-type/' || f.format),
                   'dct:issued', jsonb_build_object('@value', o.at, '@type', 'xsd:dateTime'),
                   'dct:license', jsonb_build_object('@id',
                       'http://creativecommons.org/publicdomain/zero/1.0/')) AS doc
          FROM open_releases o
         CROSS JOIN (VALUES ('JSON', 'application/json', ''),
                            ('CSV', 'text/csv', '&format=csv')) AS f (format, media_type, suffix)),
    datasets AS (
        SELECT d.period, jsonb_build_object(
                   '@id', 'v1/releases?period=' || d.period,
                   '@type', 'dcat:Dataset',
                   'dct:identifier', 'trechter-' || d.period,
                   'dct:title', jsonb_build_array(
                       jsonb_build_object('@language', 'nl', '@value',
                           'Seksueel geweld tegen kinderen: de trechter per gemeente en regio, '
                           || d.period),
                       jsonb_build_object('@language', 'en', '@value',
                           'Child sexual abuse: the funnel of care per municipality and region, '
                           || d.period)),
                   'dct:description', jsonb_build_object('@language', 'en', '@value',
                       'Anonymised quarterly counts from the Dutch municipalities of children '
                       'who disclosed, were signalled, reported, investigated and helped, per '
                       'region set, as released by the National Rapporteur.'),
                   'dct:temporal', jsonb_build_object(
                       '@type', 'dct:PeriodOfTime',
                       'dcat:startDate', jsonb_build_object('@type', 'xsd:date', '@value',
                           to_char(period_last_day(d.period) - interval '3 months'
                                   + interval '1 day', 'YYYY-MM-DD')),
                       'dcat:endDate', jsonb_build_object('@type', 'xsd:date', '@value',
                           to_char(period_last_day(d.period), 'YYYY-MM-DD'))),
                   'dct:spatial', jsonb_build_object('@id',
                       'http://publications.europa.eu/resource/authority/country/NLD'),
                   'dcat:theme', jsonb_build_object('@id',
                       'http://publications.europa.eu/resource/authority/data-theme/SOCI'),
                   'dct:modified', jsonb_build_object('@type', 'xsd:dateTime',
                                                      '@value', max(d.at)),
                   'dcat:distribution', jsonb_agg(d.doc ORDER BY d.at DESC, d.format)) AS doc
          FROM distributions d GROUP BY d.period)
    SELECT jsonb_build_object(
        '@id', 'v1/catalog',
        '@type', 'dcat:Catalog',
        'dct:title', jsonb_build_array(
            jsonb_build_object('@language', 'nl', '@value',
                               'Trechter: open releases van de Nationaal Rapporteur'),
            jsonb_build_object('@language', 'en', '@value',
                               'Trechter: open releases of the National Rapporteur')),
        'dct:description', jsonb_build_object('@language', 'en', '@value',
            'Frozen, citable quarterly figures on child sexual abuse from the Dutch '
            'municipalities, protected by cell-key perturbation.'),
        'dct:publisher', jsonb_build_object('@type', 'foaf:Agent', 'foaf:name',
            'Nationaal Rapporteur Mensenhandel en Seksueel Geweld tegen Kinderen'),
        'dct:language', jsonb_build_object('@id',
            'http://publications.europa.eu/resource/authority/language/NLD'),
        'dct:license', jsonb_build_object('@id', 'http://creativecommons.org/publicdomain/zero/1.0/'),
        'dcat:dataset', coalesce((SELECT jsonb_agg(doc ORDER BY period DESC) FROM datasets),
                                 '[]'::jsonb))
$$;
