-- compatible-from: 8
-- SQL answers what happened as a word; the daemon maps words to HTTP in one table
-- (api/outcome.c). import_funnels returns {"outcome": word, "body": {...}} with the words
--   imported | validated (a dry run) | replayed (the answer kept for this Idempotency-Key)
--   import-invalid (an unknown municipality) | import-forbidden (a code the token may not write)
--   idempotency-running | idempotency-other-body
-- instead of an HTTP status. (idempotency_keys.status keeps holding 200 for the answers kept.)

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
