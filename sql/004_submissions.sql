-- compatible-from: 4
-- Submissions (design §3.1): funnels and networks per (municipality, kind, period) with full
-- revision history, cell keys stored beside every count (§5.1), the current cells kept apart for
-- aggregation, deletes as tombstone revisions, and keyed imports.
--
-- Every write is one call of a function below: one statement, so one transaction that has
-- committed when the daemon answers. Concurrent writers to one resource serialise on the row lock
-- of its `submissions` row; revision numbers come from that row, so they never repeat.

CREATE DOMAIN period_text AS text CHECK (VALUE ~ '^[0-9]{4}-Q[1-4]$');

CREATE TABLE submissions (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    municipality_code text NOT NULL REFERENCES municipalities (code) ON UPDATE CASCADE,
    kind              text NOT NULL CHECK (kind IN ('funnel', 'network')),
    period            period_text NOT NULL,
    current_revision  int NOT NULL DEFAULT 0 CHECK (current_revision >= 0),
    live              boolean NOT NULL DEFAULT false,
    UNIQUE (municipality_code, kind, period)
);
COMMENT ON COLUMN submissions.live IS
    'False before the first revision and while the current revision is a tombstone (deleted).';
CREATE INDEX submissions_by_period ON submissions (kind, period) WHERE live;

CREATE TABLE revisions (
    submission_id   bigint NOT NULL REFERENCES submissions (id),
    revision        int NOT NULL CHECK (revision >= 1),
    tombstone       boolean NOT NULL DEFAULT false,
    content         jsonb NULL CHECK ((content IS NULL) = tombstone),
    warnings        jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(warnings) = 'array'),
    submitted_at    timestamptz NOT NULL DEFAULT now(),
    principal_id    bigint NULL,
    principal_label text NULL,
    request_id      text NULL,
    PRIMARY KEY (submission_id, revision)
);
COMMENT ON COLUMN revisions.content IS
    'The canonical document of the revision (the daemon''s funnel_canonical_json); NULL for a '
    'tombstone. Compared as content (jsonb equality) to detect an unchanged submission.';

-- Every count of every funnel revision with its cell key (design §5.1).
CREATE TABLE funnel_cells (
    submission_id bigint NOT NULL,
    revision      int NOT NULL,
    stage         text NOT NULL REFERENCES stages (key) ON UPDATE CASCADE,
    dimension     text NOT NULL,
    category      text NOT NULL,
    count         int NOT NULL CHECK (count BETWEEN 0 AND 1000000),
    cell_key      bigint NOT NULL CHECK (cell_key BETWEEN 0 AND 4294967295),
    PRIMARY KEY (submission_id, revision, stage, dimension, category),
    FOREIGN KEY (submission_id, revision) REFERENCES revisions (submission_id, revision),
    CHECK (count > 0 OR cell_key = 0)
);
COMMENT ON COLUMN funnel_cells.dimension IS '"total" for the stage total (category then is '''').';

-- The live revision's cells, maintained by put_submission/delete_submission: what aggregation
-- reads. One row per (period, municipality, stage, dimension, category).
CREATE TABLE current_funnel_cells (
    period            period_text NOT NULL,
    municipality_code text NOT NULL REFERENCES municipalities (code) ON UPDATE CASCADE,
    stage             text NOT NULL,
    dimension         text NOT NULL,
    category          text NOT NULL,
    count             int NOT NULL,
    cell_key          bigint NOT NULL,
    PRIMARY KEY (period, stage, dimension, category, municipality_code)
);
CREATE INDEX current_funnel_cells_by_municipality
    ON current_funnel_cells (municipality_code, period);

-- Keyed imports (design §3.1): the first answer per (principal, key) for 24 hours.
CREATE TABLE idempotency_keys (
    principal_id bigint NOT NULL,
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    body_sha256  text NOT NULL,
    status       int NOT NULL,
    response     jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

---------------------------------------------------------------------------------------------------

-- The answer for one revision: the document's own fields beside revision, submittedAt,
-- submittedBy and warnings (design §3.1).
CREATE FUNCTION revision_document(p_code text, p_period text, r revisions) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(r.content, '{}'::jsonb) || jsonb_build_object(
        'municipality', p_code,
        'period', p_period,
        'revision', r.revision,
        'submittedAt', to_char(r.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'submittedBy', jsonb_build_object('id', r.principal_id::text, 'label', r.principal_label),
        'warnings', r.warnings)
$$;

-- Warnings for a change from last quarter (design §3.1): a stage total that moved by more than
-- both p_min and p_ratio_pct percent of last quarter's value.
CREATE FUNCTION funnel_outlier_warnings(p_code text, p_previous text, p_cells jsonb,
                                        p_min int, p_ratio_pct int) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'code', 'outlier',
               'pointer', '/stages/' || n.stage || '/total',
               'detail', format('%s changed from %s last quarter (%s) to %s, more than %s and %s%%',
                                n.stage, o.count, p_previous, n.count, p_min, p_ratio_pct))
             ORDER BY s.position), '[]'::jsonb)
      FROM jsonb_to_recordset(p_cells) AS n(stage text, dimension text, category text, count int)
      JOIN current_funnel_cells o
        ON o.period = p_previous AND o.municipality_code = p_code
       AND o.stage = n.stage AND o.dimension = 'total'
      JOIN stages s ON s.key = n.stage
     WHERE n.dimension = 'total'
       AND abs(n.count - o.count) > p_min
       AND abs(n.count - o.count) * 100 > o.count::bigint * p_ratio_pct
$$;

-- Writes one snapshot. p_cells is a JSON array of {stage, dimension, category, count, key}
-- (funnels; NULL for networks). p_if_match: NULL, or the revision the client last saw (-1 for
-- "must exist"). Returns {"status": created | updated | unchanged | precondition-failed |
-- unknown-municipality | forbidden, "document": {...}, "revision": n}. Nothing is written for a
-- dry run or for any status but created and updated.
CREATE FUNCTION put_submission(p_kind text, p_code text, p_period text, p_previous text,
                               p_content jsonb, p_cells jsonb, p_warnings jsonb,
                               p_if_match int, p_may_write boolean, p_dry_run boolean,
                               p_principal_id bigint, p_principal_label text, p_request_id text,
                               p_client_address text, p_outlier_min int, p_outlier_ratio_pct int)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    sub submissions;
    cur revisions;
    rev revisions;
    warnings jsonb := coalesce(p_warnings, '[]'::jsonb);
    status text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM municipalities WHERE code = p_code) THEN
        RETURN jsonb_build_object('status', 'unknown-municipality');
    END IF;
    IF NOT p_may_write THEN
        RETURN jsonb_build_object('status', 'forbidden');
    END IF;
    IF NOT p_dry_run THEN
        INSERT INTO submissions (municipality_code, kind, period)
        VALUES (p_code, p_kind, p_period) ON CONFLICT DO NOTHING;
    END IF;
    SELECT * INTO sub FROM submissions
     WHERE municipality_code = p_code AND kind = p_kind AND period = p_period FOR UPDATE;
    IF FOUND AND sub.live THEN
        SELECT * INTO cur FROM revisions
         WHERE submission_id = sub.id AND revision = sub.current_revision;
    END IF;
    IF p_if_match IS NOT NULL
       AND (cur.revision IS NULL OR (p_if_match >= 0 AND cur.revision <> p_if_match)) THEN
        RETURN jsonb_build_object('status', 'precondition-failed', 'revision', cur.revision);
    END IF;
    IF cur.revision IS NOT NULL AND cur.content = p_content THEN
        RETURN jsonb_build_object('status', 'unchanged', 'revision', cur.revision,
                                  'document', revision_document(p_code, p_period, cur));
    END IF;
    IF p_kind = 'funnel' AND p_previous IS NOT NULL THEN
        warnings := warnings || funnel_outlier_warnings(p_code, p_previous, p_cells,
                                                        p_outlier_min, p_outlier_ratio_pct);
    END IF;
    status := CASE WHEN cur.revision IS NULL THEN 'created' ELSE 'updated' END;
    rev := ROW(sub.id, coalesce(sub.current_revision, 0) + 1, false, p_content, warnings,
               now(), p_principal_id, p_principal_label, p_request_id)::revisions;
    IF p_dry_run THEN
        RETURN jsonb_build_object('status', status, 'revision', rev.revision, 'dryRun', true,
                                  'document', revision_document(p_code, p_period, rev));
    END IF;

    INSERT INTO revisions SELECT rev.*;
    UPDATE submissions SET current_revision = rev.revision, live = true WHERE id = sub.id;
    IF p_kind = 'funnel' THEN
        INSERT INTO funnel_cells (submission_id, revision, stage, dimension, category, count,
                                  cell_key)
        SELECT sub.id, rev.revision, c.stage, c.dimension, c.category, c.count, c.key
          FROM jsonb_to_recordset(p_cells)
               AS c(stage text, dimension text, category text, count int, key bigint);
        DELETE FROM current_funnel_cells WHERE period = p_period AND municipality_code = p_code;
        INSERT INTO current_funnel_cells (period, municipality_code, stage, dimension, category,
                                          count, cell_key)
        SELECT p_period, p_code, c.stage, c.dimension, c.category, c.count, c.key
          FROM jsonb_to_recordset(p_cells)
               AS c(stage text, dimension text, category text, count int, key bigint);
    END IF;
    INSERT INTO audit_events (principal_id, principal_label, client_address, request_id, method,
                              path, status, outcome)
    VALUES (p_principal_id, p_principal_label, nullif(p_client_address, '')::inet, p_request_id,
            'PUT', format('/v1/municipalities/%s/%ss/%s', p_code, p_kind, p_period),
            CASE WHEN status = 'created' THEN 201 ELSE 200 END,
            format('%s revision %s', status, rev.revision));
    PERFORM pg_notify('trechter_changes', p_kind || ' ' || p_period);
    RETURN jsonb_build_object('status', status, 'revision', rev.revision,
                              'document', revision_document(p_code, p_period, rev));
END;
$$;

-- Deletes (rapporteur only, checked by the daemon): a tombstone revision. Returns {"status":
-- deleted | not-found | precondition-failed, "revision": n}.
CREATE FUNCTION delete_submission(p_kind text, p_code text, p_period text, p_if_match int,
                                  p_principal_id bigint, p_principal_label text,
                                  p_request_id text, p_client_address text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    sub submissions;
BEGIN
    SELECT * INTO sub FROM submissions
     WHERE municipality_code = p_code AND kind = p_kind AND period = p_period FOR UPDATE;
    IF NOT FOUND OR NOT sub.live THEN
        RETURN jsonb_build_object('status', 'not-found');
    END IF;
    IF p_if_match IS NOT NULL AND p_if_match >= 0 AND p_if_match <> sub.current_revision THEN
        RETURN jsonb_build_object('status', 'precondition-failed', 'revision', sub.current_revision);
    END IF;
    INSERT INTO revisions (submission_id, revision, tombstone, content, principal_id,
                           principal_label, request_id)
    VALUES (sub.id, sub.current_revision + 1, true, NULL, p_principal_id, p_principal_label,
            p_request_id);
    UPDATE submissions SET current_revision = current_revision + 1, live = false
     WHERE id = sub.id;
    IF p_kind = 'funnel' THEN
        DELETE FROM current_funnel_cells WHERE period = p_period AND municipality_code = p_code;
    END IF;
    INSERT INTO audit_events (principal_id, principal_label, client_address, request_id, method,
                              path, status, outcome)
    VALUES (p_principal_id, p_principal_label, nullif(p_client_address, '')::inet, p_request_id,
            'DELETE', format('/v1/municipalities/%s/%ss/%s', p_code, p_kind, p_period), 204,
            format('deleted: tombstone revision %s', sub.current_revision + 1));
    PERFORM pg_notify('trechter_changes', p_kind || ' ' || p_period);
    RETURN jsonb_build_object('status', 'deleted', 'revision', sub.current_revision + 1);
END;
$$;

-- Reads the current revision (p_revision NULL) or revision p_revision. Returns NULL when there is
-- no such live resource or revision (a tombstone reads as not found).
CREATE FUNCTION get_submission(p_kind text, p_code text, p_period text, p_revision int)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT revision_document(p_code, p_period, r)
      FROM submissions s
      JOIN revisions r ON r.submission_id = s.id
       AND r.revision = coalesce(p_revision, CASE WHEN s.live THEN s.current_revision END)
     WHERE s.municipality_code = p_code AND s.kind = p_kind AND s.period = p_period
       AND NOT r.tombstone
$$;

-- Lists every revision of a resource, tombstones included; NULL when it never existed.
CREATE FUNCTION list_revisions(p_kind text, p_code text, p_period text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('municipality', p_code, 'period', p_period,
               'revisions', jsonb_agg(jsonb_build_object(
                   'revision', r.revision,
                   'submittedAt', to_char(r.submitted_at AT TIME ZONE 'UTC',
                                          'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   'submittedBy', jsonb_build_object('id', r.principal_id::text,
                                                     'label', r.principal_label),
                   'deleted', r.tombstone,
                   'warnings', r.warnings) ORDER BY r.revision))
      FROM submissions s JOIN revisions r ON r.submission_id = s.id
     WHERE s.municipality_code = p_code AND s.kind = p_kind AND s.period = p_period
    HAVING count(*) > 0
$$;

-- A bulk import of funnels (design §3.1), all or nothing. p_items is a JSON array of
-- {municipality, period, previous, content, cells, warnings, pointer} prepared and validated by the
-- daemon (p_skipped: CSV items without a single count, left out by the daemon); p_allowed lists the codes the principal may write (NULL: any). With p_key, the first
-- answer per (principal, key) is kept for 24 hours and returned again; the same key with another
-- body, or while the first is still running, gives status "conflict".
-- Returns {"httpStatus": n, "body": {...}}.
CREATE FUNCTION import_funnels(p_items jsonb, p_allowed text[], p_dry_run boolean,
                               p_key text, p_body_sha256 text,
                               p_principal_id bigint, p_principal_label text, p_request_id text,
                               p_client_address text, p_outlier_min int, p_outlier_ratio_pct int,
                               p_skipped int)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    kept idempotency_keys;
    item jsonb;
    result jsonb;
    errors jsonb := '[]'::jsonb;
    warnings jsonb := '[]'::jsonb;
    created int := 0;
    updated int := 0;
    unchanged int := 0;
    answer jsonb;
    http int;
BEGIN
    IF p_key IS NOT NULL THEN
        IF NOT pg_try_advisory_xact_lock(hashtextextended(p_principal_id::text || '|' || p_key, 7))
        THEN
            RETURN jsonb_build_object('httpStatus', 409, 'conflict', 'running');
        END IF;
        DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours';
        SELECT * INTO kept FROM idempotency_keys
         WHERE principal_id = p_principal_id AND key = p_key;
        IF FOUND THEN
            IF kept.body_sha256 <> p_body_sha256 THEN
                RETURN jsonb_build_object('httpStatus', 409, 'conflict', 'different-body');
            END IF;
            RETURN jsonb_build_object('httpStatus', kept.status, 'body', kept.response,
                                      'replayed', true);
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
        http := CASE WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(errors) e
                                   WHERE e->>'code' = 'unknown-municipality') THEN 400 ELSE 403 END;
        answer := jsonb_build_object('status', 'rejected', 'created', 0, 'updated', 0,
                                     'unchanged', 0, 'skipped', p_skipped,
                                     'rejected', jsonb_array_length(p_items),
                                     'warnings', '[]'::jsonb, 'errors', errors);
    ELSE
        FOR item IN SELECT * FROM jsonb_array_elements(p_items) LOOP
            result := put_submission('funnel', item->>'municipality', item->>'period',
                                     item->>'previous', item->'content', item->'cells',
                                     item->'warnings', NULL, true, p_dry_run, p_principal_id,
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
        http := 200;
        answer := jsonb_build_object(
            'status', CASE WHEN p_dry_run THEN 'validated' ELSE 'imported' END,
            'dryRun', p_dry_run, 'created', created, 'updated', updated,
            'unchanged', unchanged, 'skipped', p_skipped, 'rejected', 0, 'warnings', warnings,
            'errors', '[]'::jsonb);
    END IF;
    IF p_key IS NOT NULL AND NOT p_dry_run AND http = 200 THEN
        INSERT INTO idempotency_keys (principal_id, key, body_sha256, status, response)
        VALUES (p_principal_id, p_key, p_body_sha256, http, answer);
    END IF;
    RETURN jsonb_build_object('httpStatus', http, 'body', answer);
END;
$$;
