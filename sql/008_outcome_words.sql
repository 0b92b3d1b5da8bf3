-- compatible-from: 8
-- SQL answers what happened as a word; the daemon maps words to HTTP in one table
-- (api/outcome.c). import_funnels returns {"outcome": word, "body": {...}} with the words
--   imported | validated (a dry run) | replayed (the answer kept for this Idempotency-Key)
--   import-invalid (an unknown municipality) | import-forbidden (a code the token may not write)
--   idempotency-running | idempotency-other-body
-- instead of an HTTP status. (idempotency_keys.status keeps holding 200 for the answers kept.)
--
-- put_submission loses p_may_write: the daemon always passed true (access is decided in C, in
-- core/access), so its "forbidden" branch could never run.

DROP FUNCTION put_submission(text, text, text, text, jsonb, jsonb, jsonb, int, boolean, boolean,
                             bigint, text, text, text, int, int);

-- Writes one snapshot. p_cells is a JSON array of {stage, dimension, category, count, key}
-- (funnels; NULL for networks). p_if_match: NULL, or the revision the client last saw (-1 for
-- "must exist"). Returns {"status": created | updated | unchanged | precondition-failed |
-- unknown-municipality, "document": {...}, "revision": n}. Who may write is decided by the
-- daemon (core/access) before it calls. Nothing is written for a
-- dry run or for any status but created and updated.
CREATE FUNCTION put_submission(p_kind text, p_code text, p_period text, p_previous text,
                               p_content jsonb, p_cells jsonb, p_warnings jsonb,
                               p_if_match int, p_dry_run boolean,
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

CREATE OR REPLACE FUNCTION import_funnels(p_items jsonb, p_allowed text[], p_dry_run boolean,
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
    outcome text;
BEGIN
    IF p_key IS NOT NULL THEN
        IF NOT pg_try_advisory_xact_lock(hashtextextended(p_principal_id::text || '|' || p_key, 7))
        THEN
            RETURN jsonb_build_object('outcome', 'idempotency-running');
        END IF;
        DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours';
        SELECT * INTO kept FROM idempotency_keys
         WHERE principal_id = p_principal_id AND key = p_key;
        IF FOUND THEN
            IF kept.body_sha256 <> p_body_sha256 THEN
                RETURN jsonb_build_object('outcome', 'idempotency-other-body');
            END IF;
            RETURN jsonb_build_object('outcome', 'replayed', 'body', kept.response);
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
        INSERT INTO idempotency_keys (principal_id, key, body_sha256, status, response)
        VALUES (p_principal_id, p_key, p_body_sha256, 200, answer);
    END IF;
    RETURN jsonb_build_object('outcome', outcome, 'body', answer);
END;
$$;
