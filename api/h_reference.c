/* Reference data endpoints (design §3.2): municipalities, region sets and their regions, stages
 * with dimensions and categories, partner types. Public, the same for every caller, rendered by
 * SQL. */
#include <string.h>

#include "api/db_reply.h"
#include "core/municipality_code.h"
#include "api/handlers.h"
#include "api/request.h"

/* "Today" for memberships is the calendar day in the Netherlands. */
#define TODAY_NL "(now() AT TIME ZONE 'Europe/Amsterdam')::date"

#define REGION_OF(set)                                                                             \
    "(SELECT json_build_object('code', r.code, 'name', r.name)"                                    \
    "   FROM region_memberships rm JOIN regions r"                                                 \
    "     ON r.set_key = rm.set_key AND r.code = rm.region_code"                                   \
    "  WHERE rm.set_key = '" set "' AND rm.municipality_code = m.code"                             \
    "    AND " TODAY_NL " BETWEEN rm.valid_from AND rm.valid_to LIMIT 1)"

#define MUNICIPALITY_ROWS                                                                          \
    "SELECT m.code, m.name,"                                                                       \
    "       CASE WHEN m.valid_from = '-infinity' THEN NULL ELSE m.valid_from END AS "              \
    "\"validFrom\","                                                                               \
    "       CASE WHEN m.valid_to = 'infinity' THEN NULL ELSE m.valid_to END AS \"validTo\","       \
    "       " REGION_OF("province") " AS province,"                                                \
                                    "       " REGION_OF("safetyRegion") " AS \"safetyRegion\""     \
                                                                        "  FROM municipalities m"

static const char municipalities_sql[] =
    "SELECT json_build_object('municipalities', coalesce(json_agg(x ORDER BY x.code), '[]'))"
    "  FROM (" MUNICIPALITY_ROWS ") x";

static const char municipality_sql[] =
    "SELECT row_to_json(x) FROM (" MUNICIPALITY_ROWS " WHERE m.code = $1) x";

static const char region_sets_sql[] =
    "SELECT json_build_object('regionSets', coalesce(json_agg(x ORDER BY x.\"builtIn\" DESC, "
    "x.key), "
    "'[]'))"
    "  FROM (SELECT s.key, s.name_nl AS name, s.name_en AS \"nameEn\", s.builtin AS \"builtIn\","
    "               s.code_prefix AS \"codePrefix\","
    "               (SELECT count(*) FROM regions r WHERE r.set_key = s.key) AS \"regionCount\""
    "          FROM region_sets s) x";

static const char regions_sql[] =
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM region_sets WHERE key = $1) THEN"
    "  json_build_object('regionSet', $1::text, 'regions', coalesce((SELECT json_agg(x ORDER BY "
    "x.code)"
    "    FROM (SELECT r.code, r.name,"
    "                 coalesce((SELECT json_agg(rm.municipality_code ORDER BY rm.municipality_code)"
    "                             FROM region_memberships rm"
    "                            WHERE rm.set_key = r.set_key AND rm.region_code = r.code"
    "                              AND " TODAY_NL " BETWEEN rm.valid_from AND rm.valid_to),"
    "                          '[]') AS municipalities"
    "            FROM regions r WHERE r.set_key = $1) x), '[]'))"
    " END";

static const char stages_sql[] =
    "SELECT json_build_object('stages', json_agg(s ORDER BY s.position)) FROM ("
    " SELECT st.key, st.position,"
    "        json_build_object('nl', st.label_nl, 'en', st.label_en) AS label,"
    "        json_build_object('nl', st.definition_nl, 'en', st.definition_en) AS definition,"
    "        coalesce((SELECT json_agg(d ORDER BY d.position) FROM ("
    "          SELECT dm.key, dm.position,"
    "                 json_build_object('nl', dm.label_nl, 'en', dm.label_en) AS label,"
    "                 json_build_object('nl', dm.definition_nl, 'en', dm.definition_en) AS "
    "definition,"
    "                 (SELECT json_agg(json_build_object('key', c.key, 'label',"
    "                          json_build_object('nl', c.label_nl, 'en', c.label_en))"
    "                          ORDER BY c.position)"
    "                    FROM categories c WHERE c.dimension = dm.key) AS categories"
    "            FROM stage_dimensions sd JOIN dimensions dm ON dm.key = sd.dimension"
    "           WHERE sd.stage = st.key) d), '[]') AS dimensions"
    "   FROM stages st) s";

static const char partner_types_sql[] =
    "SELECT json_build_object('partnerTypes', json_agg(json_build_object("
    "         'key', p.key, 'position', p.position,"
    "         'label', json_build_object('nl', p.label_nl, 'en', p.label_en))"
    "       ORDER BY p.position))"
    "  FROM partner_types p";

void handle_municipalities(struct request *r)
{
    if (request_cached_reply(r))
        return;
    reply_from_query(r, municipalities_sql, 0, NULL, "No municipalities are loaded.");
}

void handle_municipality(struct request *r)
{
    if (request_cached_reply(r))
        return;
    const char *code = request_param(r, "code");
    if (!municipality_code_valid(code)) {
        reply_invalid_path(r, "code",
                           "A municipality code is GM followed by four digits (GM0599).");
        return;
    }
    const char *params[] = {code};
    reply_from_query(r, municipality_sql, 1, params, "There is no municipality with this code.");
}

void handle_region_sets(struct request *r)
{
    if (request_cached_reply(r))
        return;
    reply_from_query(r, region_sets_sql, 0, NULL, "No region sets are loaded.");
}

void handle_regions(struct request *r)
{
    if (request_cached_reply(r))
        return;
    const char *params[] = {request_param(r, "key")};
    reply_from_query(r, regions_sql, 1, params, "There is no region set with this key.");
}

void handle_stages(struct request *r)
{
    if (request_cached_reply(r))
        return;
    reply_from_query(r, stages_sql, 0, NULL, "No stages are loaded.");
}

void handle_partner_types(struct request *r)
{
    if (request_cached_reply(r))
        return;
    reply_from_query(r, partner_types_sql, 0, NULL, "No partner types are loaded.");
}
