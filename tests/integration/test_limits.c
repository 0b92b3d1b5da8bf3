/* Limits and mutual TLS (design §4, §6; issue 9 items 1 and 2), against a daemon of the test's own.
 *
 * The shared "main" daemon runs with rate limits far out of reach (many test processes share one
 * token and one address), so every test here starts its own `trechterd serve` on a random free
 * loopback port, on the fixture's database and certificates, with low limits:
 *   --rate-limit 5 --rate-burst 5 --address-rate-limit 50 --address-burst 50 --max-connections 8
 *   --workers 1 --header-timeout 2s --request-timeout 3s --tls-client-ca $TRECHTER_CACERT
 * and stops it (SIGTERM, exit 0 expected, no sanitizer report in its log) at the end. Criterion
 * runs each test in its own process, so a daemon per test is the simplest arrangement that works;
 * the child gets PR_SET_PDEATHSIG so that a crashed or timed-out test does not leave it running.
 * All traffic goes to 127.0.0.1 and is bounded in count and time.
 *
 * Each test prints one "figures:" line on stderr (requests sent / refused, measured cut-off times);
 * docs/security.md quotes them. */
#include "harness.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BODY(r) ((r)->body_len > 600 ? 600 : (int)(r)->body_len), (r)->body

static const char OIN[] = "00000001234567890000";

/* ---- the test's own daemon ------------------------------------------------------------------ */

static struct {
    pid_t pid;
    int port;
    char url[64];
    char log[512];
} own;

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(s >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert(bind(s, (struct sockaddr *)&a, sizeof a) == 0, "bind: %s", strerror(errno));
    socklen_t len = sizeof a;
    cr_assert(getsockname(s, (struct sockaddr *)&a, &len) == 0);
    close(s);
    return ntohs(a.sin_port);
}

static char *tls_file(const char *name)
{
    char *ca = strdup(itest_env("TRECHTER_CACERT"));
    char *out = NULL;
    cr_assert(asprintf(&out, "%s/%s", dirname(ca), name) > 0);
    free(ca);
    return out;
}

static long healthz_status(void)
{
    CURL *c = curl_easy_init();
    char url[96];
    snprintf(url, sizeof url, "%s/healthz", own.url);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, itest_env("TRECHTER_CACERT"));
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 2L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    return status;
}

/* Starts the daemon; on success TRECHTER_URL points at it, so the harness's http_do() talks to it.
 */
static void daemon_start(void)
{
    char *cert = tls_file("server.pem"), *key = tls_file("server-key.pem");
    for (int attempt = 1; attempt <= 3; attempt++) {
        own.port = free_port();
        snprintf(own.url, sizeof own.url, "https://127.0.0.1:%d", own.port);
        snprintf(own.log, sizeof own.log, "%s/limits-%d-%d.log", itest_env("TRECHTER_WORKDIR"),
                 (int)getpid(), own.port);
        char listen[32];
        snprintf(listen, sizeof listen, "127.0.0.1:%d", own.port);
        const char *argv[] = {itest_env("TRECHTER_BIN"),
                              "serve",
                              "--listen",
                              listen,
                              "--tls-cert",
                              cert,
                              "--tls-key",
                              key,
                              "--tls-client-ca",
                              itest_env("TRECHTER_CACERT"),
                              "--db",
                              itest_env("TRECHTER_DB"),
                              "--sdc-secret-file",
                              itest_env("TRECHTER_SECRET_FILE"),
                              "--workers",
                              "1",
                              "--max-connections",
                              "8",
                              "--header-timeout",
                              "2s",
                              "--request-timeout",
                              "3s",
                              "--rate-limit",
                              "5",
                              "--rate-burst",
                              "5",
                              "--address-rate-limit",
                              "50",
                              "--address-burst",
                              "50",
                              NULL};
        pid_t parent = getpid();
        pid_t pid = fork();
        cr_assert(pid >= 0, "fork: %s", strerror(errno));
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (getppid() != parent)
                _exit(127);
            int fd = open(own.log, O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
                close(fd);
            }
            int nul = open("/dev/null", O_RDONLY);
            if (nul >= 0)
                dup2(nul, 0);
            setenv("ASAN_OPTIONS", "detect_leaks=1", 0);
            execv(argv[0], (char *const *)argv);
            _exit(127);
        }
        own.pid = pid;
        double t0 = itest_now_s();
        bool up = false, died = false;
        while (itest_now_s() - t0 < 30) {
            int st;
            if (waitpid(pid, &st, WNOHANG) == pid) {
                died = true;
                break;
            }
            if (healthz_status() == 200) {
                up = true;
                break;
            }
            usleep(100 * 1000);
        }
        if (up) {
            setenv("TRECHTER_URL", own.url, 1);
            free(cert);
            free(key);
            return;
        }
        if (!died) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
        own.pid = 0;
        fprintf(stderr, "test_limits: daemon on port %d did not come up (attempt %d); log %s\n",
                own.port, attempt, own.log);
    }
    cr_assert_fail("could not start a daemon of the test's own; see %s", own.log);
}

/* Stops the daemon: SIGTERM must end it with status 0 within 15 s, and its log must hold no
 * sanitizer report. Runs as the suite's .fini, so also after a failed assertion. */
static void daemon_stop(void)
{
    if (own.pid <= 0)
        return;
    pid_t pid = own.pid;
    own.pid = 0;
    kill(pid, SIGTERM);
    int st = 0;
    double t0 = itest_now_s();
    bool gone = false;
    while (itest_now_s() - t0 < 15) {
        if (waitpid(pid, &st, WNOHANG) == pid) {
            gone = true;
            break;
        }
        usleep(50 * 1000);
    }
    if (!gone) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    char cmd[700];
    snprintf(cmd, sizeof cmd,
             "grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' '%s'", own.log);
    bool sanitizer = system(cmd) == 0;
    cr_expect(gone && WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "the daemon did not exit 0 on SIGTERM within 15 s (status %#x); log %s", st, own.log);
    cr_expect(!sanitizer, "the daemon's log holds a sanitizer report: %s", own.log);
    if (gone && !sanitizer && WIFEXITED(st) && WEXITSTATUS(st) == 0)
        unlink(own.log);
}

TestSuite(limits, .init = daemon_start, .fini = daemon_stop, .timeout = 120);
TestSuite(mtls, .init = daemon_start, .fini = daemon_stop, .timeout = 120);

/* ---- a keep-alive client -------------------------------------------------------------------- */

struct buf {
    char *data;
    size_t len;
    CURL *handle; /* header buffers: the transfer, to ask its TLS state while it is alive */
    int resumed;  /* -1 unknown, else SSL_session_reused() of the transfer's connection */
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
    struct buf *b = ud;
    size_t n = size * nmemb;
    char *d = realloc(b->data, b->len + n + 1);
    cr_assert(d != NULL);
    memcpy(d + b->len, p, n);
    b->len += n;
    d[b->len] = '\0';
    b->data = d;
    return n;
}

static size_t on_head(char *p, size_t size, size_t nmemb, void *ud)
{
    struct buf *b = ud;
    if (size * nmemb >= 5 && strncmp(p, "HTTP/", 5) == 0) {
        b->len = 0;
        /* CURLINFO_TLS_SSL_PTR is only valid while the transfer runs. */
        struct curl_tlssessioninfo *info = NULL;
        if (b->handle && curl_easy_getinfo(b->handle, CURLINFO_TLS_SSL_PTR, &info) == CURLE_OK &&
            info && info->backend == CURLSSLBACKEND_OPENSSL && info->internals)
            b->resumed = SSL_session_reused((SSL *)info->internals) == 1;
    }
    return on_data(p, size, nmemb, ud);
}

/* One request on handle c (connections are kept alive across calls); cert/key optional. The answer
 * is a harness http_response, so http_header()/http_is_problem()/http_response_free() apply. */
static int last_resumed = -1; /* SSL_session_reused() of creq's last transfer, -1 unknown */

static struct http_response *creq(CURL *c, const char *method, const char *path, const char *token,
                                  const char *cert, const char *key)
{
    struct http_response *resp = calloc(1, sizeof *resp);
    struct buf b = {calloc(1, 1), 0, NULL, -1}, h = {calloc(1, 1), 0, c, -1};
    char url[512];
    snprintf(url, sizeof url, "%s%s", own.url, path);
    struct curl_slist *hl = NULL;
    char line[512];
    if (token) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", token);
        hl = curl_slist_append(hl, line);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, itest_env("TRECHTER_CACERT"));
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 15L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, strcmp(method, "GET") ? method : NULL);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_head);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    if (cert) {
        curl_easy_setopt(c, CURLOPT_SSLCERT, cert);
        curl_easy_setopt(c, CURLOPT_SSLKEY, key);
    }
    resp->curl_code = (int)curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hl);
    last_resumed = h.resumed;
    resp->body = b.data;
    resp->body_len = b.len;
    resp->headers = h.data;
    if (b.len) {
        json_error_t err;
        resp->json = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &err);
    }
    return resp;
}

static const char *tok(const char *key)
{
    const char *t = getenv(key);
    cr_assert(t && *t, "%s is empty (see tests/harness/env-up's output)", key);
    return t;
}

static void expect_429(struct http_response *r, const char *what)
{
    cr_assert_eq(r->status, 429, "%s: expected 429, got %ld: %.*s", what, r->status, BODY(r));
    cr_assert(http_is_problem(r), "%s: 429 is not problem+json: %.*s", what, BODY(r));
    const char *type = json_string_value(json_object_get(r->json, "type"));
    cr_assert(type && strstr(type, "rate-limited"), "%s: problem type %s", what, type ? type : "-");
    const char *ra = http_header(r, "Retry-After");
    cr_assert(ra != NULL, "%s: 429 without Retry-After", what);
    for (const char *p = ra; *p; p++)
        cr_assert(*p >= '0' && *p <= '9', "%s: Retry-After is not integer seconds: '%s'", what, ra);
    cr_assert(atoi(ra) >= 1, "%s: Retry-After %s < 1", what, ra);
    cr_assert(http_header(r, "X-Request-Id") != NULL, "%s: 429 without X-Request-Id", what);
}

/* ---- rate limits ---------------------------------------------------------------------------- */

Test(limits, principal_burst_then_429_then_recovers)
{
    CURL *c = curl_easy_init();
    const char *analyst = tok("TOKEN_ANALYST");
    int ok = 0, refused = 0, sent = 0;
    struct http_response *first429 = NULL;
    double t0 = itest_now_s();
    /* Burst 5, refill 5/s: a quick run of requests on one keep-alive connection must hit 429
     * after about five (a few more may pass while the bucket refills). */
    for (int i = 0; i < 20 && !first429; i++) {
        struct http_response *r = creq(c, "GET", "/v1/me", analyst, NULL, NULL);
        sent++;
        if (r->status == 200) {
            ok++;
            http_response_free(r);
        } else if (r->status == 429) {
            refused++;
            first429 = r;
        } else {
            cr_assert_fail("GET /v1/me during the burst: %ld %.*s", r->status, BODY(r));
        }
    }
    cr_assert(first429 != NULL, "no 429 after %d requests at rate-limit 5, burst 5", sent);
    /* At most the burst plus what refilled meanwhile (5/s) passed. */
    double elapsed = itest_now_s() - t0;
    cr_assert(ok >= 5 && ok <= 5 + (int)(elapsed * 5) + 1,
              "%d requests passed in %.2f s before the first 429 (burst 5, 5/s)", ok, elapsed);
    expect_429(first429, "principal over its rate");
    const char *detail = json_string_value(json_object_get(first429->json, "detail"));
    cr_assert(detail && strstr(detail, "token"), "the 429 should name the token's limit: %s",
              detail ? detail : "-");
    int wait = atoi(http_header(first429, "Retry-After"));
    http_response_free(first429);

    /* Another principal is not affected by this one's bucket. */
    struct http_response *r = creq(c, "GET", "/v1/me", tok("TOKEN_RAPPORTEUR"), NULL, NULL);
    cr_assert_eq(r->status, 200, "another token while the analyst is limited: %ld", r->status);
    http_response_free(r);

    /* Waiting Retry-After seconds is enough. */
    sleep((unsigned)wait);
    r = creq(c, "GET", "/v1/me", analyst, NULL, NULL);
    sent += 2;
    cr_assert_eq(r->status, 200, "after waiting Retry-After=%d s: %ld %.*s", wait, r->status,
                 BODY(r));
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "role")), "analyst");
    http_response_free(r);
    fprintf(stderr,
            "figures: principal limit: %d sent, %d passed before the first 429, "
            "%d refused, Retry-After %d s honoured\n",
            sent, ok, refused, wait);
    curl_easy_cleanup(c);
}

/* ---- raw TLS connections -------------------------------------------------------------------- */

struct tconn {
    int fd;
    SSL *ssl;
};

static SSL_CTX *client_ctx(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    cr_assert(ctx);
    cr_assert(SSL_CTX_load_verify_locations(ctx, itest_env("TRECHTER_CACERT"), NULL) == 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return ctx;
}

static struct tconn tconnect(SSL_CTX *ctx)
{
    struct tconn t = {socket(AF_INET, SOCK_STREAM, 0), NULL};
    cr_assert(t.fd >= 0);
    struct timeval tv = {10, 0};
    setsockopt(t.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(t.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)own.port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert(connect(t.fd, (struct sockaddr *)&a, sizeof a) == 0, "connect: %s", strerror(errno));
    t.ssl = SSL_new(ctx);
    SSL_set_fd(t.ssl, t.fd);
    SSL_set_tlsext_host_name(t.ssl, "localhost");
    SSL_set1_host(t.ssl, "127.0.0.1");
    int rc = SSL_connect(t.ssl);
    cr_assert(rc == 1, "TLS handshake failed (%d)", SSL_get_error(t.ssl, rc));
    return t;
}

static void tclose(struct tconn *t)
{
    if (t->ssl) {
        SSL_shutdown(t->ssl);
        SSL_free(t->ssl);
    }
    if (t->fd >= 0)
        close(t->fd);
    t->ssl = NULL;
    t->fd = -1;
}

static void tsend(struct tconn *t, const char *s, size_t n)
{
    cr_assert(SSL_write(t->ssl, s, (int)n) == (int)n, "SSL_write failed");
}

/* Reads one HTTP response (head + Content-Length body) into out; returns the status, 0 on EOF or
 * error before a complete head. */
static int tread_response(struct tconn *t, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (;;) {
        char *end = strstr(out, "\r\n\r\n");
        if (end) {
            const char *cl = strcasestr(out, "\r\nContent-Length:");
            size_t want = (size_t)(end + 4 - out) + (cl && cl < end ? (size_t)atol(cl + 17) : 0);
            if (len >= want || want >= cap)
                break;
        }
        if (len + 1 >= cap)
            break;
        int n = SSL_read(t->ssl, out + len, (int)(cap - 1 - len));
        if (n <= 0)
            break;
        len += (size_t)n;
        out[len] = '\0';
    }
    int status = 0;
    if (strncmp(out, "HTTP/1.1 ", 9) == 0)
        status = atoi(out + 9);
    return status;
}

/* Seconds until the server closes the connection (reads return 0 or fail), at most `limit`. */
static double until_closed(struct tconn *t, double since, double limit, char *got, size_t cap)
{
    size_t len = 0;
    got[0] = '\0';
    struct timeval tv = {0, 200 * 1000};
    setsockopt(t->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (itest_now_s() - since < limit) {
        char b[2048];
        int n = SSL_read(t->ssl, b, sizeof b);
        if (n > 0) {
            size_t k = (size_t)n < cap - 1 - len ? (size_t)n : cap - 1 - len;
            memcpy(got + len, b, k);
            len += k;
            got[len] = '\0';
            continue;
        }
        int e = SSL_get_error(t->ssl, n);
        if (e == SSL_ERROR_WANT_READ ||
            (e == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)))
            continue;
        return itest_now_s() - since;
    }
    return -1;
}

Test(limits, connection_cap_refuses_the_excess_with_503)
{
    SSL_CTX *ctx = client_ctx();
    usleep(300 * 1000); /* the start-up /healthz probes' connections are gone */
    enum { CAP = 8, EXTRA = 3 };
    struct tconn conns[CAP + EXTRA];
    for (int i = 0; i < CAP + EXTRA; i++)
        conns[i] = tconnect(ctx);
    static const char get[] = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
    char resp[8192];
    int refused = 0;
    /* The excess connections: a 503 problem on their first request, then the connection closes. */
    for (int i = CAP; i < CAP + EXTRA; i++) {
        tsend(&conns[i], get, sizeof get - 1);
        int st = tread_response(&conns[i], resp, sizeof resp);
        cr_assert_eq(st, 503, "connection %d of %d (cap %d): expected 503, got %d: %.400s", i + 1,
                     CAP + EXTRA, CAP, st, resp);
        cr_assert(strcasestr(resp, "application/problem+json"), "503 is not problem+json: %.400s",
                  resp);
        cr_assert(strstr(resp, "too-many-connections"), "503 type: %.400s", resp);
        cr_assert(strcasestr(resp, "\r\nRetry-After:"), "503 without Retry-After: %.400s", resp);
        refused++;
    }
    /* The earlier ones still work, twice each (keep-alive). */
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < CAP; i++) {
            tsend(&conns[i], get, sizeof get - 1);
            int st = tread_response(&conns[i], resp, sizeof resp);
            cr_assert_eq(st, 200, "connection %d within the cap (round %d): %d %.300s", i + 1,
                         round + 1, st, resp);
        }
    for (int i = 0; i < CAP + EXTRA; i++)
        tclose(&conns[i]);
    /* Closed connections give their places back. */
    usleep(300 * 1000);
    struct tconn again = tconnect(ctx);
    tsend(&again, get, sizeof get - 1);
    int st = tread_response(&again, resp, sizeof resp);
    cr_assert_eq(st, 200, "a new connection after the others closed: %d %.300s", st, resp);
    tclose(&again);
    SSL_CTX_free(ctx);
    fprintf(stderr, "figures: connection cap 8: %d of %d connections refused with 503\n", refused,
            CAP + EXTRA);
}

Test(limits, slow_head_is_cut_off_by_header_timeout)
{
    SSL_CTX *ctx = client_ctx();
    char got[4096];
    /* Half a head, then nothing. */
    double t0 = itest_now_s();
    struct tconn t = tconnect(ctx);
    static const char half[] = "GET /v1/municipalities HTTP/1.1\r\nHost: localhost\r\n";
    tsend(&t, half, sizeof half - 1);
    double cut = until_closed(&t, t0, 10, got, sizeof got);
    cr_assert(cut > 0, "a half head was not cut off within 10 s (header-timeout 2s)");
    cr_assert(cut >= 1.5 && cut <= 4.5, "half head cut off after %.2f s; header-timeout is 2 s",
              cut);
    cr_assert(strstr(got, " 200 ") == NULL, "a half head got an answer: %.300s", got);
    tclose(&t);

    /* A slowloris: one byte of the head every 300 ms keeps the connection active, yet the total
     * deadline still ends it. */
    static const char head[] =
        "GET /v1/municipalities HTTP/1.1\r\nHost: localhost\r\nX-Pad: "
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    t0 = itest_now_s();
    t = tconnect(ctx);
    double trickle_cut = -1;
    for (size_t i = 0; i < sizeof head - 1 && itest_now_s() - t0 < 10; i++) {
        if (SSL_write(t.ssl, head + i, 1) != 1) {
            trickle_cut = itest_now_s() - t0;
            break;
        }
        struct timeval tv = {0, 300 * 1000};
        setsockopt(t.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char b[512];
        int n = SSL_read(t.ssl, b, sizeof b);
        int e = n > 0 ? 0 : SSL_get_error(t.ssl, n);
        if (n == 0 || (n < 0 && e != SSL_ERROR_WANT_READ &&
                       !(e == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)))) {
            trickle_cut = itest_now_s() - t0;
            break;
        }
        cr_assert(n <= 0, "the trickled head got an answer");
    }
    cr_assert(trickle_cut > 0, "a head trickled at 1 byte / 300 ms was not cut off within 10 s");
    cr_assert(trickle_cut <= 4.5, "trickled head cut off after %.2f s; header-timeout is 2 s",
              trickle_cut);
    tclose(&t);

    /* A TCP connection that never even starts TLS shares the same deadline. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)own.port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    t0 = itest_now_s();
    cr_assert(connect(fd, (struct sockaddr *)&a, sizeof a) == 0);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char b[64];
    ssize_t n = recv(fd, b, sizeof b, 0);
    double silent_cut = itest_now_s() - t0;
    cr_assert(n <= 0 && silent_cut < 9.5, "a silent TCP connection was not closed within 10 s");
    cr_assert(silent_cut <= 4.5,
              "a silent TCP connection was closed after %.2f s; "
              "header-timeout 2 s",
              silent_cut);
    close(fd);

    /* The daemon still serves. */
    struct http_response *r = http_get("/healthz", NULL);
    cr_assert_eq(r->status, 200);
    http_response_free(r);
    SSL_CTX_free(ctx);
    fprintf(stderr,
            "figures: slow head cut off after %.2f s, trickled head after %.2f s, silent "
            "TCP connection after %.2f s (header-timeout 2 s)\n",
            cut, trickle_cut, silent_cut);
}

Test(limits, slow_body_is_cut_off_by_request_timeout)
{
    SSL_CTX *ctx = client_ctx();
    char got[4096];
    struct tconn t = tconnect(ctx);
    static const char head[] = "POST /v1/imports HTTP/1.1\r\nHost: localhost\r\n"
                               "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                               "[{\"munic";
    tsend(&t, head, sizeof head - 1);
    double t0 = itest_now_s();
    double cut = until_closed(&t, t0, 12, got, sizeof got);
    cr_assert(cut > 0, "a stalled body was not cut off within 12 s (request-timeout 3s)");
    cr_assert(cut >= 2.0 && cut <= 5.5, "stalled body cut off after %.2f s; request-timeout 3 s",
              cut);
    cr_assert(strstr(got, "HTTP/1.1 2") == NULL, "a truncated body was answered 2xx: %.300s", got);
    tclose(&t);

    /* A body trickled at 5 bytes every 400 ms: never idle, still cut off by the total deadline. */
    t = tconnect(ctx);
    static const char head2[] = "POST /v1/imports HTTP/1.1\r\nHost: localhost\r\n"
                                "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
    tsend(&t, head2, sizeof head2 - 1);
    t0 = itest_now_s();
    double trickle_cut = -1;
    while (itest_now_s() - t0 < 12) {
        if (SSL_write(t.ssl, "     ", 5) != 5) {
            trickle_cut = itest_now_s() - t0;
            break;
        }
        struct timeval tv = {0, 400 * 1000};
        setsockopt(t.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char b[512];
        int n = SSL_read(t.ssl, b, sizeof b);
        int e = n > 0 ? 0 : SSL_get_error(t.ssl, n);
        if (n == 0 || (n < 0 && e != SSL_ERROR_WANT_READ &&
                       !(e == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)))) {
            trickle_cut = itest_now_s() - t0;
            break;
        }
    }
    cr_assert(trickle_cut > 0, "a trickled body was not cut off within 12 s");
    cr_assert(trickle_cut <= 5.5, "trickled body cut off after %.2f s; request-timeout 3 s",
              trickle_cut);
    tclose(&t);
    struct http_response *r = http_get("/healthz", NULL);
    cr_assert_eq(r->status, 200);
    http_response_free(r);
    SSL_CTX_free(ctx);
    fprintf(stderr,
            "figures: stalled body cut off after %.2f s, trickled body after %.2f s "
            "(request-timeout 3 s)\n",
            cut, trickle_cut);
}

/* A buffered reader of pipelined responses on one connection. */
struct reader {
    struct tconn *t;
    char buf[1 << 18];
    size_t len;
};

/* The next response: its status, and up to cap-1 bytes of head and body in out; 0 on EOF. */
static int next_response(struct reader *rd, char *out, size_t cap)
{
    for (;;) {
        rd->buf[rd->len] = '\0';
        char *end = strstr(rd->buf, "\r\n\r\n");
        if (end) {
            size_t head = (size_t)(end + 4 - rd->buf);
            const char *cl = strcasestr(rd->buf, "\r\nContent-Length:");
            size_t total = head + (cl && cl < end ? (size_t)atol(cl + 17) : 0);
            cr_assert(total < sizeof rd->buf - 1, "a response larger than the reader");
            if (rd->len >= total) {
                size_t k = total < cap - 1 ? total : cap - 1;
                memcpy(out, rd->buf, k);
                out[k] = '\0';
                int status = strncmp(rd->buf, "HTTP/1.1 ", 9) == 0 ? atoi(rd->buf + 9) : -1;
                memmove(rd->buf, rd->buf + total, rd->len - total);
                rd->len -= total;
                return status;
            }
        }
        int n = SSL_read(rd->t->ssl, rd->buf + rd->len, (int)(sizeof rd->buf - 1 - rd->len));
        if (n <= 0)
            return 0;
        rd->len += (size_t)n;
    }
}

Test(limits, address_limit_hits_public_endpoints)
{
    /* Burst 50, 50/s, no token: the per-address bucket applies before routing. Requests are
     * pipelined on one connection so they arrive faster than the bucket refills: first 150 cheap
     * ones (an unknown path, answered 404 right after the address check), then 10 for the public
     * /v1/municipalities, which must find the bucket empty as well. */
    SSL_CTX *ctx = client_ctx();
    struct tconn t = tconnect(ctx);
    enum { CHEAP = 150, MUNI = 10, N = CHEAP + MUNI };
    static const char cheap[] = "GET /v1/no-such-thing HTTP/1.1\r\nHost: localhost\r\n\r\n";
    static const char get[] = "GET /v1/municipalities HTTP/1.1\r\nHost: localhost\r\n\r\n";
    size_t total = CHEAP * (sizeof cheap - 1) + MUNI * (sizeof get - 1);
    char *all = malloc(total), *w = all;
    for (int i = 0; i < CHEAP; i++, w += sizeof cheap - 1)
        memcpy(w, cheap, sizeof cheap - 1);
    for (int i = 0; i < MUNI; i++, w += sizeof get - 1)
        memcpy(w, get, sizeof get - 1);
    tsend(&t, all, total);
    free(all);
    struct reader *rd = calloc(1, sizeof *rd);
    rd->t = &t;
    int ok = 0, refused = 0, other = 0, retry_after = 0, muni_refused = 0, muni_ok = 0;
    char resp[4096], last429[4096] = "";
    for (int i = 0; i < N; i++) {
        int st = next_response(rd, resp, sizeof resp);
        cr_assert(st != 0, "the connection ended after %d of %d pipelined responses", i, N);
        bool muni = i >= CHEAP;
        if (st == 429) {
            refused++;
            muni_refused += muni;
            snprintf(last429, sizeof last429, "%s", resp);
        } else if (st == (muni ? 200 : 404)) {
            ok++;
            muni_ok += muni;
        } else {
            other++;
        }
    }
    tclose(&t);
    free(rd);
    SSL_CTX_free(ctx);
    cr_assert_eq(other, 0, "%d pipelined answers were neither the expected 404/200 nor 429", other);
    cr_assert(refused > 0, "no 429 from the address limit among %d pipelined requests (%d passed)",
              N, ok);
    /* The burst of 50, less the few /healthz probes this test made from the same address while
     * the daemon started (the bucket refills at 50/s meanwhile). */
    cr_assert(ok >= 45, "only %d requests passed before 429 (address-burst 50)", ok);
    cr_assert(muni_refused > 0,
              "the public /v1/municipalities was never refused (%d of %d passed) "
              "after the address's bucket was drained",
              muni_ok, MUNI);
    cr_assert(strcasestr(last429, "\r\nContent-Type: application/problem+json"),
              "429 is not problem+json: %.400s", last429);
    cr_assert(strstr(last429, "rate-limited") && strstr(last429, "address"),
              "429 does not name the address limit: %.600s", last429);
    const char *ra = strcasestr(last429, "\r\nRetry-After:");
    cr_assert(ra, "429 without Retry-After: %.400s", last429);
    retry_after = atoi(ra + 14);
    cr_assert(retry_after >= 1, "Retry-After %d", retry_after);

    /* It holds for an unknown path too (checked before routing), then passes after Retry-After. */
    CURL *c = curl_easy_init();
    struct http_response *r = creq(c, "GET", "/v1/no-such-thing", NULL, NULL, NULL);
    cr_assert(r->status == 429 || r->status == 404, "%ld", r->status);
    http_response_free(r);
    sleep((unsigned)retry_after);
    r = creq(c, "GET", "/v1/municipalities", NULL, NULL, NULL);
    cr_assert_eq(r->status, 200, "after Retry-After: %ld", r->status);
    http_response_free(r);
    curl_easy_cleanup(c);
    fprintf(stderr,
            "figures: address limit: %d pipelined requests, %d passed, %d refused with 429 "
            "(%d of %d to /v1/municipalities; Retry-After %d s)\n",
            N, ok, refused, muni_refused, MUNI, retry_after);
}

/* ---- mutual TLS ----------------------------------------------------------------------------- */

static int run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    cr_assert(p, "popen %s", cmd);
    size_t n = out ? fread(out, 1, cap - 1, p) : 0;
    if (out)
        out[n] = '\0';
    else {
        char sink[4096];
        while (fread(sink, 1, sizeof sink, p) > 0) {
        }
    }
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Makes sure the client certificate's OIN maps to an active analyst token; re-runnable on the same
 * database (the serial is UNIQUE, revoked tokens included). */
static void register_client_cert(void)
{
    char cmd[2048], out[4096];
    snprintf(cmd, sizeof cmd,
             "'%s' token create --db '%s' --role analyst --name 'mtls test' --cert-serial %s 2>&1",
             itest_env("TRECHTER_BIN"), itest_env("TRECHTER_DB"), OIN);
    if (run(cmd, out, sizeof out) == 0)
        return;
    /* Already registered (an earlier run, or a parallel test): it must be an active analyst. */
    snprintf(cmd, sizeof cmd,
             "psql -X -A -t -q '%s' -c \"SELECT role || '|' || (revoked_at IS NULL) || '|' || "
             "(expires_at IS NULL OR expires_at > now()) FROM tokens WHERE cert_serial = '%s'\"",
             itest_env("TRECHTER_DB"), OIN);
    char row[256];
    cr_assert_eq(run(cmd, row, sizeof row), 0, "psql failed; token create said: %s", out);
    if (strncmp(row, "analyst|true|true", 17) == 0)
        return;
    /* Revoked or otherwise unusable: free the serial (test fixture surgery) and register again. */
    snprintf(cmd, sizeof cmd,
             "psql -X -q -v ON_ERROR_STOP=1 '%s' -c \"UPDATE tokens SET cert_serial = NULL "
             "WHERE cert_serial = '%s'\" >/dev/null 2>&1",
             itest_env("TRECHTER_DB"), OIN);
    cr_assert_eq(run(cmd, NULL, 0), 0);
    snprintf(cmd, sizeof cmd,
             "'%s' token create --db '%s' --role analyst --name 'mtls test' --cert-serial %s 2>&1",
             itest_env("TRECHTER_BIN"), itest_env("TRECHTER_DB"), OIN);
    int rc = run(cmd, out, sizeof out);
    if (rc != 0) { /* a parallel test won the race: fine if it is an active analyst now */
        snprintf(cmd, sizeof cmd,
                 "psql -X -A -t -q '%s' -c \"SELECT role || '|' || (revoked_at IS NULL) "
                 "FROM tokens WHERE cert_serial = '%s'\"",
                 itest_env("TRECHTER_DB"), OIN);
        cr_assert_eq(run(cmd, row, sizeof row), 0);
        cr_assert(strncmp(row, "analyst|true", 12) == 0,
                  "cannot register the client certificate: %s", out);
    }
}

/* A key and certificate made by the test under the test's own directory; `ca` NULL makes it
 * self-signed, else signed by the dev CA (the fixture's ca.pem/ca-key.pem). */
static void make_cert(const char *dir, const char *name, const char *subject, bool by_ca,
                      char **cert, char **key)
{
    cr_assert(asprintf(cert, "%s/%s.pem", dir, name) > 0);
    cr_assert(asprintf(key, "%s/%s-key.pem", dir, name) > 0);
    char cmd[4096];
    if (!by_ca) {
        snprintf(cmd, sizeof cmd,
                 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
                 "-subj '%s' -keyout '%s' -out '%s' >/dev/null 2>&1",
                 subject, *key, *cert);
    } else {
        char *ca = tls_file("ca.pem"), *cakey = tls_file("ca-key.pem");
        snprintf(cmd, sizeof cmd,
                 "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '%s' "
                 "-keyout '%s' -out '%s.csr' >/dev/null 2>&1 && "
                 "printf 'basicConstraints=critical,CA:FALSE\\nextendedKeyUsage=clientAuth\\n' "
                 ">'%s.ext' && openssl x509 -req -in '%s.csr' -CA '%s' -CAkey '%s' -set_serial %ld "
                 "-days 2 -extfile '%s.ext' -out '%s' >/dev/null 2>&1",
                 subject, *key, *cert, *cert, *cert, ca, cakey,
                 (long)getpid() * 1000 + rand() % 1000, *cert, *cert);
        free(ca);
        free(cakey);
    }
    cr_assert_eq(run(cmd, NULL, 0), 0, "openssl could not make %s", *cert);
}

static char *scratch_dir(void)
{
    char *d = NULL;
    cr_assert(asprintf(&d, "%s/mtls-%d", itest_env("TRECHTER_WORKDIR"), (int)getpid()) > 0);
    mkdir(d, 0700);
    return d;
}

static void rm_dir(char *d)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    (void)!system(cmd);
    free(d);
}

Test(mtls, verified_certificate_maps_to_its_principal)
{
    register_client_cert();
    const char *cert = itest_env("TRECHTER_CLIENT_CERT"), *key = itest_env("TRECHTER_CLIENT_KEY");
    CURL *c = curl_easy_init();
    struct http_response *r = creq(c, "GET", "/v1/me", NULL, cert, key);
    cr_assert_eq(r->status, 200,
                 "GET /v1/me with the registered client certificate and no token: "
                 "%ld (curl %d) %.*s",
                 r->status, r->curl_code, BODY(r));
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "role")), "analyst");
    http_response_free(r);
    /* What the certificate's principal may not do: an analyst does not write. */
    r = creq(c, "PUT", "/v1/municipalities/GM0599/funnels/2019-Q4?dryRun=true", NULL, cert, key);
    cr_assert(r->status == 403 || r->status == 400 || r->status == 415,
              "a write by the certificate's analyst: %ld %.*s", r->status, BODY(r));
    http_response_free(r);
    curl_easy_cleanup(c);

    /* A token sent beside the certificate takes precedence. */
    c = curl_easy_init();
    r = creq(c, "GET", "/v1/me", tok("TOKEN_RAPPORTEUR"), cert, key);
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "role")), "rapporteur");
    http_response_free(r);
    curl_easy_cleanup(c);

    /* No certificate and no token: 401 problem. */
    c = curl_easy_init();
    r = creq(c, "GET", "/v1/me", NULL, NULL, NULL);
    cr_assert_eq(r->status, 401, "no certificate, no token: %ld", r->status);
    cr_assert(http_is_problem(r));
    http_response_free(r);
    curl_easy_cleanup(c);
}

Test(mtls, unverifiable_certificates_are_refused)
{
    register_client_cert();
    char *dir = scratch_dir();
    char *self_cert, *self_key, *other_cert, *other_key, *odd_cert, *odd_key;
    char subj[200];
    /* Self-signed, with the registered OIN: refused at the handshake, no HTTP status. */
    snprintf(subj, sizeof subj, "/O=attacker/CN=forged client/serialNumber=%s", OIN);
    make_cert(dir, "self", subj, false, &self_cert, &self_key);
    CURL *c = curl_easy_init();
    struct http_response *r = creq(c, "GET", "/v1/me", NULL, self_cert, self_key);
    cr_assert(r->curl_code != CURLE_OK && r->status == 0,
              "a self-signed client certificate got through the handshake: curl %d, HTTP %ld %.*s",
              r->curl_code, r->status, BODY(r));
    int self_code = r->curl_code;
    http_response_free(r);
    curl_easy_cleanup(c);

    /* Signed by the trusted CA but with an OIN nobody registered: verified, yet no principal. */
    make_cert(dir, "other",
              "/O=trechter development/CN=unregistered/serialNumber=00000009999999999999", true,
              &other_cert, &other_key);
    c = curl_easy_init();
    r = creq(c, "GET", "/v1/me", NULL, other_cert, other_key);
    cr_assert_eq(r->status, 401, "an unregistered OIN: %ld (curl %d) %.*s", r->status, r->curl_code,
                 BODY(r));
    cr_assert(http_is_problem(r));
    http_response_free(r);
    curl_easy_cleanup(c);

    /* Signed by the CA, serialNumber not an OIN (SQL-ish text): no principal either. */
    make_cert(dir, "odd", "/O=trechter development/CN=odd/serialNumber=NOT-AN-OIN-1 OR 1=1", true,
              &odd_cert, &odd_key);
    c = curl_easy_init();
    r = creq(c, "GET", "/v1/me", NULL, odd_cert, odd_key);
    cr_assert_eq(r->status, 401, "a non-OIN serialNumber: %ld (curl %d) %.*s", r->status,
                 r->curl_code, BODY(r));
    http_response_free(r);
    curl_easy_cleanup(c);

    /* The daemon still serves the real certificate. */
    c = curl_easy_init();
    r = creq(c, "GET", "/v1/me", NULL, itest_env("TRECHTER_CLIENT_CERT"),
             itest_env("TRECHTER_CLIENT_KEY"));
    cr_assert_eq(r->status, 200);
    http_response_free(r);
    curl_easy_cleanup(c);
    fprintf(stderr,
            "figures: mtls: self-signed certificate refused at the handshake (curl %d: %s)\n",
            self_code, curl_easy_strerror((CURLcode)self_code));
    free(self_cert), free(self_key), free(other_cert), free(other_key), free(odd_cert),
        free(odd_key);
    rm_dir(dir);
}

static void lock_cb(CURL *h, curl_lock_data d, curl_lock_access a, void *u) {}
static void unlock_cb(CURL *h, curl_lock_data d, void *u) {}

/* Two requests on two new connections sharing a TLS session cache: the second resumes. With
 * `cert` the session carries the client certificate, and the resumed connection is still mapped
 * to the certificate's principal. Returns whether it resumed. */
static bool second_resumes(const char *cert, const char *key, const char *token, const char *role)
{
    CURLSH *sh = curl_share_init();
    curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(sh, CURLSHOPT_LOCKFUNC, lock_cb);
    curl_share_setopt(sh, CURLSHOPT_UNLOCKFUNC, unlock_cb);
    bool reused[2] = {false, false};
    for (int i = 0; i < 2; i++) {
        CURL *c = curl_easy_init();
        curl_easy_setopt(c, CURLOPT_SHARE, sh);
        curl_easy_setopt(c, CURLOPT_SSL_SESSIONID_CACHE, 1L);
        struct http_response *r = creq(c, "GET", "/v1/me", token, cert, key);
        cr_assert_eq(r->status, 200, "request %d: %ld (curl %d) %.*s", i + 1, r->status,
                     r->curl_code, BODY(r));
        cr_assert_str_eq(json_string_value(json_object_get(r->json, "role")), role,
                         "request %d (resumed %d) is not the %s", i + 1, i, role);
        cr_assert(last_resumed >= 0, "no OpenSSL session state for request %d", i + 1);
        reused[i] = last_resumed == 1;
        http_response_free(r);
        curl_easy_cleanup(c);
    }
    curl_share_cleanup(sh);
    cr_assert(!reused[0], "the first connection cannot have resumed a session");
    return reused[1];
}

Test(mtls, session_resumption)
{
    register_client_cert();
    bool with_cert = second_resumes(itest_env("TRECHTER_CLIENT_CERT"),
                                    itest_env("TRECHTER_CLIENT_KEY"), NULL, "analyst");
    bool with_token = second_resumes(NULL, NULL, tok("TOKEN_RAPPORTEUR"), "rapporteur");
    cr_assert(with_token, "a token client's second connection did not resume its TLS session");
    cr_assert(with_cert, "a client-certificate client's second connection did not resume its TLS "
                         "session (session id context?)");
    fprintf(stderr, "figures: mtls: session resumed with client certificate: %s, with token: %s\n",
            with_cert ? "yes" : "no", with_token ? "yes" : "no");
}
