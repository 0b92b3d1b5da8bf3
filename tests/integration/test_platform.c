/* Black-box tests of the running daemon over HTTPS: the platform contract of design §3, §3.4 and
 * §4 (framing, errors, methods, limits, TLS, reference data, /v1/me). The daemon and its database
 * are started by tests/harness/env-up (CTest fixture "main"), with --header-timeout 3s and
 * --request-timeout 6s. Nothing here writes data, so the tests may run in parallel. */
#include "harness.h"
#include "api/routes.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------------------------- */

static int matches(const char *re, const char *s)
{
    regex_t rx;
    if (s == NULL || regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
        return 0;
    int ok = regexec(&rx, s, 0, NULL, 0) == 0;
    regfree(&rx);
    return ok;
}

#define BODY(r) ((r)->body_len > 600 ? 600 : (int)(r)->body_len), (r)->body

/* Headers every response must carry (design §3). */
static void check_common(struct http_response *r)
{
    const char *v = http_header(r, "API-Version");
    cr_assert(matches("^[0-9]+\\.[0-9]+\\.[0-9]+$", v),
              "API-Version header missing or not semver: %s", v ? v : "(none)");
    v = http_header(r, "X-Request-Id");
    cr_assert(matches("^[A-Za-z0-9._-]{1,64}$", v), "X-Request-Id missing or malformed: %s",
              v ? v : "(none)");
}

static void expect_status(struct http_response *r, long status, const char *what)
{
    cr_assert_eq(r->status, status, "%s: expected HTTP %ld, got %ld (curl code %d); body: %.*s",
                 what, status, r->status, r->curl_code, BODY(r));
    check_common(r);
}

static void expect_problem(struct http_response *r, long status, const char *what)
{
    expect_status(r, status, what);
    cr_assert(http_is_problem(r),
              "%s: expected application/problem+json with type, title, status=%ld, detail; got "
              "Content-Type %s, body %.*s",
              what, status,
              http_header(r, "Content-Type") ? http_header(r, "Content-Type") : "(none)", BODY(r));
}

static json_t *get_array(json_t *obj, const char *key, const char *what)
{
    json_t *a = json_object_get(obj, key);
    cr_assert(json_is_array(a), "%s: no array \"%s\"", what, key);
    return a;
}

/* The key of a reference item: "key", else "code". */
static const char *key_of(json_t *item)
{
    if (json_is_string(item))
        return json_string_value(item);
    const char *k = itest_str_of(item, "key");
    return k ? k : itest_str_of(item, "code");
}

static json_t *find_by_key(json_t *arr, const char *key)
{
    size_t i;
    json_t *it;
    json_array_foreach(arr, i, it)
    {
        const char *k = key_of(it);
        if (k != NULL && strcmp(k, key) == 0)
            return it;
    }
    return NULL;
}

/* A member of a collection given either as an array of {key,...} or as an object keyed by key. */
static json_t *member(json_t *coll, const char *key)
{
    if (json_is_array(coll))
        return find_by_key(coll, key);
    if (json_is_object(coll))
        return json_object_get(coll, key);
    return NULL;
}

static int has_string(json_t *arr, const char *s)
{
    size_t i;
    json_t *it;
    json_array_foreach(arr, i, it)
    {
        if (json_is_string(it) && strcmp(json_string_value(it), s) == 0)
            return 1;
    }
    return 0;
}

static void check_name_pair(json_t *obj, const char *field, const char *what)
{
    json_t *o = json_object_get(obj, field);
    cr_assert(json_is_object(o), "%s: \"%s\" is not an object", what, field);
    cr_assert(itest_str_of(o, "code") && itest_str_of(o, "name"), "%s: \"%s\" lacks code/name",
              what, field);
}

static void check_lang_pair(json_t *obj, const char *field, const char *what)
{
    json_t *o = json_object_get(obj, field);
    cr_assert(json_is_object(o), "%s: \"%s\" is not an object {nl,en}", what, field);
    const char *nl = itest_str_of(o, "nl"), *en = itest_str_of(o, "en");
    cr_assert(nl && *nl && en && *en, "%s: \"%s\" lacks non-empty nl/en", what, field);
}

static const char *token(const char *key)
{
    const char *t = getenv(key);
    cr_assert(t != NULL && *t != '\0',
              "%s is empty: tests/harness/env-up could not create this token (see its output)",
              key);
    return t;
}

/* ---- a raw TLS connection, for framing that libcurl will not produce ---------------------- */

struct raw {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
};

static void raw_open(struct raw *c)
{
    int port = atoi(itest_env("TRECHTER_PORT"));
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(c->fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(connect(c->fd, (struct sockaddr *)&sa, sizeof sa) == 0, "connect to port %d failed",
              port);
    struct timeval tv = {.tv_sec = 1};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    c->ctx = SSL_CTX_new(TLS_client_method());
    cr_assert(c->ctx);
    cr_assert(SSL_CTX_load_verify_locations(c->ctx, itest_env("TRECHTER_CACERT"), NULL) == 1);
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    c->ssl = SSL_new(c->ctx);
    SSL_set_fd(c->ssl, c->fd);
    SSL_set_tlsext_host_name(c->ssl, "localhost");
    int rc;
    double start = itest_now_s();
    while ((rc = SSL_connect(c->ssl)) != 1) {
        int e = SSL_get_error(c->ssl, rc);
        cr_assert((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) &&
                      itest_now_s() - start < 10,
                  "TLS handshake failed (SSL error %d)", e);
    }
}

static void raw_send(struct raw *c, const char *data, size_t len)
{
    cr_assert(SSL_write(c->ssl, data, (int)len) == (int)len, "TLS write failed");
}

/* Reads until the peer closes or `limit` seconds pass. Returns 1 when closed (EOF or error),
 * 0 on time-out; what arrived is appended to out (NUL-terminated, up to cap-1 bytes). */
static int raw_read_until_closed(struct raw *c, double limit, char *out, size_t cap,
                                 double *elapsed)
{
    size_t len = strlen(out);
    double start = itest_now_s();
    for (;;) {
        char buf[4096];
        int n = SSL_read(c->ssl, buf, sizeof buf);
        if (n > 0) {
            size_t k = (size_t)n < cap - 1 - len ? (size_t)n : cap - 1 - len;
            memcpy(out + len, buf, k);
            len += k;
            out[len] = '\0';
            continue;
        }
        int e = SSL_get_error(c->ssl, n);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
            *elapsed = itest_now_s() - start;
            return 1; /* closed: EOF, alert, reset */
        }
        if (itest_now_s() - start > limit) {
            *elapsed = itest_now_s() - start;
            return 0;
        }
    }
}

static void raw_close(struct raw *c)
{
    SSL_free(c->ssl);
    SSL_CTX_free(c->ctx);
    close(c->fd);
}

/* ---- operations ------------------------------------------------------------------------------ */

Test(operations, healthz, .timeout = 30)
{
    struct http_response *r = http_get("/healthz", NULL);
    expect_status(r, 200, "GET /healthz");
    cr_assert(json_is_object(r->json), "/healthz body is not JSON: %.*s", BODY(r));
    cr_assert_str_eq(itest_str_of(r->json, "status") ? itest_str_of(r->json, "status") : "", "ok");
    http_response_free(r);
}

Test(operations, readyz, .timeout = 30)
{
    struct http_response *r = http_get("/readyz", NULL);
    expect_status(r, 200, "GET /readyz");
    cr_assert(json_is_object(r->json), "/readyz body is not JSON: %.*s", BODY(r));
    cr_assert_str_eq(itest_str_of(r->json, "status") ? itest_str_of(r->json, "status") : "",
                     "ready");
    cr_assert_str_eq(itest_str_of(r->json, "database") ? itest_str_of(r->json, "database") : "",
                     "reachable");
    cr_assert_str_eq(itest_str_of(r->json, "schema") ? itest_str_of(r->json, "schema") : "",
                     "compatible");
    json_t *v = json_object_get(r->json, "schemaVersion");
    cr_assert(json_is_integer(v) && json_integer_value(v) >= 1, "schemaVersion missing: %.*s",
              BODY(r));
    http_response_free(r);
}

Test(operations, openapi_document, .timeout = 30)
{
    struct http_response *r = http_get("/v1/openapi.json", NULL);
    expect_status(r, 200, "GET /v1/openapi.json");
    const char *acao = http_header(r, "Access-Control-Allow-Origin");
    cr_assert(acao && strcmp(acao, "*") == 0, "Access-Control-Allow-Origin: %s",
              acao ? acao : "(none)");
    cr_assert(json_is_object(r->json), "openapi.json is not a JSON object");
    const char *ver = itest_str_of(r->json, "openapi");
    cr_assert(ver && strncmp(ver, "3.0", 3) == 0, "openapi version %s", ver ? ver : "(none)");
    json_t *paths = json_object_get(r->json, "paths");
    cr_assert(json_is_object(paths), "no paths object");
    /* The document served describes every route the router has, with its method. Its server is
     * "/v1", so the versioned routes appear without that prefix (tests/unit/test_openapi.c checks
     * the unversioned ones and their own server). */
    const char *server =
        itest_str_of(json_array_get(json_object_get(r->json, "servers"), 0), "url");
    cr_assert(server && strcmp(server, "/v1") == 0, "servers[0].url is %s",
              server ? server : "(none)");
    for (size_t i = 0; i < api_route_count; i++) {
        const char *pattern = api_routes[i].pattern;
        const char *key = strncmp(pattern, "/v1/", 4) == 0 ? pattern + 3 : pattern;
        json_t *item = json_object_get(paths, key);
        cr_expect(item != NULL, "openapi paths lack %s (as %s)", pattern, key);
        char method[16];
        snprintf(method, sizeof method, "%s", method_name(api_routes[i].method));
        for (char *m = method; *m; m++)
            *m = (char)(*m - 'A' + 'a');
        cr_expect(item && json_object_get(item, method), "openapi lacks %s %s", method, pattern);
    }
    http_response_free(r);
}

/* ---- framing: request ids, errors, routing, methods ------------------------------------------ */

Test(framing, request_id_generated, .timeout = 30)
{
    struct http_response *a = http_get("/healthz", NULL);
    struct http_response *b = http_get("/healthz", NULL);
    expect_status(a, 200, "GET /healthz");
    expect_status(b, 200, "GET /healthz");
    char *ida = strdup(http_header(a, "X-Request-Id"));
    cr_assert_str_neq(ida, http_header(b, "X-Request-Id"),
                      "two requests got the same X-Request-Id");
    free(ida);
    http_response_free(a);
    http_response_free(b);
}

Test(framing, request_id_echoed, .timeout = 30)
{
    const char *const hdr[] = {"X-Request-Id: itest-Echo.123_abc", NULL};
    struct http_response *r = http_do("GET", "/healthz", NULL, NULL, NULL, 0, hdr);
    expect_status(r, 200, "GET /healthz with X-Request-Id");
    cr_assert_str_eq(http_header(r, "X-Request-Id"), "itest-Echo.123_abc");
    http_response_free(r);

    /* Exactly 64 characters is still valid. */
    char line[128];
    char id[65];
    memset(id, 'a', 64);
    id[64] = '\0';
    snprintf(line, sizeof line, "X-Request-Id: %s", id);
    const char *const hdr64[] = {line, NULL};
    r = http_do("GET", "/v1/nope", NULL, NULL, NULL, 0, hdr64);
    expect_problem(r, 404, "GET /v1/nope with a 64-char X-Request-Id");
    cr_assert_str_eq(http_header(r, "X-Request-Id"), id);
    http_response_free(r);
}

Test(framing, request_id_invalid_replaced, .timeout = 30)
{
    static const char *const bad[] = {
        "X-Request-Id: has spaces in it",
        "X-Request-Id: semi;colon",
        "X-Request-Id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 65 */
        "X-Request-Id: <script>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *const hdr[] = {bad[i], NULL};
        struct http_response *r = http_do("GET", "/healthz", NULL, NULL, NULL, 0, hdr);
        expect_status(r, 200, bad[i]);
        const char *got = http_header(r, "X-Request-Id");
        cr_assert(strcmp(got, bad[i] + strlen("X-Request-Id: ")) != 0, "invalid id echoed: %s",
                  got);
        http_response_free(r);
    }
}

Test(framing, unknown_path_404, .timeout = 30)
{
    static const char *const paths[] = {"/v1/nope", "/nope", "/v2/municipalities", "/v1",
                                        "/v1/municipalities/GM0599/nope"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        struct http_response *r = http_get(paths[i], NULL);
        expect_problem(r, 404, paths[i]);
        http_response_free(r);
    }
}

Test(framing, trailing_slash_404_not_redirect, .timeout = 30)
{
    static const char *const paths[] = {"/v1/municipalities/", "/v1/municipalities/GM0599/",
                                        "/healthz/", "/v1/stages/"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        struct http_response *r = http_get(paths[i], NULL);
        expect_problem(r, 404, paths[i]);
        cr_assert_null(http_header(r, "Location"), "%s: has a Location header", paths[i]);
        http_response_free(r);
    }
}

Test(framing, unsupported_methods_405, .timeout = 30)
{
    static const char *const methods[] = {"PATCH", "OPTIONS", "DELETE", "POST",
                                          "PUT",   "FOO",     "BREW"};
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
        char what[64];
        snprintf(what, sizeof what, "%s /v1/municipalities", methods[i]);
        struct http_response *r =
            http_do(methods[i], "/v1/municipalities", NULL, NULL, NULL, 0, NULL);
        expect_problem(r, 405, what);
        const char *allow = http_header(r, "Allow");
        cr_assert(allow != NULL, "%s: no Allow header", what);
        cr_assert(matches("(^|[ ,])GET([ ,]|$)", allow), "%s: Allow lacks GET: %s", what, allow);
        char re[64];
        snprintf(re, sizeof re, "(^|[ ,])%s([ ,]|$)", methods[i]);
        cr_assert(!matches(re, allow), "%s: Allow lists the refused method: %s", what, allow);
        http_response_free(r);
    }
    struct http_response *r = http_do("PATCH", "/healthz", NULL, NULL, NULL, 0, NULL);
    expect_problem(r, 405, "PATCH /healthz");
    cr_assert(http_header(r, "Allow") != NULL, "PATCH /healthz: no Allow header");
    http_response_free(r);
}

Test(framing, head_allowed, .timeout = 30)
{
    struct http_response *r = http_do("HEAD", "/v1/municipalities", NULL, NULL, NULL, 0, NULL);
    expect_status(r, 200, "HEAD /v1/municipalities");
    cr_assert_eq(r->body_len, 0, "HEAD answered a body");
    http_response_free(r);
}

Test(framing, invalid_path_parameter_400, .timeout = 30)
{
    struct http_response *r = http_get("/v1/municipalities/rotterdam", NULL);
    expect_problem(r, 400, "GET /v1/municipalities/rotterdam");
    json_t *errors = get_array(r->json, "errors", "400 problem");
    cr_assert(json_array_size(errors) >= 1, "errors is empty");
    json_t *e = json_array_get(errors, 0);
    cr_assert_str_eq(itest_str_of(e, "in") ? itest_str_of(e, "in") : "", "path");
    cr_assert_str_eq(itest_str_of(e, "name") ? itest_str_of(e, "name") : "", "code");
    cr_assert(itest_str_of(e, "code") && *itest_str_of(e, "code"), "errors[0].code missing");
    cr_assert(itest_str_of(e, "detail") && *itest_str_of(e, "detail"), "errors[0].detail missing");
    http_response_free(r);
}

/* ---- limits ------------------------------------------------------------------------------- */

Test(limits, head_over_16k_431, .timeout = 30)
{
    size_t n = 20 * 1024;
    char *line = malloc(n + 32);
    strcpy(line, "X-Filler: ");
    memset(line + strlen(line), 'x', n);
    line[10 + n] = '\0';
    const char *const hdr[] = {line, NULL};
    struct http_response *r = http_do("GET", "/healthz", NULL, NULL, NULL, 0, hdr);
    expect_problem(r, 431, "GET /healthz with a 20 KiB header");
    http_response_free(r);
    free(line);

    /* Many small headers adding up to more than 16 KiB count too. */
    const char *many[80];
    char store[79][300];
    for (int i = 0; i < 79; i++) {
        snprintf(store[i], sizeof store[i], "X-Filler-%02d: ", i);
        size_t l = strlen(store[i]);
        memset(store[i] + l, 'y', 280 - l);
        store[i][280] = '\0';
        many[i] = store[i];
    }
    many[79] = NULL;
    r = http_do("GET", "/healthz", NULL, NULL, NULL, 0, many);
    expect_problem(r, 431, "GET /healthz with 79 headers of 280 bytes");
    http_response_free(r);
}

Test(limits, head_under_16k_ok, .timeout = 30)
{
    size_t n = 8 * 1024;
    char *line = malloc(n + 32);
    strcpy(line, "X-Filler: ");
    memset(line + strlen(line), 'x', n);
    line[10 + n] = '\0';
    const char *const hdr[] = {line, NULL};
    struct http_response *r = http_do("GET", "/healthz", NULL, NULL, NULL, 0, hdr);
    expect_status(r, 200, "GET /healthz with an 8 KiB header");
    http_response_free(r);
    free(line);
}

static char *big_body(size_t n)
{
    char *b = malloc(n);
    memset(b, ' ', n);
    b[0] = '{';
    b[n - 1] = '}';
    return b;
}

Test(limits, body_over_1mib_413, .timeout = 30)
{
    size_t n = 2 * 1024 * 1024;
    char *body = big_body(n);
    const char *tok = token("TOKEN_GM0599");
    /* With Expect: 100-continue the daemon can refuse before the body is sent. */
    const char *const expect[] = {"Expect: 100-continue", NULL};
    struct http_response *r = http_do("PUT", "/v1/municipalities/GM0599/funnels/2025-Q1", tok,
                                      "application/json", body, n, expect);
    expect_problem(r, 413, "PUT 2 MiB funnel (Expect: 100-continue)");
    http_response_free(r);

    /* Without Expect the body is sent at once; the daemon may close while it arrives, but any
     * answer must be a 413 problem. */
    const char *const noexpect[] = {"Expect:", NULL};
    r = http_do("PUT", "/v1/municipalities/GM0599/funnels/2025-Q1", tok, "application/json", body,
                n, noexpect);
    if (r->status != 0)
        expect_problem(r, 413, "PUT 2 MiB funnel (no Expect)");
    http_response_free(r);

    /* The cap holds before routing: a method the route does not allow gets 413 as well. */
    r = http_do("PUT", "/v1/municipalities", tok, "application/json", body, n, expect);
    expect_problem(r, 413, "PUT 2 MiB to /v1/municipalities");
    http_response_free(r);
    free(body);
}

Test(limits, declared_length_refused_without_reading, .timeout = 30)
{
    struct raw c;
    raw_open(&c);
    char head[1024];
    snprintf(head, sizeof head,
             "PUT /v1/municipalities/GM0599/funnels/2025-Q1 HTTP/1.1\r\nHost: localhost\r\n"
             "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
             "Content-Length: 2097152\r\n\r\n{\"stages\":",
             token("TOKEN_GM0599"));
    raw_send(&c, head, strlen(head));
    char out[8192] = "";
    double elapsed = 0;
    /* Well before the 6 s request timeout: the answer must come from the declared length alone. */
    int closed = raw_read_until_closed(&c, 4.5, out, sizeof out, &elapsed);
    (void)closed;
    cr_assert(strncmp(out, "HTTP/1.1 413", 12) == 0,
              "expected an immediate 413 for Content-Length: 2097152, got (after %.1f s): %.300s",
              elapsed, out);
    cr_assert(strcasestr(out, "application/problem+json") != NULL,
              "413 is not problem+json: %.500s", out);
    raw_close(&c);
}

Test(limits, stalled_head_disconnected, .timeout = 30)
{
    struct raw c;
    raw_open(&c);
    const char *part = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";
    raw_send(&c, part, strlen(part));
    char out[8192] = "";
    double elapsed = 0;
    int closed = raw_read_until_closed(&c, 15, out, sizeof out, &elapsed);
    cr_assert(closed,
              "a stalled request head was not disconnected within 15 s (header-timeout is 3 s)");
    cr_assert(elapsed >= 1.5, "disconnected after only %.1f s (header-timeout is 3 s)", elapsed);
    cr_assert(strstr(out, " 200 ") == NULL, "a stalled head got a 200: %.300s", out);
    if (out[0] != '\0')
        cr_assert(strncmp(out, "HTTP/1.1 4", 10) == 0,
                  "unexpected answer to a stalled head: %.300s", out);
    raw_close(&c);
}

Test(limits, stalled_body_disconnected, .timeout = 30)
{
    struct raw c;
    raw_open(&c);
    char head[1024];
    snprintf(head, sizeof head,
             "PUT /v1/municipalities/GM0599/funnels/2025-Q1 HTTP/1.1\r\nHost: localhost\r\n"
             "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
             "Content-Length: 100\r\n\r\n{\"stages\":",
             token("TOKEN_GM0599"));
    raw_send(&c, head, strlen(head));
    char out[8192] = "";
    double elapsed = 0;
    int closed = raw_read_until_closed(&c, 20, out, sizeof out, &elapsed);
    cr_assert(closed, "a stalled body was not disconnected within 20 s (request-timeout is 6 s)");
    cr_assert(strstr(out, " 200 ") == NULL && strstr(out, " 201 ") == NULL,
              "a stalled body was accepted: %.300s", out);
    raw_close(&c);
}

Test(limits, keep_alive_serves_several_requests, .timeout = 30)
{
    CURL *c = curl_easy_init();
    char *url = itest_url("/healthz");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, itest_env("TRECHTER_CACERT"));
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    FILE *devnull = fopen("/dev/null", "w");
    curl_easy_setopt(c, CURLOPT_WRITEDATA, devnull);
    for (int i = 0; i < 5; i++) {
        CURLcode rc = curl_easy_perform(c);
        cr_assert_eq(rc, CURLE_OK, "request %d: %s", i + 1, curl_easy_strerror(rc));
        long status = 0, connects = -1;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
        cr_assert_eq(status, 200, "request %d: status %ld", i + 1, status);
        if (i > 0)
            cr_assert_eq(connects, 0, "request %d opened a new connection: keep-alive not kept",
                         i + 1);
    }
    fclose(devnull);
    curl_easy_cleanup(c);
    free(url);
}

/* ---- TLS ---------------------------------------------------------------------------------- */

static CURLcode tls_get(long sslversion, const char *ciphers, long *status)
{
    CURL *c = curl_easy_init();
    char *url = itest_url("/healthz");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, itest_env("TRECHTER_CACERT"));
    curl_easy_setopt(c, CURLOPT_SSLVERSION, sslversion);
    if (ciphers)
        curl_easy_setopt(c, CURLOPT_SSL_CIPHER_LIST, ciphers);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    FILE *devnull = fopen("/dev/null", "w");
    curl_easy_setopt(c, CURLOPT_WRITEDATA, devnull);
    CURLcode rc = curl_easy_perform(c);
    *status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    fclose(devnull);
    curl_easy_cleanup(c);
    free(url);
    return rc;
}

Test(tls, tls11_refused, .timeout = 30)
{
    long status;
    /* SECLEVEL=0 lets this client offer TLS 1.0/1.1 at all; the server must still refuse. */
    CURLcode rc = tls_get(CURL_SSLVERSION_TLSv1_0 | CURL_SSLVERSION_MAX_TLSv1_1,
                          "DEFAULT:@SECLEVEL=0", &status);
    cr_assert_neq(rc, CURLE_OK, "a TLS 1.1 connection was accepted (status %ld)", status);
    cr_assert_eq(status, 0);
}

Test(tls, tls12_and_tls13_work, .timeout = 30)
{
    long status;
    CURLcode rc = tls_get(CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2, NULL, &status);
    cr_assert_eq(rc, CURLE_OK, "TLS 1.2: %s", curl_easy_strerror(rc));
    cr_assert_eq(status, 200);
    rc = tls_get(CURL_SSLVERSION_TLSv1_3 | CURL_SSLVERSION_MAX_DEFAULT, NULL, &status);
    cr_assert_eq(rc, CURLE_OK, "TLS 1.3: %s", curl_easy_strerror(rc));
    cr_assert_eq(status, 200);
}

Test(tls, plain_http_gets_no_http_response, .timeout = 30)
{
    CURL *c = curl_easy_init();
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%s/healthz", itest_env("TRECHTER_PORT"));
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    FILE *devnull = fopen("/dev/null", "w");
    curl_easy_setopt(c, CURLOPT_WRITEDATA, devnull);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    cr_assert_neq(rc, CURLE_OK, "plain HTTP on the TLS port got an HTTP response (status %ld)",
                  status);
    cr_assert(status < 200 || status > 299, "plain HTTP got %ld", status);
    fclose(devnull);
    curl_easy_cleanup(c);
}

/* ---- reference data ------------------------------------------------------------------------ */

Test(reference, municipalities, .timeout = 30)
{
    struct http_response *r = http_get("/v1/municipalities", NULL);
    expect_status(r, 200, "GET /v1/municipalities");
    json_t *list = get_array(r->json, "municipalities", "/v1/municipalities");
    cr_assert_eq(json_array_size(list), 342, "expected 342 municipalities, got %zu",
                 json_array_size(list));
    size_t i;
    json_t *m;
    json_t *seen = json_object();
    json_array_foreach(list, i, m)
    {
        const char *code = itest_str_of(m, "code");
        cr_assert(matches("^GM[0-9]{4}$", code), "municipality %zu: bad code", i);
        cr_assert(json_object_get(seen, code) == NULL, "duplicate municipality %s", code);
        json_object_set_new(seen, code, json_true());
        cr_assert(itest_str_of(m, "name") && *itest_str_of(m, "name"), "%s: no name", code);
        check_name_pair(m, "province", code);
        check_name_pair(m, "safetyRegion", code);
    }
    json_decref(seen);
    json_t *rdam = find_by_key(list, "GM0599");
    cr_assert(rdam, "GM0599 missing");
    cr_assert_str_eq(itest_str_of(rdam, "name"), "Rotterdam");
    json_t *ams = find_by_key(list, "GM0363");
    cr_assert(ams && strcmp(itest_str_of(ams, "name"), "Amsterdam") == 0,
              "GM0363 is not Amsterdam");
    http_response_free(r);
}

Test(reference, municipality_single, .timeout = 30)
{
    struct http_response *r = http_get("/v1/municipalities/GM0599", NULL);
    expect_status(r, 200, "GET /v1/municipalities/GM0599");
    cr_assert_str_eq(itest_str_of(r->json, "code"), "GM0599");
    cr_assert_str_eq(itest_str_of(r->json, "name"), "Rotterdam");
    json_t *sr = json_object_get(r->json, "safetyRegion");
    json_t *pv = json_object_get(r->json, "province");
    cr_assert_str_eq(itest_str_of(sr, "code") ? itest_str_of(sr, "code") : "", "VR17");
    cr_assert_str_eq(itest_str_of(sr, "name") ? itest_str_of(sr, "name") : "",
                     "Rotterdam-Rijnmond");
    cr_assert_str_eq(itest_str_of(pv, "code") ? itest_str_of(pv, "code") : "", "PV28");
    cr_assert_str_eq(itest_str_of(pv, "name") ? itest_str_of(pv, "name") : "", "Zuid-Holland");
    http_response_free(r);

    r = http_get("/v1/municipalities/GM9999", NULL);
    expect_problem(r, 404, "GET /v1/municipalities/GM9999");
    http_response_free(r);
}

Test(reference, region_sets, .timeout = 30)
{
    struct http_response *r = http_get("/v1/region-sets", NULL);
    expect_status(r, 200, "GET /v1/region-sets");
    json_t *sets = get_array(r->json, "regionSets", "/v1/region-sets");
    static const char *const keys[] = {"municipality", "nation", "province", "safetyRegion"};
    for (size_t i = 0; i < 4; i++)
        cr_expect(find_by_key(sets, keys[i]) != NULL, "region set %s missing", keys[i]);
    http_response_free(r);

    r = http_get("/v1/region-sets/nope/regions", NULL);
    expect_problem(r, 404, "GET /v1/region-sets/nope/regions");
    http_response_free(r);
}

/* Checks a region set: `count` regions, each municipality in exactly one of them. */
static json_t *check_regions(const char *set, size_t count, struct http_response **out)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/region-sets/%s/regions", set);
    struct http_response *r = http_get(path, NULL);
    expect_status(r, 200, path);
    json_t *regions = get_array(r->json, "regions", path);
    cr_assert_eq(json_array_size(regions), count, "%s: expected %zu regions, got %zu", path, count,
                 json_array_size(regions));
    json_t *seen = json_object();
    size_t i, j, total = 0;
    json_t *reg, *m;
    json_array_foreach(regions, i, reg)
    {
        cr_assert(itest_str_of(reg, "code") && itest_str_of(reg, "name"),
                  "%s: region %zu lacks code/name", path, i);
        json_t *ms = get_array(reg, "municipalities", path);
        json_array_foreach(ms, j, m)
        {
            cr_assert(json_is_string(m), "%s: municipalities are not codes", path);
            cr_assert(json_object_get(seen, json_string_value(m)) == NULL, "%s: %s in two regions",
                      path, json_string_value(m));
            json_object_set_new(seen, json_string_value(m), json_true());
            total++;
        }
    }
    json_decref(seen);
    cr_assert_eq(total, 342, "%s: regions cover %zu municipalities, not 342", path, total);
    *out = r;
    return regions;
}

Test(reference, region_set_regions, .timeout = 30)
{
    struct http_response *r;
    json_t *regs = check_regions("safetyRegion", 25, &r);
    json_t *vr17 = find_by_key(regs, "VR17");
    cr_assert(vr17, "VR17 missing");
    cr_assert_str_eq(itest_str_of(vr17, "name"), "Rotterdam-Rijnmond");
    cr_assert(has_string(json_object_get(vr17, "municipalities"), "GM0599"), "VR17 lacks GM0599");
    http_response_free(r);

    regs = check_regions("province", 12, &r);
    json_t *pv28 = find_by_key(regs, "PV28");
    cr_assert(pv28, "PV28 missing");
    cr_assert_str_eq(itest_str_of(pv28, "name"), "Zuid-Holland");
    cr_assert(has_string(json_object_get(pv28, "municipalities"), "GM0599"), "PV28 lacks GM0599");
    http_response_free(r);

    regs = check_regions("nation", 1, &r);
    cr_assert_str_eq(itest_str_of(json_array_get(regs, 0), "code"), "NL01");
    http_response_free(r);

    regs = check_regions("municipality", 342, &r);
    http_response_free(r);
}

Test(reference, stages, .timeout = 30)
{
    struct http_response *r = http_get("/v1/stages", NULL);
    expect_status(r, 200, "GET /v1/stages");
    json_t *stages = get_array(r->json, "stages", "/v1/stages");
    static const char *const order[] = {"occurred", "disclosed",    "signalled",
                                        "reported", "investigated", "helped"};
    cr_assert_eq(json_array_size(stages), 6, "expected 6 stages, got %zu", json_array_size(stages));
    for (size_t i = 0; i < 6; i++) {
        json_t *s = json_array_get(stages, i);
        const char *k = key_of(s);
        cr_assert(k && strcmp(k, order[i]) == 0, "stage %zu is %s, expected %s", i,
                  k ? k : "(none)", order[i]);
        check_lang_pair(s, "label", order[i]);
        check_lang_pair(s, "definition", order[i]);
        json_t *dims = json_object_get(s, "dimensions");
        cr_assert(json_is_array(dims) || json_is_object(dims), "%s: no dimensions", order[i]);
        static const char *const common[] = {"gender", "ageBand", "offence", "disability"};
        for (size_t d = 0; d < 4; d++) {
            json_t *dim = member(dims, common[d]);
            cr_assert(dim, "%s: dimension %s missing", order[i], common[d]);
            json_t *cats = json_object_get(dim, "categories");
            cr_assert(json_array_size(cats) >= 3 || json_object_size(cats) >= 3,
                      "%s.%s: no categories", order[i], common[d]);
            cr_assert(member(cats, "unknown"), "%s.%s: no category unknown", order[i], common[d]);
        }
        json_t *care = member(dims, "care");
        if (strcmp(order[i], "helped") == 0) {
            cr_assert(care, "helped has no care dimension");
            json_t *cats = json_object_get(care, "categories");
            static const char *const cc[] = {"ambulatory", "residential", "secure", "unknown"};
            for (size_t k2 = 0; k2 < 4; k2++)
                cr_assert(member(cats, cc[k2]), "care lacks %s", cc[k2]);
        } else {
            cr_assert_null(care, "%s has a care dimension", order[i]);
        }
        if (i == 0) {
            json_t *gender = member(dims, "gender");
            json_t *cats = json_object_get(gender, "categories");
            static const char *const gc[] = {"girl", "boy", "other", "unknown"};
            for (size_t k2 = 0; k2 < 4; k2++)
                cr_assert(member(cats, gc[k2]), "gender lacks %s", gc[k2]);
        }
    }
    const char *nl = itest_str_of(json_object_get(json_array_get(stages, 0), "label"), "nl");
    cr_assert(strcasecmp(nl, "gebeurd") == 0, "occurred's Dutch label is %s", nl);
    http_response_free(r);
}

Test(reference, partner_types, .timeout = 30)
{
    struct http_response *r = http_get("/v1/partner-types", NULL);
    expect_status(r, 200, "GET /v1/partner-types");
    json_t *pts = get_array(r->json, "partnerTypes", "/v1/partner-types");
    cr_assert_eq(json_array_size(pts), 21, "expected 21 partner types, got %zu",
                 json_array_size(pts));
    static const char *const keys[] = {
        "womensShelter",       "mentalHealth",          "youthCare",
        "policeVice",          "neighbourhoodTeam",     "socialWork",
        "gpOutOfHours",        "youthFamilyCentre",     "parentingSupport",
        "sexualAssaultCentre", "emancipationExpertise", "forensicPhysician",
        "sexualityExpertise",  "exploitationExpertise", "psychiatryAddiction",
        "disabilityCare",      "publicProsecution",     "childProtectionBoard",
        "offenderCare",        "veiligThuis",           "stiClinic"};
    for (size_t i = 0; i < 21; i++)
        cr_expect(find_by_key(pts, keys[i]) != NULL, "partner type %s missing", keys[i]);
    http_response_free(r);
}

/* ---- authentication and /v1/me ------------------------------------------------------------ */

static void expect_401(const char *tok, const char *what)
{
    struct http_response *r = http_get("/v1/me", tok);
    expect_problem(r, 401, what);
    const char *wa = http_header(r, "WWW-Authenticate");
    cr_assert(wa && strncasecmp(wa, "Bearer", 6) == 0, "%s: WWW-Authenticate is %s", what,
              wa ? wa : "(none)");
    http_response_free(r);
}

Test(auth, me_without_or_with_bad_token_401, .timeout = 30)
{
    expect_401(NULL, "GET /v1/me without a token");
    expect_401("nonsense", "GET /v1/me with a bad token");
    expect_401("", "GET /v1/me with an empty bearer token");
    /* A valid token with one character changed. */
    char *t = strdup(token("TOKEN_ANALYST"));
    size_t n = strlen(t);
    t[n - 1] = t[n - 1] == 'A' ? 'B' : 'A';
    expect_401(t, "GET /v1/me with a corrupted token");
    free(t);

    const char *const basic[] = {"Authorization: Basic dXNlcjpwYXNz", NULL};
    struct http_response *r = http_do("GET", "/v1/me", NULL, NULL, NULL, 0, basic);
    expect_problem(r, 401, "GET /v1/me with Basic authentication");
    http_response_free(r);
}

Test(auth, me_expired_401, .timeout = 30)
{
    expect_401(token("TOKEN_EXPIRED"), "GET /v1/me with an expired token");
}

Test(auth, me_revoked_401, .timeout = 30)
{
    expect_401(token("TOKEN_REVOKED"), "GET /v1/me with a revoked token");
}

static struct http_response *me(const char *key)
{
    struct http_response *r = http_get("/v1/me", token(key));
    expect_status(r, 200, key);
    cr_assert(json_is_object(r->json), "%s: /v1/me is not JSON: %.*s", key, BODY(r));
    const char *cc = http_header(r, "Cache-Control");
    cr_assert(cc && strstr(cc, "no-store"), "%s: /v1/me Cache-Control is %s", key,
              cc ? cc : "(none)");
    cr_assert(json_object_get(r->json, "id") != NULL, "%s: /v1/me has no id", key);
    cr_assert(itest_str_of(r->json, "label") != NULL, "%s: /v1/me has no label", key);
    return r;
}

Test(auth, me_rapporteur, .timeout = 30)
{
    struct http_response *r = me("TOKEN_RAPPORTEUR");
    cr_assert_str_eq(itest_str_of(r->json, "role"), "rapporteur");
    json_t *raw = json_object_get(r->json, "rawFor");
    cr_assert(raw == NULL || json_is_null(raw) || (json_is_array(raw) && json_array_size(raw) == 0),
              "rapporteur rawFor: %.*s", BODY(r));
    cr_assert(json_is_false(json_object_get(r->json, "protected")),
              "rapporteur must not be protected");
    http_response_free(r);
}

Test(auth, me_analyst, .timeout = 30)
{
    struct http_response *r = me("TOKEN_ANALYST");
    cr_assert_str_eq(itest_str_of(r->json, "role"), "analyst");
    cr_assert(json_is_true(json_object_get(r->json, "protected")), "analyst must be protected");
    http_response_free(r);
}

Test(auth, me_municipality, .timeout = 30)
{
    struct http_response *r = me("TOKEN_GM0599");
    cr_assert_str_eq(itest_str_of(r->json, "role"), "municipality");
    json_t *raw = json_object_get(r->json, "rawFor");
    cr_assert(json_is_array(raw) && json_array_size(raw) == 1 && has_string(raw, "GM0599"),
              "GM0599 rawFor: %.*s", BODY(r));
    cr_assert(json_is_true(json_object_get(r->json, "protected")),
              "municipality must be protected");
    http_response_free(r);

    r = me("TOKEN_GM0363");
    raw = json_object_get(r->json, "rawFor");
    cr_assert(json_is_array(raw) && json_array_size(raw) == 1 && has_string(raw, "GM0363"),
              "GM0363 rawFor: %.*s", BODY(r));
    http_response_free(r);
}

Test(auth, me_multi_municipality, .timeout = 30)
{
    struct http_response *r = me("TOKEN_MULTI");
    cr_assert_str_eq(itest_str_of(r->json, "role"), "municipality");
    json_t *raw = json_object_get(r->json, "rawFor");
    cr_assert(json_is_array(raw) && json_array_size(raw) == 2 && has_string(raw, "GM0014") &&
                  has_string(raw, "GM0034"),
              "multi rawFor: %.*s", BODY(r));
    cr_assert(json_is_true(json_object_get(r->json, "protected")));
    http_response_free(r);
}
