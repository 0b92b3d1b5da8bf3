/* POST /v1/imports (design §3.1): many funnels at once from a JSON array or the CSV long format,
 * all or nothing in one transaction, with dry runs and Idempotency-Key replays. */
#include <event2/buffer.h>
#include <malloc.h>
#include <event2/http.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/catalog_load.h"
#include "api/db_reply.h"
#include "core/period.h"
#include "core/prepared.h"
#include "api/handlers.h"
#include "api/idempotency.h"
#include "api/outcome.h"
#include "core/import_doc.h"
#include "core/catalog.h"
#include "api/api_worker.h"
#include "api/request.h"
#include "core/access.h"
#include "daemon/db_pool.h"
#include "daemon/log.h"
#include "daemon/server.h"

static const char import_sql[] =
    "SELECT import_funnels($1::jsonb, $2::text[], $3::boolean, $4, $5, $6::bigint, $7, $8, $9,"
    " $10::int, $11::int, $12::int, $13::int)";

struct import_call {
    bool is_csv;
    bool dry_run;
    struct idempotency idem; /* the key ("" when none) and the body's digest */
    char *items;             /* owned: JSON array for import_funnels */
    int skipped;             /* CSV items without a single count */
    int attempts;            /* statements sent so far (DB_WRITE_ATTEMPTS at most) */
};

static void import_call_free(void *p)
{
    struct import_call *c = p;
    bool large = c && c->items && strlen(c->items) > (1u << 20);
    if (c)
        free(c->items);
    free(c);
    /* A large import leaves tens of megabytes free in the heap; hand them back to the system so a
     * long-running daemon's footprint stays that of its steady state. */
    if (large)
        malloc_trim(0);
}

static bool funnel_any_known(const struct funnel *f, const struct catalog *cat)
{
    for (size_t s = 0; s < cat->nstages; s++)
        if (f->stages[s].known)
            return true;
    return false;
}

/* A refused import is a problem (RFC 9457) whose `errors` list
 * every violation; the import summary of design §3.1 (status "rejected", created 0, ...) travels
 * beside it in the member `import`, where its own `status` cannot clash with the problem's. */
static void reply_rejected(struct request *r, const struct sql_outcome *o, json_t *summary)
{
    struct violations v = {json_incref(json_object_get(summary, "errors"))};
    if (!v.items)
        v.items = json_array();
    json_object_del(summary, "errors"); /* listed once, in the problem's own errors */
    reply_problem_with(r, o->status, o->problem, o->detail, &v, "import", summary);
    violations_clear(&v);
}

static void import_send(struct request *r);

static void import_done(void *arg, enum db_status status, const PGresult *res)
{
    struct request *r = arg;
    struct import_call *c = r->handler_state;
    json_t *result = db_write_answer(r, status, res, c->attempts, import_send);
    if (!result)
        return;
    const char *word = json_string_value(json_object_get(result, "outcome"));
    const struct sql_outcome *o = sql_outcome(word);
    json_t *body = json_object_get(result, "body");
    if (!o || (o->status == 200 && !body)) {
        log_error("import_funnels answered an unknown outcome \"%s\"", word ? word : "");
        reply_problem(r, 500, "internal", "The import gave no answer.", NULL);
    } else if (o->status == 409) {
        idempotency_reply_conflict(r, o);
    } else if (o->status == 200) {
        if (strcmp(o->word, "replayed") == 0)
            idempotency_mark_replayed(r);
        else if (!c->dry_run)
            server_note_local_write(r->worker);
        reply_json(r, 200, json_incref(body));
    } else {
        if (o->status == 429)
            request_add_header(r, "Retry-After", "3600");
        reply_rejected(r, o, body);
    }
    json_decref(result);
}

static json_t *summary_rejected(struct violations *v, size_t items)
{
    json_t *s = json_pack("{s:s, s:i, s:i, s:i, s:I, s:[], s:O}", "status", "rejected", "created",
                          0, "updated", 0, "unchanged", 0, "rejected", (json_int_t)items,
                          "warnings", "errors", v->items);
    return s;
}

static void import_with_catalog(struct request *r)
{
    struct import_call *c = r->handler_state;
    const struct catalog *cat = request_api(r)->catalog;
    struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
    size_t len = evbuffer_get_length(in);
    const char *body = len ? (const char *)evbuffer_pullup(in, (ev_ssize_t)len) : "";
    idempotency_hash_body(&c->idem, body, len);

    struct import_doc doc;
    memset(&doc, 0, sizeof doc);
    struct violations v;
    violations_init(&v);
    if (import_decode(body, len, c->is_csv, cat, time(NULL), &doc, &v) < 0) {
        json_t *summary = summary_rejected(&v, doc.count);
        reply_rejected(r, sql_outcome("import-invalid"), summary);
        json_decref(summary);
        violations_clear(&v);
        import_doc_free(&doc);
        return;
    }
    violations_clear(&v);

    /* The statement's parameter is written as text straight away: the documents and cells are
     * JSON already, and building a jansson tree of every cell of a large import would take many
     * times the memory of the text. Codes, periods and pointers are validated shapes that need
     * no escaping. */
    struct evbuffer *items = evbuffer_new();
    bool failed = !items || evbuffer_add(items, "[", 1) < 0;
    size_t written = 0;
    for (size_t i = 0; i < doc.count && !failed; i++) {
        const struct import_item *it = &doc.items[i];
        /* A CSV item whose counts are all empty gives nothing: it is skipped rather than
         * stored as a funnel that knows nothing, so that importing an untouched template (or a
         * sheet with some municipalities left blank) never wipes figures. A JSON item says
         * "stages": {} on purpose and is stored as such. */
        if (c->is_csv && !funnel_any_known(&it->funnel, cat)) {
            c->skipped++;
            continue;
        }
        struct prepared_submission p = {0};
        char previous[8], pointer[32];
        struct period per;
        period_parse(it->period, &per);
        period_format(period_previous(per), previous);
        if (c->is_csv)
            snprintf(pointer, sizeof pointer, "row %zu", it->first_row);
        else
            snprintf(pointer, sizeof pointer, "/%zu", it->index);
        failed = funnel_prepare_stored(&it->funnel, cat, r->worker->server->sdc_secret,
                                       r->worker->server->sdc_secret_len, it->code, it->period,
                                       &p) < 0 ||
                 evbuffer_add_printf(items,
                                     "%s{\"municipality\":\"%s\",\"period\":\"%s\","
                                     "\"previous\":\"%s\",\"pointer\":\"%s\",\"content\":%s,"
                                     "\"cells\":%s,\"warnings\":%s}",
                                     written ? "," : "", it->code, it->period, previous, pointer,
                                     p.content, p.cells, p.warnings) < 0;
        written++;
        prepared_clear(&p);
    }
    import_doc_free(&doc);
    if (!failed && evbuffer_add(items, "]", 1) == 0) {
        size_t n = evbuffer_get_length(items);
        c->items = malloc(n + 1);
        if (c->items) {
            evbuffer_remove(items, c->items, n);
            c->items[n] = '\0';
        }
    }
    if (items)
        evbuffer_free(items);
    if (failed || !c->items) {
        reply_unavailable(r, "Out of memory.");
        return;
    }

    import_send(r);
}

void handle_import(struct request *r)
{
    if (!access_may_import(&r->principal)) {
        reply_problem(r, 403, "forbidden", "Analysts read; they do not import figures.", NULL);
        return;
    }
    struct violations v;
    violations_init(&v);
    struct import_call *c = calloc(1, sizeof *c);
    if (!c) {
        violations_clear(&v);
        reply_unavailable(r, "Out of memory.");
        return;
    }
    r->handler_state = c;
    r->handler_state_free = import_call_free;
    const char *ct = request_header(r, "Content-Type");
    if (ct && strncmp(ct, "text/csv", 8) == 0)
        c->is_csv = true;
    else if (ct && strncmp(ct, "application/json", 16) != 0) {
        violations_clear(&v);
        reply_problem(r, 415, "unsupported-media-type",
                      "Send a JSON array (application/json) or CSV (text/csv).", NULL);
        return;
    }
    const char *dry = request_query(r, "dryRun");
    if (dry && strcmp(dry, "true") == 0)
        c->dry_run = true;
    else if (dry && strcmp(dry, "false") != 0)
        violations_add(&v, IN_QUERY, "dryRun", "invalid", "dryRun is true or false.");
    idempotency_read(r, &c->idem, &v);
    if (violations_count(&v)) {
        reply_problem(r, 400, "invalid-input", "The request is invalid; see errors.", &v);
        violations_clear(&v);
        return;
    }
    violations_clear(&v);
    catalog_then(r, import_with_catalog);
}

/* Sends the prepared import as one statement (one transaction). Sent again, from import_done,
 * when it lost a race with another write (a serialisation failure, a deadlock, two creations of
 * one row), as single writes are: the transaction rolled back whole, so nothing is doubled. */
static void import_send(struct request *r)
{
    struct import_call *c = r->handler_state;
    /* The codes this principal may write, as a PostgreSQL array literal; NULL for any. */
    char *allowed = NULL;
    if (!access_writes_any_code(&r->principal)) {
        size_t n = strlen(r->principal.codes) + 3;
        allowed = malloc(n);
        if (allowed)
            snprintf(allowed, n, "{%s}", r->principal.codes);
    }
    const struct app_settings *s = &r->worker->settings;
    char skipped[16];
    snprintf(skipped, sizeof skipped, "%d", c->skipped);
    struct writer_params writer;
    char cap[16];
    snprintf(cap, sizeof cap, "%d", access_revision_cap(&r->principal, s->max_revisions_per_day));
    const char *params[5 + WRITER_PARAMS + 2] = {c->items, allowed, c->dry_run ? "true" : "false",
                                                 idempotency_key_param(&c->idem),
                                                 c->idem.body_sha256};
    writer_params_put(r, &writer, params + 5);
    params[5 + WRITER_PARAMS] = skipped;
    params[5 + WRITER_PARAMS + 1] = cap;
    c->attempts++;
    int rc =
        db_pool_query_timeout(r->worker->db, import_sql, (int)(sizeof params / sizeof params[0]),
                              params, s->import_timeout_ms, import_done, r);
    free(allowed);
    if (rc < 0)
        reply_unavailable(r, "The server is shutting down.");
}
