/* HTTP strictness (issue 20, items 7-9), black-box against the fixture's daemon (CTest fixture
 * "main", --header-timeout 3s): every head RFC 9112 calls malformed or ambiguous is answered at
 * once with a problem (400, 505 for a version, 405 for a method), never left to evhttp's idle
 * timeout; the query is checked against what each route declares, on every endpoint alike; refusals
 * of oversized heads and bodies arrive even while the client is still sending (lingering close);
 * and nothing refused is written.
 *
 * Resources written to (or shown not to be): funnels of GM0200 in 2015-Q3..2016-Q4, networks of
 * GM0228 in 2016-Q1..Q2, and imports for GM0307 in 2016-Q1..Q2. No other test uses them. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define BODY(r) ((r)->body_len > 800 ? 800 : (int)(r)->body_len), (r)->body

static const char FUNNEL[] = "{\"stages\": {\"reported\": {\"total\": 7}}}";
static const char NETWORK[] = "{\"approach\": {\"coordinatorAppointed\": true}}";

static const char *tok(const char *key)
{
    const char *t = getenv(key);
    cr_assert(t && *t, "%s is empty (see tests/harness/env-up's output)", key);
    return t;
}

#define RAPPORTEUR tok("TOKEN_RAPPORTEUR")

/* The fixture daemon's --header-timeout in seconds (env-up starts it with 3s). */
static double header_timeout_s(void)
{
    const char *cmd = itest_env("TRECHTER_DAEMON_CMD");
    const char *at = strstr(cmd, "--header-timeout ");
    if (!at)
        return 30; /* the default */
    double v = atof(at + 17);
    const char *unit = at + 17 + strspn(at + 17, "0123456789.");
    return strncmp(unit, "ms", 2) == 0 ? v / 1000 : unit[0] == 'm' ? v * 60 : v;
}

/* The problem's type ends in "/<slug>", its title is the reason phrase and its detail names what
 * was wrong (`names`, a substring; NULL: any detail). */
static void check_problem_json(json_t *p, long status, const char *slug, const char *title,
                               const char *names, const char *what)
{
    cr_assert(json_is_object(p), "%s: the body is not a JSON object", what);
    const char *type = itest_str_of(p, "type"), *t = itest_str_of(p, "title");
    const char *detail = itest_str_of(p, "detail");
    size_t tl = type ? strlen(type) : 0, sl = strlen(slug);
    cr_assert(type && tl > sl && type[tl - sl - 1] == '/' && strcmp(type + tl - sl, slug) == 0,
              "%s: problem type %s, expected .../%s", what, type ? type : "-", slug);
    cr_assert(t && strcmp(t, title) == 0, "%s: title '%s', expected '%s'", what, t ? t : "-",
              title);
    cr_assert_eq(itest_int_of(p, "status"), status, "%s: problem status", what);
    cr_assert(detail && *detail, "%s: no detail", what);
    if (names)
        cr_assert(strstr(detail, names), "%s: detail '%s' does not name '%s'", what, detail, names);
}

static void expect_problem(struct http_response *r, long status, const char *slug,
                           const char *title, const char *names, const char *what)
{
    cr_assert_eq(r->status, status, "%s: HTTP %ld (curl %d), expected %ld: %.*s", what, r->status,
                 r->curl_code, status, BODY(r));
    cr_assert(http_is_problem(r), "%s: not application/problem+json: %.*s", what, BODY(r));
    check_problem_json(r->json, status, slug, title, names, what);
}

/* A 400 invalid-input whose errors hold {in: query, name, code}. */
static void expect_query_error(struct http_response *r, const char *name, const char *code,
                               const char *what)
{
    expect_problem(r, 400, "invalid-input", "Bad Request", NULL, what);
    json_t *errors = json_object_get(r->json, "errors");
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e)
    {
        const char *in = itest_str_of(e, "in"), *n = itest_str_of(e, "name"),
                   *c = itest_str_of(e, "code");
        if (in && n && c && strcmp(in, "query") == 0 && strcmp(n, name) == 0 &&
            strcmp(c, code) == 0) {
            cr_assert(itest_str_of(e, "detail"), "%s: error without detail", what);
            return;
        }
    }
    cr_assert_fail("%s: no error {in: query, name: %s, code: %s} in %.*s", what, name, code,
                   BODY(r));
}

/* A raw answer: the status line, the headers and a problem+json body. */
static void expect_raw_problem(const char *resp, int status, const char *slug, const char *title,
                               const char *names, const char *what)
{
    char line[32];
    snprintf(line, sizeof line, "HTTP/1.1 %d ", status);
    cr_assert(strncmp(resp, line, strlen(line)) == 0, "%s: expected %d, got: %.300s", what, status,
              resp);
    const char *end = strstr(resp, "\r\n\r\n");
    cr_assert(end, "%s: no complete head: %.300s", what, resp);
    const char *ct = strcasestr(resp, "\r\nContent-Type: application/problem+json");
    cr_assert(ct && ct < end, "%s: not application/problem+json: %.400s", what, resp);
    const char *close = strcasestr(resp, "\r\nConnection: close");
    cr_assert(close && close < end, "%s: a refusal without Connection: close: %.400s", what, resp);
    json_error_t err;
    json_t *p = json_loads(end + 4, 0, &err);
    cr_assert(p, "%s: the body is not JSON (%s): %.400s", what, err.text, end + 4);
    check_problem_json(p, status, slug, title, names, what);
    json_decref(p);
}

static char *funnel_path(const char *code, const char *period, const char *query)
{
    char *p = NULL;
    cr_assert(asprintf(&p, "/v1/municipalities/%s/funnels/%s%s", code, period, query) > 0);
    return p;
}

static char *network_path(const char *code, const char *period, const char *query)
{
    char *p = NULL;
    cr_assert(asprintf(&p, "/v1/municipalities/%s/networks/%s%s", code, period, query) > 0);
    return p;
}

/* Nothing was written there: the resource is still absent. */
static void expect_absent(char *path, const char *what)
{
    struct http_response *r = http_get(path, RAPPORTEUR);
    cr_assert_eq(r->status, 404, "%s: GET %s after the refusal: %ld %.*s (something was written)",
                 what, path, r->status, BODY(r));
    http_response_free(r);
    free(path);
}

/* Sends `len` bytes of `req` on a new raw connection and reads one answer into resp; *took gets
 * the seconds until it arrived. Returns its status (0 when none). */
static int raw_exchange(const char *req, size_t len, char *resp, size_t cap, double *took)
{
    struct itest_tls t;
    itest_tls_open(&t, 0);
    double t0 = itest_now_s();
    cr_assert_eq(itest_tls_send(&t, req, len), 0, "the connection broke while sending");
    int status = itest_tls_read_response(&t, 10, resp, cap);
    *took = itest_now_s() - t0;
    itest_tls_close(&t);
    return status;
}

/* ---- item 7: heads --------------------------------------------------------------------------- */

TestSuite(head, .timeout = 60);

Test(head, whitespace_before_a_colon_is_400_and_writes_nothing)
{
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "PUT /v1/municipalities/GM0200/funnels/2015-Q3 HTTP/1.1\r\nHost: localhost\r\n"
                     "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                     "Transfer-Encoding : chunked\r\n\r\n%zx\r\n%s\r\n0\r\n\r\n",
                     RAPPORTEUR, strlen(FUNNEL), FUNNEL);
    char resp[8192];
    double took;
    raw_exchange(req, (size_t)n, resp, sizeof resp, &took);
    expect_raw_problem(resp, 400, "bad-header", "Bad Request", "'Transfer-Encoding'",
                       "Transfer-Encoding : chunked");
    expect_absent(funnel_path("GM0200", "2015-Q3", ""), "Transfer-Encoding : chunked");
}

Test(head, http_1_1_without_exactly_one_host_is_400)
{
    char req[1024], resp[8192];
    double took;
    int n = snprintf(req, sizeof req,
                     "PUT /v1/municipalities/GM0200/funnels/2015-Q4 HTTP/1.1\r\n"
                     "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     RAPPORTEUR, strlen(FUNNEL), FUNNEL);
    raw_exchange(req, (size_t)n, resp, sizeof resp, &took);
    expect_raw_problem(resp, 400, "bad-host", "Bad Request", "Host", "HTTP/1.1 without Host");
    expect_absent(funnel_path("GM0200", "2015-Q4", ""), "HTTP/1.1 without Host");

    n = snprintf(req, sizeof req,
                 "PUT /v1/municipalities/GM0200/funnels/2015-Q4 HTTP/1.1\r\nHost: localhost\r\n"
                 "Host: elsewhere\r\nAuthorization: Bearer %s\r\n"
                 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                 RAPPORTEUR, strlen(FUNNEL), FUNNEL);
    raw_exchange(req, (size_t)n, resp, sizeof resp, &took);
    expect_raw_problem(resp, 400, "bad-host", "Bad Request", "more than one Host", "two Hosts");
    expect_absent(funnel_path("GM0200", "2015-Q4", ""), "two Hosts");

    /* HTTP/1.0 needs none. */
    static const char old[] = "GET /healthz HTTP/1.0\r\n\r\n";
    cr_assert_eq(raw_exchange(old, sizeof old - 1, resp, sizeof resp, &took), 200,
                 "HTTP/1.0 without Host: %.300s", resp);
}

Test(head, a_second_authorization_is_400_not_the_first_taken)
{
    char req[1024], resp[8192];
    double took;
    int n = snprintf(req, sizeof req,
                     "GET /v1/me HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s\r\n"
                     "Authorization: Bearer %s\r\n\r\n",
                     RAPPORTEUR, tok("TOKEN_ANALYST"));
    raw_exchange(req, (size_t)n, resp, sizeof resp, &took);
    expect_raw_problem(resp, 400, "duplicate-header", "Bad Request", "Authorization",
                       "GET /v1/me with two Authorization headers");

    n = snprintf(req, sizeof req,
                 "PUT /v1/municipalities/GM0200/funnels/2016-Q3 HTTP/1.1\r\nHost: localhost\r\n"
                 "Authorization: Bearer %s\r\nAuthorization: Bearer %s\r\n"
                 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                 RAPPORTEUR, tok("TOKEN_GM0599"), strlen(FUNNEL), FUNNEL);
    raw_exchange(req, (size_t)n, resp, sizeof resp, &took);
    expect_raw_problem(resp, 400, "duplicate-header", "Bad Request", "Authorization",
                       "PUT with two Authorization headers");
    expect_absent(funnel_path("GM0200", "2016-Q3", ""), "PUT with two Authorization headers");
}

/* ---- item 8: malformed heads are answered at once ------------------------------------------- */

Test(head, malformed_heads_get_an_answer_at_once_and_the_connection_closes)
{
    static const char nul_method[] = "G\0T /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
                                  "\x00\x00\x12\x04\x00\x00\x00\x00\x00";
    static const struct {
        const char *what, *req;
        size_t len; /* 0: strlen */
        int status;
        const char *slug, *title, *names;
    } cases[] = {
        {"HTTP/2.0 request line", "GET /healthz HTTP/2.0\r\nHost: localhost\r\n\r\n", 0, 505,
         "http-version-not-supported", "HTTP Version Not Supported", "HTTP/2.0"},
        {"NUL in the method", nul_method, sizeof nul_method - 1, 400, "bad-request-line",
         "Bad Request", "NUL"},
        {"header without a colon", "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-No-Colon\r\n\r\n",
         0, 400, "bad-header", "Bad Request", "'X-No-Colon' has no colon"},
        {"bare CR", "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-A: a\rb\r\n\r\n", 0, 400,
         "bad-header", "Bad Request", "bare CR"},
        {"obsolete line folding",
         "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-A: a\r\n b\r\n\r\n", 0, 400, "bad-header",
         "Bad Request", "folding"},
        /* An HTTP/0.9 client sends its line and waits: no empty line follows. */
        {"no version", "GET /healthz\r\n", 0, 400, "bad-request-line", "Bad Request",
         "no HTTP version"},
        {"two spaces", "GET  /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", 0, 400,
         "bad-request-line", "Bad Request", "one space"},
        {"HTTP/2 preface", preface, sizeof preface - 1, 505, "http-version-not-supported",
         "HTTP Version Not Supported", "HTTP/2 connection preface"},
        {"Expect other than 100-continue",
         "PUT /v1/municipalities/GM0200/funnels/2016-Q4 HTTP/1.1\r\nHost: localhost\r\n"
         "Expect: teapot\r\nContent-Length: 2\r\n\r\n{}",
         0, 417, "expectation-failed", "Expectation Failed", "'teapot'"},
        {"a body on HEAD",
         "HEAD /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 40\r\n\r\n"
         "GET /v1/me HTTP/1.1\r\nHost: localhost\r\n\r\n",
         0, 400, "bad-framing", "Bad Request", "HEAD"},
    };
    double limit = header_timeout_s() / 2;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct itest_tls t;
        itest_tls_open(&t, 0);
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].req);
        double t0 = itest_now_s();
        cr_assert_eq(itest_tls_send(&t, cases[i].req, len), 0, "%s: send", cases[i].what);
        char resp[8192];
        int status = itest_tls_read_response(&t, 10, resp, sizeof resp);
        double answered = itest_now_s() - t0;
        cr_assert(status != 0, "%s: no answer within 10 s", cases[i].what);
        expect_raw_problem(resp, cases[i].status, cases[i].slug, cases[i].title, cases[i].names,
                           cases[i].what);
        cr_assert(answered < limit, "%s: answered after %.2f s, not at once", cases[i].what,
                  answered);
        /* Then the connection ends: the server closes after the refusal, well within
         * header-timeout, and does not wait for the client. */
        char rest[4096] = "";
        double elapsed;
        int closed = itest_tls_read_until_closed(&t, 10, rest, sizeof rest, &elapsed);
        cr_assert(closed, "%s: the connection stayed open 10 s after the refusal", cases[i].what);
        cr_assert(answered + elapsed < limit, "%s: closed %.2f s after the request", cases[i].what,
                  answered + elapsed);
        cr_assert(rest[0] == '\0', "%s: more after the refusal: %.200s", cases[i].what, rest);
        itest_tls_close(&t);
    }
    /* The HEAD's body was not taken for a request of its own (nor anything after a refusal). */
}

Test(head, no_connection_outlives_header_timeout)
{
    double timeout = header_timeout_s(), slack = 1.5;
    /* Half a head, then nothing. */
    struct itest_tls t;
    itest_tls_open(&t, 0);
    static const char half[] = "GET /v1/municipalities HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";
    cr_assert_eq(itest_tls_send(&t, half, sizeof half - 1), 0);
    char out[4096] = "";
    double elapsed;
    int closed = itest_tls_read_until_closed(&t, timeout + 10, out, sizeof out, &elapsed);
    cr_assert(closed, "a half head was not cut off within %.0f s", timeout + 10);
    cr_assert(elapsed >= timeout - 0.5 && elapsed <= timeout + slack,
              "a half head was cut off after %.2f s; header-timeout is %.1f s", elapsed, timeout);
    cr_assert(strstr(out, " 200 ") == NULL, "a half head got an answer: %.300s", out);
    itest_tls_close(&t);

    /* The same on a keep-alive connection, after a request that was answered. */
    itest_tls_open(&t, 0);
    static const char whole[] = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
    cr_assert_eq(itest_tls_send(&t, whole, sizeof whole - 1), 0);
    char resp[4096];
    cr_assert_eq(itest_tls_read_response(&t, 5, resp, sizeof resp), 200, "%.300s", resp);
    cr_assert_eq(itest_tls_send(&t, half, sizeof half - 1), 0);
    out[0] = '\0';
    closed = itest_tls_read_until_closed(&t, timeout + 10, out, sizeof out, &elapsed);
    cr_assert(closed && elapsed <= timeout + slack,
              "a half second head was not cut off within header-timeout (%.2f s)", elapsed);
    itest_tls_close(&t);
    fprintf(stderr, "figures: half head cut off after %.2f s (header-timeout %.1f s)\n", elapsed,
            timeout);
}

/* ---- item 9: refusals arrive while the client is still sending (lingering close) ---------- */

TestSuite(lingering, .timeout = 60);

Test(lingering, oversized_heads_get_431_whatever_their_size)
{
    static const size_t sizes[] = {30 * 1024, 70 * 1024, 300 * 1024};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        char *line = malloc(n + 16);
        strcpy(line, "X-Filler: ");
        memset(line + 10, 'x', n);
        line[10 + n] = '\0';
        const char *const hdr[] = {line, NULL};
        char what[64];
        snprintf(what, sizeof what, "a %zu KB header (libcurl)", n / 1024);
        struct http_response *r = http_do("GET", "/healthz", NULL, NULL, NULL, 0, hdr);
        expect_problem(r, 431, "header-too-large", "Request Header Fields Too Large", "max-header",
                       what);
        http_response_free(r);

        /* A raw client that writes its whole request before it reads: the daemon must take it
         * all (no reset while sending), then the 431 arrives and the connection ends. */
        size_t len = 0;
        char *req = malloc(n + 128);
        len += (size_t)sprintf(req, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n%s\r\n\r\n", line);
        struct itest_tls t;
        itest_tls_open(&t, 0);
        snprintf(what, sizeof what, "a %zu KB header (raw)", n / 1024);
        cr_assert_eq(itest_tls_send(&t, req, len), 0, "%s: the connection broke while sending",
                     what);
        char resp[8192];
        int status = itest_tls_read_response(&t, 10, resp, sizeof resp);
        cr_assert_eq(status, 431, "%s: %d %.300s", what, status, resp);
        expect_raw_problem(resp, 431, "header-too-large", "Request Header Fields Too Large",
                           "max-header", what);
        char rest[256] = "";
        double elapsed;
        cr_assert(itest_tls_read_until_closed(&t, 10, rest, sizeof rest, &elapsed),
                  "%s: not closed after the refusal", what);
        itest_tls_close(&t);
        free(req);
        free(line);
    }
}

Test(lingering, a_body_over_the_cap_gets_413_and_writes_nothing)
{
    /* Declared over max-body (1 MiB), sent whole, without Expect: 100-continue. */
    size_t n = (1u << 20) + 64 * 1024;
    char *body = malloc(n);
    memset(body, ' ', n);
    body[0] = '{';
    body[n - 1] = '}';
    char head[1024];
    int hl =
        snprintf(head, sizeof head,
                 "PUT /v1/municipalities/GM0200/funnels/2016-Q1 HTTP/1.1\r\nHost: localhost\r\n"
                 "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                 "Content-Length: %zu\r\n\r\n",
                 RAPPORTEUR, n);
    struct itest_tls t;
    itest_tls_open(&t, 0);
    cr_assert_eq(itest_tls_send(&t, head, (size_t)hl), 0);
    cr_assert_eq(itest_tls_send(&t, body, n), 0,
                 "the connection broke while the body was being sent");
    char resp[8192];
    int status = itest_tls_read_response(&t, 10, resp, sizeof resp);
    cr_assert_eq(status, 413, "a body over the cap, sent whole: %d %.300s", status, resp);
    expect_raw_problem(resp, 413, "body-too-large", "Content Too Large", "exceeds the limit",
                       "a body over the cap (raw)");
    itest_tls_close(&t);

    /* libcurl, sending 2 MiB without Expect: the 413 arrives instead of a reset. */
    free(body);
    n = 2u << 20;
    body = malloc(n);
    memset(body, ' ', n);
    body[0] = '{';
    body[n - 1] = '}';
    const char *const noexpect[] = {"Expect:", NULL};
    char *path = funnel_path("GM0200", "2016-Q1", "");
    struct http_response *r =
        http_do("PUT", path, RAPPORTEUR, "application/json", body, n, noexpect);
    expect_problem(r, 413, "body-too-large", "Content Too Large", NULL, "a 2 MiB body (libcurl)");
    http_response_free(r);
    free(path);
    free(body);
    expect_absent(funnel_path("GM0200", "2016-Q1", ""), "a body over the cap");
}

/* ---- item 7: methods ---------------------------------------------------------------------- */

TestSuite(methods, .timeout = 60);

Test(methods, connect_and_trace_get_405_with_allow)
{
    static const struct {
        const char *method, *path, *allow;
    } cases[] = {
        {"CONNECT", "/v1/municipalities", "GET, HEAD"},
        {"TRACE", "/v1/municipalities", "GET, HEAD"},
        {"CONNECT", "/v1/municipalities/GM0200/funnels/2015-Q3", "GET, HEAD, PUT, DELETE"},
        {"TRACE", "/v1/imports", "POST"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char what[128];
        snprintf(what, sizeof what, "%s %s", cases[i].method, cases[i].path);
        struct http_response *r =
            http_do(cases[i].method, cases[i].path, RAPPORTEUR, NULL, NULL, 0, NULL);
        expect_problem(r, 405, "method-not-allowed", "Method Not Allowed", cases[i].method, what);
        const char *allow = http_header(r, "Allow");
        cr_assert(allow && strcmp(allow, cases[i].allow) == 0, "%s: Allow %s, expected %s", what,
                  allow ? allow : "(none)", cases[i].allow);
        http_response_free(r);
    }
    /* CONNECT to an authority: no resource here allows anything. */
    static const char proxy[] = "CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n";
    char resp[8192];
    double took;
    cr_assert_eq(raw_exchange(proxy, sizeof proxy - 1, resp, sizeof resp, &took), 405, "%.300s",
                 resp);
    cr_assert(strcasestr(resp, "\r\nAllow:"), "405 without Allow: %.300s", resp);
    cr_assert(strstr(resp, "not a proxy"), "%.400s", resp);
}

/* ---- item 7: the query, declared once per route and checked the same way everywhere -------- */

TestSuite(query, .timeout = 60);

Test(query, a_repeated_dry_run_is_400_and_writes_nothing)
{
    static const char *const queries[] = {"?dryRun=false&dryRun=true", "?dryRun=true&dryRun=false"};
    for (size_t i = 0; i < 2; i++) {
        char *path = funnel_path("GM0200", "2016-Q2", queries[i]);
        struct http_response *r =
            http_do("PUT", path, RAPPORTEUR, "application/json", FUNNEL, strlen(FUNNEL), NULL);
        expect_query_error(r, "dryRun", "duplicate-parameter", path);
        http_response_free(r);
        free(path);
        path = network_path("GM0228", "2016-Q1", queries[i]);
        r = http_do("PUT", path, RAPPORTEUR, "application/json", NETWORK, strlen(NETWORK), NULL);
        expect_query_error(r, "dryRun", "duplicate-parameter", path);
        http_response_free(r);
        free(path);
        char import_path[64];
        snprintf(import_path, sizeof import_path, "/v1/imports%s", queries[i]);
        static const char import[] =
            "[{\"municipality\":\"GM0307\",\"period\":\"2016-Q1\",\"stages\":{\"reported\":{"
            "\"total\":3}}}]";
        r = http_do("POST", import_path, RAPPORTEUR, "application/json", import, strlen(import),
                    NULL);
        expect_query_error(r, "dryRun", "duplicate-parameter", import_path);
        http_response_free(r);
    }
    expect_absent(funnel_path("GM0200", "2016-Q2", ""), "PUT ?dryRun=false&dryRun=true");
    expect_absent(network_path("GM0228", "2016-Q1", ""), "PUT network ?dryRun twice");
    expect_absent(funnel_path("GM0307", "2016-Q1", ""), "POST /v1/imports ?dryRun twice");

    /* The body itself is fine: one dryRun=true is answered as a dry run, and writes nothing. */
    char *path = funnel_path("GM0200", "2016-Q2", "?dryRun=true");
    struct http_response *r =
        http_do("PUT", path, RAPPORTEUR, "application/json", FUNNEL, strlen(FUNNEL), NULL);
    cr_assert(r->status == 200 || r->status == 201, "a single dryRun=true: %ld %.*s", r->status,
              BODY(r));
    http_response_free(r);
    free(path);
    expect_absent(funnel_path("GM0200", "2016-Q2", ""), "PUT ?dryRun=true");
}

Test(query, any_parameter_given_twice_is_400_on_reads)
{
    static const struct {
        const char *path, *name;
    } cases[] = {
        {"/v1/funnels?period=2015-Q1&regionSet=nation&period=2016-Q1", "period"},
        {"/v1/completeness?period=2015-Q1&format=json&format=csv", "format"},
        {"/v1/audit-events?limit=1&limit=1000", "limit"},
        {"/v1/municipalities/GM0200/funnels/2015-Q3?revision=1&revision=2", "revision"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct http_response *r = http_get(cases[i].path, RAPPORTEUR);
        expect_query_error(r, cases[i].name, "duplicate-parameter", cases[i].path);
        http_response_free(r);
    }
    /* region is a list: repeating it stays the documented way to ask for several. */
    struct http_response *r =
        http_get("/v1/completeness?period=2015-Q1&regionSet=safetyRegion&region=VR01&region=VR17",
                 RAPPORTEUR);
    cr_assert_eq(r->status, 200, "region repeated: %ld %.*s", r->status, BODY(r));
    http_response_free(r);
}

Test(query, unknown_parameters_are_400_on_every_endpoint)
{
    static const struct {
        const char *method, *path, *body, *name;
    } cases[] = {
        {"PUT", "/v1/municipalities/GM0200/funnels/2015-Q3?force=true", FUNNEL, "force"},
        {"DELETE", "/v1/municipalities/GM0200/funnels/2015-Q3?dryRun=true", NULL, "dryRun"},
        {"PUT", "/v1/municipalities/GM0228/networks/2016-Q2?force=true", NETWORK, "force"},
        {"DELETE", "/v1/municipalities/GM0228/networks/2016-Q2?x=1", NULL, "x"},
        {"POST", "/v1/imports?mode=replace",
         "[{\"municipality\":\"GM0307\",\"period\":\"2016-Q2\",\"stages\":{}}]", "mode"},
        {"GET", "/v1/audit-events?limit=5&colour=red", NULL, "colour"},
        {"GET", "/v1/funnels?period=2015-Q1&colour=red", NULL, "colour"},
        {"GET", "/v1/municipalities/GM0200/funnels/2015-Q3/revisions?limit=1", NULL, "limit"},
        {"GET", "/v1/me?verbose=1", NULL, "verbose"},
        {"GET", "/v1/municipalities?x=1", NULL, "x"},
        {"GET", "/healthz?probe=1", NULL, "probe"},
        {"GET", "/v1/funnels?period=2015-Q1&DRYRUN=true", NULL, "DRYRUN"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char what[160];
        snprintf(what, sizeof what, "%s %s", cases[i].method, cases[i].path);
        const char *body = cases[i].body;
        struct http_response *r =
            http_do(cases[i].method, cases[i].path, RAPPORTEUR, body ? "application/json" : NULL,
                    body, body ? strlen(body) : 0, NULL);
        expect_query_error(r, cases[i].name, "unknown-parameter", what);
        http_response_free(r);
    }
    expect_absent(funnel_path("GM0200", "2015-Q3", ""), "PUT ?force=true");
    expect_absent(network_path("GM0228", "2016-Q2", ""), "PUT network ?force=true");
    expect_absent(funnel_path("GM0307", "2016-Q2", ""), "POST /v1/imports?mode=replace");
}

Test(query, empty_values_are_400)
{
    static const struct {
        const char *method, *path, *body, *name, *code;
    } cases[] = {
        {"GET", "/v1/funnels?period=2015-Q1&regionSet=safetyRegion&region=", NULL, "region",
         "empty"},
        {"GET", "/v1/funnels?period=2015-Q1&regionSet=safetyRegion&region=VR01,,VR17", NULL,
         "region", "empty"},
        {"GET", "/v1/networks?period=2015-Q1&regionSet=safetyRegion&region=VR01,", NULL, "region",
         "empty"},
        {"GET", "/v1/comparisons?period=&stage=reported", NULL, "period", "empty"},
        {"GET", "/v1/audit-events?limit=", NULL, "limit", "empty"},
        {"PUT", "/v1/municipalities/GM0200/funnels/2016-Q4?dryRun=", FUNNEL, "dryRun", "empty"},
        {"GET", "/v1/funnels?period=2015-Q1%00", NULL, "period", "invalid"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char what[160];
        snprintf(what, sizeof what, "%s %s", cases[i].method, cases[i].path);
        const char *body = cases[i].body;
        struct http_response *r =
            http_do(cases[i].method, cases[i].path, RAPPORTEUR, body ? "application/json" : NULL,
                    body, body ? strlen(body) : 0, NULL);
        expect_query_error(r, cases[i].name, cases[i].code, what);
        http_response_free(r);
    }
    expect_absent(funnel_path("GM0200", "2016-Q4", ""), "PUT ?dryRun=");
}
