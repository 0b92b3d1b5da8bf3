/* The trechter commands: request building, sending and printing; see commands.h. */
#include "client/commands.h"

#include "client/body.h"
#include "client/exit_code.h"
#include "client/render.h"
#include "client/template.h"

#include <jansson.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SINGULAR_BODY (1024u * 1024)     /* the daemon's max-body default */
#define MAX_IMPORT_BODY (256u * 1024 * 1024) /* well above max-import-body; the server decides */

/* ---- pure helpers --------------------------------------------------------------------------- */

char *url_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = malloc(n * 3 + 1);
    if (out == NULL)
        return NULL;
    char *o = out;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

int query_append(char **q, const char *name, const char *value)
{
    if (value == NULL)
        return 0;
    char *ev = url_escape(value);
    if (ev == NULL)
        return -1;
    size_t old = *q ? strlen(*q) : 0;
    size_t add = strlen(name) + strlen(ev) + 2;
    char *nq = realloc(*q, old + add + 1);
    if (nq == NULL) {
        free(ev);
        return -1;
    }
    snprintf(nq + old, add + 1, "%s%s=%s", old ? "&" : "", name, ev);
    *q = nq;
    free(ev);
    return 0;
}

int idempotency_key_new(char out[37])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        return -1;
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80); /* variant 1 */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
    return 0;
}

/* ---- shared plumbing ------------------------------------------------------------------------ */

typedef void (*renderer_fn)(FILE *out, const json_t *doc);

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("trechter: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see trechter --help)\n", stderr);
    return CLIENT_EXIT_USAGE;
}

/* table when asked, or by default on a terminal */
static int want_table(const struct run *r)
{
    return r->cli->format == FORMAT_TABLE || (r->cli->format == FORMAT_AUTO && r->stdout_tty);
}

static void print_raw(const struct http_response *rs, int add_newline)
{
    fwrite(rs->body, 1, rs->body_len, stdout);
    if (add_newline && rs->body_len > 0 && rs->body[rs->body_len - 1] != '\n')
        fputc('\n', stdout);
}

/* Prints a failure (transport or HTTP) on stderr and returns the exit code; 0 for a 2xx. */
static int report_failure(const struct run *r, int perform_rc, const struct http_response *rs)
{
    if (perform_rc != 0) {
        fprintf(stderr, "trechter: no answer from %s: %s", r->settings.url, rs->error);
        if (rs->attempts > 1)
            fprintf(stderr, " (after %u attempts)", rs->attempts);
        fputc('\n', stderr);
        return CLIENT_EXIT_FAILURE;
    }
    if (rs->status >= 200 && rs->status < 300)
        return CLIENT_EXIT_OK;
    json_t *doc = NULL;
    if (http_is_json_type(rs->content_type))
        doc = json_loadb(rs->body, rs->body_len, 0, NULL);
    render_problem(stderr, rs->status, doc, rs->body, rs->body_len, rs->request_id);
    json_decref(doc);
    if (rs->status == 401 && r->http.token == NULL)
        fputs("trechter: no token was given: use --token-file, TRECHTER_TOKEN_FILE or "
              "TRECHTER_TOKEN, or token-file in the config file\n",
              stderr);
    if (rs->attempts > 1)
        fprintf(stderr, "trechter: gave up after %u attempts\n", rs->attempts);
    return exit_code_for_status(rs->status);
}

/* Prints a successful JSON answer: rendered for people, or as the server sent it. Write answers'
 * warnings also go to stderr when stdout gets JSON, so that a scheduled job's log shows them. */
static int print_answer(const struct run *r, const struct http_response *rs, renderer_fn render,
                        int warnings_to_stderr)
{
    json_t *doc = json_loadb(rs->body, rs->body_len, 0, NULL);
    if (!want_table(r) || doc == NULL) {
        print_raw(rs, 1);
        if (doc != NULL && warnings_to_stderr)
            render_warnings(stderr, json_object_get(doc, "warnings"));
    } else {
        render(stdout, doc);
    }
    json_decref(doc);
    return CLIENT_EXIT_OK;
}

/* The Idempotency-Key header of one logical write (a push or an import): --idempotency-key, or a
 * fresh random key. Made once, before the first attempt, so that every retry http_perform makes
 * carries the same key and the server answers a retry whose first answer was lost with that
 * answer instead of writing again. Returns 0, or -1 (with a message) when there is no randomness.
 */
static int write_key_header(const struct run *r, char *out, size_t cap)
{
    char key[37];
    const char *use = r->cli->idempotency_key;
    if (use == NULL) {
        if (idempotency_key_new(key) != 0) {
            fprintf(stderr, "trechter: cannot make an idempotency key (no randomness)\n");
            return -1;
        }
        use = key;
    }
    snprintf(out, cap, "Idempotency-Key: %s", use);
    if (r->cli->verbose)
        fprintf(stderr, "trechter: %s\n", out);
    return 0;
}

static int perform(struct run *r, const struct http_request *rq, struct http_response *rs)
{
    int rc = http_perform(&r->settings, &r->http, rq, rs);
    return report_failure(r, rc, rs);
}

/* "/v1/municipalities/GM0344/funnels/2026-Q2" (+ suffix); malloc'd. */
static char *resource_path(const char *kind, const char *code, const char *period,
                           const char *suffix)
{
    char *c = url_escape(code), *p = url_escape(period), *out = NULL;
    if (c != NULL && p != NULL &&
        asprintf(&out, "/v1/municipalities/%s/%ss/%s%s", c, kind, p, suffix) < 0)
        out = NULL;
    free(c);
    free(p);
    return out;
}

static int check_kind(const char *kind)
{
    return kind != NULL && (strcmp(kind, "funnel") == 0 || strcmp(kind, "network") == 0);
}

static int no_csv(const struct run *r, const char *command)
{
    if (r->cli->format == FORMAT_CSV)
        return usage("--format csv is for funnels, compare, networks and completeness, not %s",
                     command);
    return 0;
}

static void render_singular_funnel(FILE *out, const json_t *doc)
{
    render_funnel(out, doc);
}

static void render_singular_network(FILE *out, const json_t *doc)
{
    render_network(out, doc);
}

/* ---- commands ------------------------------------------------------------------------------- */

int cmd_push(struct run *r)
{
    const struct cli *c = r->cli;
    if (c->nargs < 3 || c->nargs > 4 || !check_kind(c->args[0]))
        return usage("usage: %s funnel|network CODE PERIOD [FILE|-]", "trechter push");
    int bad = no_csv(r, "push");
    if (bad)
        return bad;
    const char *file = c->nargs == 4 ? c->args[3] : "-";
    if (strcmp(file, "-") == 0 && isatty(STDIN_FILENO))
        return usage("%s: give a FILE or pipe the JSON document into standard input", "push");
    char err[512];
    char *body = NULL;
    size_t len = 0;
    if (body_read(file, MAX_SINGULAR_BODY * 4, &body, &len, err, sizeof err) != 0) {
        fprintf(stderr, "trechter: %s\n", err);
        return CLIENT_EXIT_USAGE;
    }
    char *path =
        resource_path(c->args[0], c->args[1], c->args[2], c->dry_run ? "?dryRun=true" : "");
    /* A PUT is a snapshot, but retrying it bare after a lost answer would write it again over
     * whatever another writer stored in between: the key makes the retry get the first answer. */
    char key_header[300];
    if (write_key_header(r, key_header, sizeof key_header) != 0) {
        free(path);
        free(body);
        return CLIENT_EXIT_FAILURE;
    }
    char if_match[64];
    const char *headers[3] = {key_header, NULL, NULL};
    if (c->if_match > 0) {
        snprintf(if_match, sizeof if_match, "If-Match: \"%ld\"", c->if_match);
        headers[1] = if_match;
    }
    struct http_request rq = {.method = "PUT",
                              .path = path,
                              .content_type = "application/json",
                              .body = body,
                              .body_len = len,
                              .headers = headers,
                              .authenticate = 1,
                              .retryable = 1};
    struct http_response rs;
    int code = path ? perform(r, &rq, &rs) : CLIENT_EXIT_FAILURE;
    if (path && code == CLIENT_EXIT_OK)
        code = print_answer(r, &rs,
                            strcmp(c->args[0], "funnel") == 0 ? render_singular_funnel
                                                              : render_singular_network,
                            1);
    if (path)
        http_response_clear(&rs);
    free(path);
    free(body);
    return code;
}

int cmd_get(struct run *r)
{
    const struct cli *c = r->cli;
    if (c->nargs != 3 || !check_kind(c->args[0]))
        return usage("usage: %s funnel|network CODE PERIOD [--revision N]", "trechter get");
    int bad = no_csv(r, "get");
    if (bad)
        return bad;
    char suffix[48] = "";
    if (c->revision > 0)
        snprintf(suffix, sizeof suffix, "?revision=%ld", c->revision);
    char *path = resource_path(c->args[0], c->args[1], c->args[2], suffix);
    if (path == NULL)
        return CLIENT_EXIT_FAILURE;
    struct http_request rq = {.method = "GET", .path = path, .authenticate = 1, .retryable = 1};
    struct http_response rs;
    int code = perform(r, &rq, &rs);
    if (code == CLIENT_EXIT_OK)
        code = print_answer(r, &rs,
                            strcmp(c->args[0], "funnel") == 0 ? render_singular_funnel
                                                              : render_singular_network,
                            0);
    http_response_clear(&rs);
    free(path);
    return code;
}

int cmd_revisions(struct run *r)
{
    const struct cli *c = r->cli;
    if (c->nargs != 3 || !check_kind(c->args[0]))
        return usage("usage: %s funnel|network CODE PERIOD", "trechter revisions");
    int bad = no_csv(r, "revisions");
    if (bad)
        return bad;
    char *path = resource_path(c->args[0], c->args[1], c->args[2], "/revisions");
    if (path == NULL)
        return CLIENT_EXIT_FAILURE;
    struct http_request rq = {.method = "GET", .path = path, .authenticate = 1, .retryable = 1};
    struct http_response rs;
    int code = perform(r, &rq, &rs);
    if (code == CLIENT_EXIT_OK)
        code = print_answer(r, &rs, render_revisions, 0);
    http_response_clear(&rs);
    free(path);
    return code;
}

int cmd_import(struct run *r)
{
    const struct cli *c = r->cli;
    if (c->nargs != 1)
        return usage("usage: %s FILE|- [--dry-run] [--type csv|json]", "trechter import");
    int bad = no_csv(r, "import");
    if (bad)
        return bad;
    if (strcmp(c->args[0], "-") == 0 && isatty(STDIN_FILENO))
        return usage("%s: give a FILE or pipe the data into standard input", "import");
    char err[512];
    char *body = NULL;
    size_t len = 0;
    if (body_read(c->args[0], MAX_IMPORT_BODY, &body, &len, err, sizeof err) != 0) {
        fprintf(stderr, "trechter: %s\n", err);
        return CLIENT_EXIT_USAGE;
    }
    enum import_type type = c->import_type != NULL
                                ? (strcmp(c->import_type, "json") == 0 ? IMPORT_JSON : IMPORT_CSV)
                                : import_type_sniff(c->args[0], body, len);
    char key_header[300];
    if (write_key_header(r, key_header, sizeof key_header) != 0) {
        free(body);
        return CLIENT_EXIT_FAILURE;
    }
    const char *headers[] = {key_header, NULL};
    struct http_request rq = {
        .method = "POST",
        .path = c->dry_run ? "/v1/imports?dryRun=true" : "/v1/imports",
        .content_type = type == IMPORT_JSON ? "application/json" : "text/csv",
        .body = body,
        .body_len = len,
        .headers = headers,
        .authenticate = 1,
        .retryable = 1, /* only because of the Idempotency-Key */
    };
    struct http_options saved = r->http;
    r->http.progress = r->stderr_tty && !c->quiet && !c->no_progress;
    struct http_response rs;
    int code = perform(r, &rq, &rs);
    r->http = saved;
    if (code == CLIENT_EXIT_OK)
        code = print_answer(r, &rs, render_import, 1);
    http_response_clear(&rs);
    free(body);
    return code;
}

int cmd_template(struct run *r)
{
    const struct cli *c = r->cli;
    if (c->nargs != 2)
        return usage("usage: %s CODE PERIOD [--delimiter comma|semicolon]", "trechter template");
    struct http_request rq = {.method = "GET", .path = "/v1/stages", .retryable = 1};
    struct http_response rs;
    int code = perform(r, &rq, &rs);
    if (code == CLIENT_EXIT_OK) {
        json_t *doc = json_loadb(rs.body, rs.body_len, 0, NULL);
        int excel = c->delimiter != NULL && strcmp(c->delimiter, "semicolon") == 0;
        if (doc == NULL || template_write(stdout, doc, c->args[0], c->args[1], excel) < 0) {
            fprintf(stderr, "trechter: GET /v1/stages did not answer a list of stages\n");
            code = CLIENT_EXIT_FAILURE;
        }
        json_decref(doc);
    }
    http_response_clear(&rs);
    return code;
}

/* The read endpoints of design §3.2: options become query parameters. */
static int read_endpoint(struct run *r, const char *path, enum render_kind kind)
{
    const struct cli *c = r->cli;
    if (c->nargs != 0)
        return usage("unexpected argument '%s': the read commands take options only", c->args[0]);
    char *q = NULL;
    int fail = 0;
    fail |= query_append(&q, "period", c->period);
    fail |= query_append(&q, "from", c->from);
    fail |= query_append(&q, "to", c->to);
    fail |= query_append(&q, "regionSet", c->region_set);
    for (size_t i = 0; i < c->nregions; i++)
        fail |= query_append(&q, "region", c->regions[i]);
    fail |= query_append(&q, "stage", c->stage);
    fail |= query_append(&q, "metric", c->metric);
    fail |= query_append(&q, "breakdown", c->breakdown);
    fail |= query_append(&q, "boundaries", c->boundaries);
    fail |= query_append(&q, "release", c->release);
    if (c->format == FORMAT_CSV) {
        fail |= query_append(&q, "format", "csv");
        fail |= query_append(&q, "delimiter", c->delimiter);
    }
    char *full = NULL;
    if (fail || asprintf(&full, "%s%s%s", path, q ? "?" : "", q ? q : "") < 0) {
        free(q);
        return CLIENT_EXIT_FAILURE;
    }
    free(q);
    struct http_request rq = {.method = "GET", .path = full, .authenticate = 1, .retryable = 1};
    struct http_response rs;
    int code = perform(r, &rq, &rs);
    if (code == CLIENT_EXIT_OK) {
        if (c->format == FORMAT_CSV || !want_table(r)) {
            print_raw(&rs, c->format != FORMAT_CSV);
        } else {
            json_t *doc = json_loadb(rs.body, rs.body_len, 0, NULL);
            if (doc == NULL || render_rows(stdout, kind, doc) != 0)
                print_raw(&rs, 1);
            json_decref(doc);
        }
    }
    http_response_clear(&rs);
    free(full);
    return code;
}

int cmd_funnels(struct run *r)
{
    return read_endpoint(r, "/v1/funnels", RENDER_FUNNELS);
}

int cmd_compare(struct run *r)
{
    return read_endpoint(r, "/v1/comparisons", RENDER_COMPARISONS);
}

int cmd_networks(struct run *r)
{
    return read_endpoint(r, "/v1/networks", RENDER_NETWORKS);
}

int cmd_completeness(struct run *r)
{
    return read_endpoint(r, "/v1/completeness", RENDER_COMPLETENESS);
}

int cmd_me(struct run *r)
{
    if (r->cli->nargs != 0)
        return usage("unexpected argument '%s'", r->cli->args[0]);
    int bad = no_csv(r, "me");
    if (bad)
        return bad;
    struct http_request rq = {.method = "GET", .path = "/v1/me", .authenticate = 1, .retryable = 1};
    struct http_response rs;
    int code = perform(r, &rq, &rs);
    if (code == CLIENT_EXIT_OK)
        code = print_answer(r, &rs, render_me, 0);
    http_response_clear(&rs);
    return code;
}
