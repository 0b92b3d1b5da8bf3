-- compatible-from: 1
-- Base schema: reference data (funnel, network), geography, tokens and the audit trail.
-- Applied by `trechterd migrate` inside one transaction; schema_migrations is created by migrate.
-- Funnel and network submissions follow in later migrations.

-- Keys that appear in the API are lowerCamelCase words; category keys may also be bands ("0-5").
CREATE DOMAIN api_key AS text CHECK (VALUE ~ '^[a-z][A-Za-z0-9]{0,63}$');
CREATE DOMAIN category_key AS text CHECK (VALUE ~ '^[A-Za-z0-9][A-Za-z0-9-]{0,31}$');
CREATE DOMAIN label_text AS text CHECK (length(btrim(VALUE)) BETWEEN 1 AND 200);
CREATE DOMAIN definition_text AS text CHECK (length(btrim(VALUE)) BETWEEN 1 AND 2000);
CREATE DOMAIN municipality_code AS text CHECK (VALUE ~ '^GM[0-9]{4}$');

---------------------------------------------------------------------------------------------------
-- The funnel (design §1.1, §1.2)

CREATE TABLE stages (
    key           api_key PRIMARY KEY,
    position      int NOT NULL UNIQUE CHECK (position > 0),
    label_nl      label_text NOT NULL,
    label_en      label_text NOT NULL,
    definition_nl definition_text NOT NULL,
    definition_en definition_text NOT NULL
);
COMMENT ON TABLE stages IS 'The six ordered stages of the funnel; position 1 is the widest.';

CREATE TABLE dimensions (
    key           api_key PRIMARY KEY CHECK (key <> 'total'),
    position      int NOT NULL UNIQUE CHECK (position > 0),
    label_nl      label_text NOT NULL,
    label_en      label_text NOT NULL,
    definition_nl definition_text NOT NULL,
    definition_en definition_text NOT NULL
);
COMMENT ON TABLE dimensions IS
    'Breakdowns of a stage total (marginals, never cross-tabulated). "total" is reserved for the '
    'stage total in cell keys and CSV.';

CREATE TABLE categories (
    dimension text NOT NULL REFERENCES dimensions (key) ON UPDATE CASCADE,
    key       category_key NOT NULL,
    position  int NOT NULL CHECK (position > 0),
    label_nl  label_text NOT NULL,
    label_en  label_text NOT NULL,
    PRIMARY KEY (dimension, key),
    UNIQUE (dimension, position)
);
COMMENT ON TABLE categories IS
    'Categories of a dimension; every dimension has "unknown", which takes up what is not known.';

CREATE TABLE stage_dimensions (
    stage     text NOT NULL REFERENCES stages (key) ON UPDATE CASCADE,
    dimension text NOT NULL REFERENCES dimensions (key) ON UPDATE CASCADE,
    PRIMARY KEY (stage, dimension)
);
COMMENT ON TABLE stage_dimensions IS 'Which breakdowns a stage accepts.';

---------------------------------------------------------------------------------------------------
-- The partner network (design §1.3 - §1.5)

CREATE TABLE partner_types (
    key      api_key PRIMARY KEY,
    position int NOT NULL UNIQUE CHECK (position > 0),
    label_nl label_text NOT NULL,
    label_en label_text NOT NULL
);

CREATE TABLE partner_statuses (
    key           api_key PRIMARY KEY,
    rank          int NOT NULL UNIQUE CHECK (rank >= 0),
    label_nl      label_text NOT NULL,
    label_en      label_text NOT NULL,
    definition_nl definition_text NOT NULL,
    definition_en definition_text NOT NULL
);
COMMENT ON TABLE partner_statuses IS 'Ordered by rank: absent < mapped < engaged < committed.';

CREATE TABLE approach_steps (
    key           api_key PRIMARY KEY,
    position      int NOT NULL UNIQUE CHECK (position > 0),
    label_nl      label_text NOT NULL,
    label_en      label_text NOT NULL,
    definition_nl definition_text NOT NULL,
    definition_en definition_text NOT NULL
);

CREATE TABLE prevention_points (
    key      api_key PRIMARY KEY,
    position int NOT NULL UNIQUE CHECK (position > 0),
    label_nl label_text NOT NULL,
    label_en label_text NOT NULL
);

CREATE TABLE prevention_states (
    key      api_key PRIMARY KEY,
    rank     int NOT NULL UNIQUE CHECK (rank >= 0),
    label_nl label_text NOT NULL,
    label_en label_text NOT NULL
);

---------------------------------------------------------------------------------------------------
-- Geography (design §1.6). Validity ranges are inclusive at both ends: valid_to is the last day
-- on which the row holds; '-infinity' and 'infinity' stand for "since always" and "until replaced".

CREATE TABLE municipalities (
    code       municipality_code PRIMARY KEY,
    name       label_text NOT NULL,
    valid_from date NOT NULL DEFAULT '-infinity',
    valid_to   date NOT NULL DEFAULT 'infinity',
    CHECK (valid_from <= valid_to)
);

CREATE TABLE region_sets (
    key         api_key PRIMARY KEY,
    name_nl     label_text NOT NULL,
    name_en     label_text NOT NULL,
    builtin     boolean NOT NULL DEFAULT false,
    code_prefix text NULL CHECK (code_prefix ~ '^[A-Z]{2}$')
);
COMMENT ON COLUMN region_sets.code_prefix IS
    'CBS prefix of the region codes (PV, VR, JZ), when the classification has one.';

CREATE TABLE regions (
    set_key text NOT NULL REFERENCES region_sets (key) ON UPDATE CASCADE ON DELETE CASCADE,
    code    text NOT NULL CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$'),
    name    label_text NOT NULL,
    PRIMARY KEY (set_key, code)
);

CREATE TABLE region_memberships (
    set_key           text NOT NULL,
    municipality_code text NOT NULL REFERENCES municipalities (code) ON UPDATE CASCADE,
    region_code       text NOT NULL,
    valid_from        date NOT NULL DEFAULT '-infinity',
    valid_to          date NOT NULL DEFAULT 'infinity',
    PRIMARY KEY (set_key, municipality_code, valid_from),
    FOREIGN KEY (set_key, region_code) REFERENCES regions (set_key, code)
        ON UPDATE CASCADE ON DELETE CASCADE,
    CHECK (valid_from <= valid_to)
);
-- The primary key serves lookups by (set_key, municipality_code); this one serves the reverse.
CREATE INDEX region_memberships_by_region ON region_memberships (set_key, region_code, valid_from);
COMMENT ON TABLE region_memberships IS
    'Which region of a set a municipality belongs to, per validity range. A period is aggregated '
    'with the membership valid on its last day. Ranges of one municipality in one set must not '
    'overlap (checked by trigger).';

-- Overlapping ranges would count a municipality twice in one region set.
CREATE FUNCTION region_memberships_no_overlap() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM region_memberships m
                WHERE m.set_key = NEW.set_key
                  AND m.municipality_code = NEW.municipality_code
                  AND m.valid_from <> NEW.valid_from
                  AND m.valid_from <= NEW.valid_to
                  AND NEW.valid_from <= m.valid_to) THEN
        RAISE EXCEPTION 'membership of % in region set % overlaps another range',
            NEW.municipality_code, NEW.set_key
            USING ERRCODE = 'exclusion_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER region_memberships_no_overlap
    BEFORE INSERT OR UPDATE ON region_memberships
    FOR EACH ROW EXECUTE FUNCTION region_memberships_no_overlap();

CREATE TABLE populations (
    municipality_code text NOT NULL REFERENCES municipalities (code) ON UPDATE CASCADE,
    year              int NOT NULL CHECK (year BETWEEN 1900 AND 2200),
    population_0_17   int NOT NULL CHECK (population_0_17 >= 0),
    PRIMARY KEY (municipality_code, year)
);
COMMENT ON TABLE populations IS 'Children aged 0-17 on 1 January of year (CBS 03759ned or similar).';

CREATE TABLE lineage (
    predecessor_code text NOT NULL REFERENCES municipalities (code) ON UPDATE CASCADE,
    successor_code   text NOT NULL REFERENCES municipalities (code) ON UPDATE CASCADE,
    date             date NOT NULL CHECK (date > '-infinity' AND date < 'infinity'),
    PRIMARY KEY (predecessor_code, successor_code),
    CHECK (predecessor_code <> successor_code)
);
CREATE INDEX lineage_by_successor ON lineage (successor_code);
COMMENT ON TABLE lineage IS
    'Municipal reorganisation (herindeling): on date the predecessor''s area (or part of it) went '
    'to the successor.';

---------------------------------------------------------------------------------------------------
-- Principals (design §4). Only the SHA-256 of a token is stored.

CREATE TABLE tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hash        text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$'),
    role        text NOT NULL CHECK (role IN ('municipality', 'rapporteur', 'analyst')),
    label       label_text NOT NULL CHECK (label !~ '[[:cntrl:]]'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NULL,
    revoked_at  timestamptz NULL,
    cert_serial text NULL CHECK (cert_serial ~ '^[A-Za-z0-9.:-]{1,64}$')
);
-- One live principal per certificate; a revoked one frees its certificate for a new token.
CREATE UNIQUE INDEX tokens_cert_serial_live ON tokens (cert_serial) WHERE revoked_at IS NULL;
COMMENT ON COLUMN tokens.hash IS 'Lower-case hex SHA-256 of the token; the token itself is never stored.';
COMMENT ON COLUMN tokens.label IS 'An organisational label ("GM0599 data office"), never a person''s name.';
COMMENT ON COLUMN tokens.expires_at IS 'The token is refused from this instant on (now() >= expires_at).';
COMMENT ON COLUMN tokens.cert_serial IS
    'serialNumber (OID 2.5.4.5, the OIN) of a client certificate that maps to this principal.';

CREATE TABLE token_municipalities (
    token_id          bigint NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
    municipality_code text NOT NULL REFERENCES municipalities (code) ON UPDATE CASCADE,
    PRIMARY KEY (token_id, municipality_code)
);
CREATE INDEX token_municipalities_by_code ON token_municipalities (municipality_code);
COMMENT ON TABLE token_municipalities IS
    'The codes a municipality principal may write and read raw. trechterd token create ensures a '
    'municipality token holds at least one code and other roles none.';

---------------------------------------------------------------------------------------------------
-- Audit trail (design §6). Append-only: rows are never updated or deleted, except that
-- audit_forget_client_addresses() removes client addresses older than the retention period.

CREATE TABLE audit_events (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    principal_id    bigint NULL,
    principal_label text NULL,
    client_address  inet NULL,
    request_id      text NULL,
    method          text NOT NULL,
    path            text NOT NULL,
    status          int NULL CHECK (status BETWEEN 100 AND 599),
    outcome         text NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_principal ON audit_events (principal_id, at);
COMMENT ON COLUMN audit_events.principal_id IS
    'tokens.id of the caller; NULL for an unauthenticated request or the command line.';
COMMENT ON COLUMN audit_events.status IS 'HTTP status; NULL for command-line events.';

CREATE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND current_setting('trechter.audit_retention', true) = 'on'
       AND NEW.client_address IS NULL
       AND to_jsonb(NEW) - 'client_address' = to_jsonb(OLD) - 'client_address' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- Removes client addresses of events older than retention_days (design §2; default 180) and
-- returns how many rows it changed. The only permitted change to audit_events.
CREATE FUNCTION audit_forget_client_addresses(retention_days int DEFAULT 180) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    changed bigint;
BEGIN
    IF retention_days IS NULL OR retention_days < 0 THEN
        RAISE EXCEPTION 'retention_days must be >= 0' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM set_config('trechter.audit_retention', 'on', true);
    UPDATE audit_events SET client_address = NULL
     WHERE client_address IS NOT NULL
       AND at < now() - make_interval(days => retention_days);
    GET DIAGNOSTICS changed = ROW_COUNT;
    PERFORM set_config('trechter.audit_retention', 'off', true);
    RETURN changed;
END;
$$;
