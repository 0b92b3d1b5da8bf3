/* Snapshot resources with revisions (funnels and networks): PUT, GET, revisions and DELETE. */
#include "api/submission.h"
#include "core/municipality_code.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/catalog_load.h"
#include "api/db_reply.h"
#include "api/handlers.h"
#include "api/idempotency.h"
#include "api/outcome.h"
#include "api/api_worker.h"
#include "api/request.h"
#include "core/access.h"
#include "daemon/db_pool.h"
#include "daemon/server.h"

/* The writes: one function call each, so one transaction, which also keeps the answer for an
 * Idempotency-Key ($1, with the body's digest $2; sql/009). */
static const char put_sql[] =
    "SELECT put_submission_once($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9::jsonb, $10::int,"
    " $11::boolean, $12::bigint, $13, $14, $15, $16::int, $17::int, $18::int)";
static const char delete_sql[] =
    "SELECT delete_submission_once($1, $2, $3, $4, $5, $6::int, $7::bigint, $8, $9, $10)";
static const char get_sql[] = "SELECT get_submission($1, $2, $3, $4::int)";
static const char revisions_sql[] = "SELECT list_revisions($1, $2, $3)";
static const char exists_sql[] = "SELECT 1 FROM municipalities WHERE code = $1";

enum submission_op { OP_PUT, OP_GET, OP_REVISIONS, OP_DELETE };

struct submission_call {
    const struct submission_kind *kind; /* static */
    enum submission_op op;
    char code[8];
    struct period period;
    char period_text[8];
    char previous_text[8];
    bool dry_run;
    bool has_if_match;
    int if_match; /* -1 for "*" */
    int attempts;
    int revision_wanted;     /* GET ?revision=N, 0 for the current one */
    struct idempotency idem; /* PUT and DELETE: Idempotency-Key ("" when none), body digest */
    struct prepared_submission prepared; /* owned strings */
};

static void call_free(void *p)
{
    struct submission_call *c = p;
    if (!c)
        return;
    prepared_clear(&c->prepared);
    free(c);
}

/* Parses an If-Match value: "3", "\"3\"", W/ not accepted (strong ETags only), or "*". */
static int parse_if_match(const char *text, int *out)
{
    while (*text == ' ')
        text++;
    if (strcmp(text, "*") == 0) {
        *out = -1;
        return 0;
    }
    char digits[16];
    size_t n = strlen(text);
    if (n >= 2 && text[0] == '"' && text[n - 1] == '"') {
        text++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof digits)
        return -1;
    memcpy(digits, text, n);
    digits[n] = '\0';
    char *end;
    long v = strtol(digits, &end, 10);
    if (*end || v < 1 || v > 1000000000)
        return -1;
    *out = (int)v;
    return 0;
}

static void set_etag(struct request *r, long long revision)
{
    char etag[32];
    snprintf(etag, sizeof etag, "\"%lld\"", revision);
    request_add_header(r, "ETag", etag);
}

/* Checks the path (code and period), the query and the headers of every operation; answers 400
 * itself. */
static struct submission_call *begin(struct request *r, const struct submission_kind *kind,
                                     enum submission_op op)
{
    bool for_write = op == OP_PUT;
    struct violations v;
    violations_init(&v);
    const char *code = request_param(r, "code");
    const char *period = request_param(r, "period");
    if (!municipality_code_valid(code))
        violations_add(&v, IN_PATH, "code", "invalid-code",
                       "A municipality code is GM followed by four digits (GM0599).");
    struct period p = {0};
    int pc = for_write ? period_check_submittable(period, time(NULL), &p)
                       : (period_parse(period, &p) == 0 ? PERIOD_OK : PERIOD_MALFORMED);
    switch (pc) {
    case PERIOD_OK:
        break;
    case PERIOD_NOT_ENDED:
        violations_add(&v, IN_PATH, "period", "period-not-ended",
                       "Figures come in after a quarter has ended (Europe/Amsterdam); %s has not.",
                       period);
        break;
    case PERIOD_TOO_EARLY:
        violations_add(&v, IN_PATH, "period", "period-too-early",
                       "Periods before 2015-Q1 are not accepted.");
        break;
    default:
        violations_add(&v, IN_PATH, "period", "malformed-period",
                       "A period is a quarter written 2026-Q2 (or 2026Q2).");
    }
    struct submission_call *c = calloc(1, sizeof *c);
    if (!c) {
        violations_clear(&v);
        reply_unavailable(r, "Out of memory.");
        return NULL;
    }
    c->kind = kind;
    c->op = op;
    if (op == OP_PUT || op == OP_DELETE)
        idempotency_read(r, &c->idem, &v);
    const char *dry = request_query(r, "dryRun");
    if (dry && strcmp(dry, "true") == 0)
        c->dry_run = true;
    else if (dry && strcmp(dry, "false") != 0)
        violations_add(&v, IN_QUERY, "dryRun", "invalid", "dryRun is true or false.");
    const char *rev = request_query(r, "revision");
    if (rev) {
        char *end;
        long n = strtol(rev, &end, 10);
        if (*end || end == rev || n < 1 || n > 1000000000)
            violations_add(&v, IN_QUERY, "revision", "invalid",
                           "revision is a revision number, 1 or more.");
        else
            c->revision_wanted = (int)n;
    }
    const char *if_match = request_header(r, "If-Match");
    if (if_match) {
        c->has_if_match = true;
        if (parse_if_match(if_match, &c->if_match) < 0)
            violations_add(&v, IN_HEADER, "If-Match", "invalid",
                           "If-Match holds the ETag of a revision, e.g. \"3\", or *.");
    }
    if (violations_count(&v)) {
        free(c);
        reply_problem(r, 400, "invalid-input", "The request is invalid; see errors.", &v);
        violations_clear(&v);
        return NULL;
    }
    violations_clear(&v);
    snprintf(c->code, sizeof c->code, "%s", code);
    c->period = p;
    period_format(p, c->period_text);
    period_format(period_previous(p), c->previous_text);
    r->handler_state = c;
    r->handler_state_free = call_free;
    return c;
}

/* For a caller who may not touch the resource: 404 when the municipality does not exist (it is
 * public reference data, so this reveals nothing), else 403. */
static void refuse_done(void *arg, enum db_status status, const PGresult *res)
{
    struct request *r = arg;
    if (status != DB_OK) {
        reply_db_failure(r, status, res);
        return;
    }
    if (PQntuples(res) == 0)
        reply_problem(r, 404, "not-found", "There is no municipality with this code.", NULL);
    else
        reply_problem(r, 403, "forbidden",
                      "This token may not read or write this municipality's figures.", NULL);
}

static void refuse(struct request *r, const char *code)
{
    const char *params[] = {code};
    if (db_pool_query(r->worker->db, exists_sql, 1, params, refuse_done, r) < 0)
        reply_unavailable(r, "The server is shutting down.");
}

/* Answers the JSON of the write function's result. */
static void put_done(void *arg, enum db_status status, const PGresult *res);

static void put_send(struct request *r)
{
    struct submission_call *c = r->handler_state;
    char if_match[16];
    snprintf(if_match, sizeof if_match, "%d", c->if_match);
    struct writer_params writer;
    char cap[16];
    snprintf(cap, sizeof cap, "%d",
             access_revision_cap(&r->principal, r->worker->settings.max_revisions_per_day));
    const char *params[11 + WRITER_PARAMS + 1] = {
        idempotency_key_param(&c->idem),
        c->idem.body_sha256,
        c->kind->name,
        c->code,
        c->period_text,
        c->previous_text,
        c->prepared.content,
        c->prepared.cells,
        c->prepared.warnings,
        c->has_if_match ? if_match : NULL,
        c->dry_run ? "true" : "false",
    };
    writer_params_put(r, &writer, params + 11);
    params[11 + WRITER_PARAMS] = cap;
    c->attempts++;
    if (db_pool_query(r->worker->db, put_sql, (int)(sizeof params / sizeof params[0]), params,
                      put_done, r) < 0)
        reply_unavailable(r, "The server is shutting down.");
}

static void put_done(void *arg, enum db_status status, const PGresult *res)
{
    struct request *r = arg;
    struct submission_call *c = r->handler_state;
    json_t *result = db_write_answer(r, status, res, c->attempts, put_send);
    if (!result)
        return;
    const char *st = json_string_value(json_object_get(result, "status"));
    json_t *revision = json_object_get(result, "revision");
    /* The answer kept for this Idempotency-Key, given again: nothing was written now. */
    bool replayed = json_is_true(json_object_get(result, "replayed"));
    const struct sql_outcome *o = sql_outcome(st);
    if (!o || o->status == 204) {
        json_decref(result);
        reply_problem(r, 500, "internal", "The write gave no answer.", NULL);
        return;
    }
    if (o->status == 412) {
        char detail[160];
        if (json_is_integer(revision))
            snprintf(detail, sizeof detail,
                     "If-Match does not name the current revision, which is %lld.",
                     (long long)json_integer_value(revision));
        else
            snprintf(detail, sizeof detail, "If-Match was given but there is no current revision.");
        if (json_is_integer(revision))
            set_etag(r, json_integer_value(revision));
        reply_problem(r, o->status, o->problem, detail, NULL);
    } else if (o->status == 409) {
        idempotency_reply_conflict(r, o);
    } else if (o->problem) {
        if (o->status == 429)
            request_add_header(r, "Retry-After", "3600");
        reply_problem(r, o->status, o->problem, o->detail, NULL);
    } else {
        json_t *doc = json_incref(json_object_get(result, "document"));
        bool created = o->status == 201;
        bool unchanged = strcmp(o->word, "unchanged") == 0;
        bool dry_run = c->dry_run && !replayed; /* a replay repeats a real write's answer */
        if (replayed)
            idempotency_mark_replayed(r);
        else if (!dry_run && !unchanged)
            server_note_local_write(r->worker);
        if (c->kind->decorate && c->kind->decorate(doc, c->period) < 0) {
            json_decref(doc);
            json_decref(result);
            reply_unavailable(r, "Out of memory.");
            return;
        }
        if (unchanged)
            json_object_set_new(doc, "unchanged", json_true());
        if (dry_run)
            json_object_set_new(doc, "dryRun", json_true());
        set_etag(r, json_integer_value(revision));
        if (created && !dry_run) {
            char location[96];
            snprintf(location, sizeof location, "/v1/municipalities/%s/%ss/%s", c->code,
                     c->kind->name, c->period_text);
            request_add_header(r, "Location", location);
        }
        reply_json(r, o->status, doc);
    }
    json_decref(result);
}

static void put_with_catalog(struct request *r)
{
    struct submission_call *c = r->handler_state;
    struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
    size_t len = evbuffer_get_length(in);
    const char *body = len ? (const char *)evbuffer_pullup(in, (ev_ssize_t)len) : "";
    struct violations v;
    violations_init(&v);
    if (c->kind->prepare(r, request_api(r)->catalog, c->code, c->period, body, len, &c->prepared,
                         &v) < 0) {
        reply_problem(r, 400, "invalid-input",
                      "The document is invalid; every violation is listed in errors.", &v);
        violations_clear(&v);
        return;
    }
    violations_clear(&v);
    idempotency_hash_body(&c->idem, body, len);
    put_send(r);
}

static bool media_type_is(const char *ct, const char *type)
{
    size_t n = strlen(type);
    return strncasecmp(ct, type, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* The body must be JSON. No Content-Type, and the form type `curl -d` sends by default, are taken
 * as JSON too (the body is still parsed strictly): refusing them would only trip up people typing
 * curl commands. Anything else (text/plain, text/csv, ...) gets 415. */
static bool json_content_type(const char *ct)
{
    return !ct || media_type_is(ct, "application/json") ||
           media_type_is(ct, "application/x-www-form-urlencoded");
}

void submission_put(struct request *r, const struct submission_kind *kind)
{
    struct submission_call *c = begin(r, kind, OP_PUT);
    if (!c)
        return;
    if (!access_may_write(&r->principal, c->code)) {
        refuse(r, c->code);
        return;
    }
    if (!json_content_type(request_header(r, "Content-Type"))) {
        reply_problem(r, 415, "unsupported-media-type", "Send the document as application/json.",
                      NULL);
        return;
    }
    catalog_then(r, put_with_catalog);
}

static void read_done(void *arg, enum db_status status, const PGresult *res)
{
    struct request *r = arg;
    struct submission_call *c = r->handler_state;
    if (status != DB_OK) {
        reply_db_failure(r, status, res);
        return;
    }
    if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
        reply_problem(r, 404, "not-found",
                      c->op == OP_REVISIONS ? "Nothing was ever submitted here."
                      : c->revision_wanted  ? "There is no such revision (or it is a deletion)."
                                            : "Nothing is submitted here (or it was deleted).",
                      NULL);
        return;
    }
    const char *text = PQgetvalue(res, 0, 0);
    if (c->op == OP_GET) {
        json_t *doc = json_loads(text, 0, NULL);
        set_etag(r, json_integer_value(json_object_get(doc, "revision")));
        if (c->kind->decorate) {
            if (!doc || c->kind->decorate(doc, c->period) < 0) {
                json_decref(doc);
                reply_unavailable(r, "Out of memory.");
                return;
            }
            reply_json(r, 200, doc);
            return;
        }
        json_decref(doc);
    }
    reply_json_text(r, 200, text, (size_t)PQgetlength(res, 0, 0));
}

static void read_op(struct request *r, const struct submission_kind *kind, enum submission_op op)
{
    struct submission_call *c = begin(r, kind, op);
    if (!c)
        return;
    if (!access_may_read(&r->principal, c->code)) {
        refuse(r, c->code);
        return;
    }
    char revision[16];
    snprintf(revision, sizeof revision, "%d", c->revision_wanted);
    const char *params[] = {kind->name, c->code, c->period_text,
                            c->revision_wanted ? revision : NULL};
    int rc = op == OP_GET ? db_pool_query(r->worker->db, get_sql, 4, params, read_done, r)
                          : db_pool_query(r->worker->db, revisions_sql, 3, params, read_done, r);
    if (rc < 0)
        reply_unavailable(r, "The server is shutting down.");
}

void submission_get(struct request *r, const struct submission_kind *kind)
{
    read_op(r, kind, OP_GET);
}

void submission_revisions(struct request *r, const struct submission_kind *kind)
{
    read_op(r, kind, OP_REVISIONS);
}

/* Sends the delete again (it lost a race): the call's state holds everything it needs. */
static void delete_resend(struct request *r)
{
    submission_delete(r, ((struct submission_call *)r->handler_state)->kind);
}

static void delete_done(void *arg, enum db_status status, const PGresult *res)
{
    struct request *r = arg;
    struct submission_call *c = r->handler_state;
    json_t *result = db_write_answer(r, status, res, c->attempts, delete_resend);
    if (!result)
        return;
    const char *st = json_string_value(json_object_get(result, "status"));
    long long revision = json_integer_value(json_object_get(result, "revision"));
    bool replayed = json_is_true(json_object_get(result, "replayed"));
    const struct sql_outcome *o = sql_outcome(st);
    json_decref(result);
    if (o && o->status == 204) {
        if (replayed)
            idempotency_mark_replayed(r);
        else
            server_note_local_write(r->worker);
        reply_empty(r, 204);
        return;
    }
    if (o && o->status == 409) {
        idempotency_reply_conflict(r, o);
        return;
    }
    if (o && o->status == 412)
        set_etag(r, revision);
    else
        o = sql_outcome("not-found"); /* nothing (left) to delete */
    reply_problem(r, o->status, o->problem, o->detail, NULL);
}

void submission_delete(struct request *r, const struct submission_kind *kind)
{
    struct submission_call *c = r->handler_state;
    if (!c) {
        c = begin(r, kind, OP_DELETE);
        if (!c)
            return;
        if (!access_may_delete(&r->principal, c->code)) {
            reply_problem(r, 403, "forbidden", "Only the rapporteur may delete submissions.", NULL);
            return;
        }
        /* A DELETE has no document, but a key stands for the request as sent, body included. */
        struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
        size_t len = evbuffer_get_length(in);
        idempotency_hash_body(&c->idem,
                              len ? (const char *)evbuffer_pullup(in, (ev_ssize_t)len) : "", len);
    }
    char if_match[16], principal[24];
    snprintf(if_match, sizeof if_match, "%d", c->if_match);
    snprintf(principal, sizeof principal, "%lld", r->principal.id);
    const char *params[10] = {idempotency_key_param(&c->idem),
                              c->idem.body_sha256,
                              kind->name,
                              c->code,
                              c->period_text,
                              c->has_if_match ? if_match : NULL,
                              principal,
                              r->principal.label,
                              r->request_id,
                              r->client_address};
    c->attempts++;
    if (db_pool_query(r->worker->db, delete_sql, 10, params, delete_done, r) < 0)
        reply_unavailable(r, "The server is shutting down.");
}
