/* Unit tests of the client's retry policy (client/retry.c) and exit codes (client/exit_code.c):
 * which failures are retried, how long each wait is (full jitter within the exponential ceiling,
 * never shorter than Retry-After) and what each final answer exits with. And that every retry of
 * one write carries that write's one Idempotency-Key (issue 20 item 11), against a small TLS
 * server in this process that loses the first answer and is busy for the second. */
#include "client/cli.h"
#include "client/commands.h"
#include "client/exit_code.h"
#include "client/http.h"
#include "client/retry.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

TestSuite(client_retry, .timeout = 60);

Test(client_retry, transient_transport_errors_are_retried)
{
    cr_assert(retry_transient_curl(CURLE_COULDNT_CONNECT));
    cr_assert(retry_transient_curl(CURLE_OPERATION_TIMEDOUT));
    cr_assert(retry_transient_curl(CURLE_RECV_ERROR));
    cr_assert(retry_transient_curl(CURLE_SEND_ERROR));
    cr_assert(retry_transient_curl(CURLE_GOT_NOTHING));
    cr_assert(retry_transient_curl(CURLE_SSL_CONNECT_ERROR));
    cr_assert_not(retry_transient_curl(CURLE_OK));
    cr_assert_not(retry_transient_curl(CURLE_PEER_FAILED_VERIFICATION),
                  "a certificate that does not verify will not verify next time");
    cr_assert_not(retry_transient_curl(CURLE_SSL_CACERT_BADFILE));
    cr_assert_not(retry_transient_curl(CURLE_URL_MALFORMAT));
}

Test(client_retry, statuses_that_say_try_later)
{
    cr_assert(retry_transient_status(429));
    cr_assert(retry_transient_status(503));
    cr_assert(retry_transient_status(502));
    cr_assert(retry_transient_status(504));
    cr_assert_not(retry_transient_status(500));
    cr_assert_not(retry_transient_status(400));
    cr_assert_not(retry_transient_status(409));
    cr_assert_not(retry_transient_status(200));
}

/* A 409 is final — another body for the key, a state conflict — unless it says when to ask
 * again: then the first attempt of this keyed write is still running on the server. */
Test(client_retry, a_409_is_retried_only_with_retry_after)
{
    cr_assert(retry_transient_answer(409, "1"));
    cr_assert_not(retry_transient_answer(409, NULL));
    cr_assert(retry_transient_answer(503, NULL));
    cr_assert(retry_transient_answer(429, "3"));
    cr_assert_not(retry_transient_answer(412, "1"), "only 409 and the try-later statuses");
    cr_assert_not(retry_transient_answer(200, "1"));
    cr_assert_not(retry_transient_answer(400, NULL));
}

Test(client_retry, full_jitter_stays_within_the_exponential_ceiling)
{
    /* jitter 0 → 0; jitter max → the ceiling itself */
    for (unsigned attempt = 0; attempt < 10; attempt++) {
        long ceiling = 500L << attempt;
        if (ceiling > 30000)
            ceiling = 30000;
        cr_assert_eq(retry_delay_ms(attempt, -1, 0, 500, 30000), 0);
        cr_assert_eq(retry_delay_ms(attempt, -1, UINT32_MAX, 500, 30000), ceiling,
                     "attempt %u: %ld", attempt,
                     retry_delay_ms(attempt, -1, UINT32_MAX, 500, 30000));
        long mid = retry_delay_ms(attempt, -1, UINT32_MAX / 2, 500, 30000);
        cr_assert(mid >= ceiling / 2 - 1 && mid <= ceiling / 2 + 1, "attempt %u: %ld", attempt,
                  mid);
    }
}

Test(client_retry, the_ceiling_is_capped_and_never_overflows)
{
    cr_assert_eq(retry_delay_ms(1000, -1, UINT32_MAX, 500, 30000), 30000);
    cr_assert_eq(retry_delay_ms(63, -1, UINT32_MAX, 500, 30000), 30000);
    cr_assert_eq(retry_delay_ms(4000000000u, 0, UINT32_MAX, 500, 30000), 30000);
    cr_assert_eq(retry_delay_ms(3, -1, UINT32_MAX, -5, -5), 0, "negative settings give 0");
}

Test(client_retry, retry_after_is_honoured_when_larger)
{
    cr_assert_eq(retry_delay_ms(0, 7, UINT32_MAX, 500, 30000), 7000,
                 "the server's 7 s beat the jittered 0.5 s");
    cr_assert_eq(retry_delay_ms(6, 1, UINT32_MAX, 500, 30000), 30000,
                 "a shorter Retry-After does not shorten the backoff");
    cr_assert_eq(retry_delay_ms(0, 120, 0, 500, 30000), 120000, "and it may pass the cap");
    cr_assert_eq(retry_delay_ms(0, 0, 0, 500, 30000), 0);
    cr_assert(retry_delay_ms(0, 9000000000L / 1000, 0, 500, 30000) <= 86400L * 1000,
              "an absurd Retry-After is bounded");
}

Test(client_retry, retry_after_header_values)
{
    cr_assert_eq(retry_after_seconds("3", 0), 3);
    cr_assert_eq(retry_after_seconds(" 120 ", 0), 120);
    cr_assert_eq(retry_after_seconds(NULL, 0), -1);
    cr_assert_eq(retry_after_seconds("", 0), -1);
    cr_assert_eq(retry_after_seconds("soon", 0), -1);
    cr_assert_eq(retry_after_seconds("-4", 0), -1);
    cr_assert_eq(retry_after_seconds("5x", 0), -1);
    /* HTTP-date: Sun, 06 Nov 1994 08:49:37 GMT is 784111777 */
    cr_assert_eq(retry_after_seconds("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 30), 30);
    cr_assert_eq(retry_after_seconds("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 30), 0,
                 "a date in the past means now");
}

Test(client_retry, exit_codes)
{
    cr_assert_eq(exit_code_for_status(200), CLIENT_EXIT_OK);
    cr_assert_eq(exit_code_for_status(201), CLIENT_EXIT_OK);
    cr_assert_eq(exit_code_for_status(204), CLIENT_EXIT_OK);
    long rejected[] = {400, 404, 405, 409, 412, 413, 415, 422, 431};
    for (size_t i = 0; i < sizeof rejected / sizeof rejected[0]; i++)
        cr_assert_eq(exit_code_for_status(rejected[i]), CLIENT_EXIT_REJECTED, "%ld", rejected[i]);
    cr_assert_eq(exit_code_for_status(401), CLIENT_EXIT_AUTH);
    cr_assert_eq(exit_code_for_status(403), CLIENT_EXIT_AUTH);
    cr_assert_eq(exit_code_for_status(429), CLIENT_EXIT_FAILURE);
    cr_assert_eq(exit_code_for_status(500), CLIENT_EXIT_FAILURE);
    cr_assert_eq(exit_code_for_status(503), CLIENT_EXIT_FAILURE);
    cr_assert_eq(exit_code_for_status(0), CLIENT_EXIT_FAILURE, "no answer at all");
    cr_assert_eq(exit_code_for_status(302), CLIENT_EXIT_FAILURE);
    cr_assert_eq(CLIENT_EXIT_USAGE, 1);
    cr_assert_eq(CLIENT_EXIT_REJECTED, 2);
    cr_assert_eq(CLIENT_EXIT_AUTH, 3);
    cr_assert_eq(CLIENT_EXIT_FAILURE, 4);
}

/* ---- one key per write, the same on every retry ---------------------------------------------- */

enum script_step { STEP_LOSE_ANSWER, STEP_BUSY, STEP_RUNNING, STEP_CONFLICT, STEP_ANSWER };
enum { MAX_STEPS = 8 };

/* A TLS server on 127.0.0.1 answering one connection per step of its script, in order. */
struct fake_server {
    SSL_CTX *ctx;
    int listener;
    int port;
    char cacert[64]; /* a file with its self-signed certificate */
    enum script_step script[MAX_STEPS];
    int steps;
    /* What each connection's request said, filled by the server thread. */
    char method[MAX_STEPS][8];
    char key[MAX_STEPS][64]; /* the Idempotency-Key header, "" when absent */
    int served;
    pthread_t thread;
};

/* A fresh P-256 key and a self-signed certificate for IP 127.0.0.1, written to srv->cacert. */
static void server_identity(struct fake_server *srv)
{
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    cr_assert_not_null(pkey);
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pkey);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1, -1,
                               0);
    X509_set_issuer_name(x, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    static const struct {
        int nid;
        const char *value;
    } exts[] = {{NID_subject_alt_name, "IP:127.0.0.1"},
                {NID_basic_constraints, "critical,CA:TRUE"}};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, exts[i].nid, exts[i].value);
        cr_assert_not_null(e);
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
    cr_assert(X509_sign(x, pkey, EVP_sha256()) > 0);
    snprintf(srv->cacert, sizeof srv->cacert, "/tmp/trechter-retry-ca-XXXXXX");
    int fd = mkstemp(srv->cacert);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    cr_assert(f && PEM_write_X509(f, x) == 1);
    fclose(f);
    srv->ctx = SSL_CTX_new(TLS_server_method());
    cr_assert(srv->ctx && SSL_CTX_use_certificate(srv->ctx, x) == 1 &&
              SSL_CTX_use_PrivateKey(srv->ctx, pkey) == 1);
    X509_free(x);
    EVP_PKEY_free(pkey);
}

/* Reads one request (head and Content-Length body) and notes its method and key. */
static void read_request(SSL *ssl, struct fake_server *srv, int i)
{
    char buf[8192];
    size_t len = 0;
    char *end = NULL;
    while (!end && len < sizeof buf - 1) {
        int n = SSL_read(ssl, buf + len, (int)(sizeof buf - 1 - len));
        if (n <= 0)
            return;
        len += (size_t)n;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (!end)
        return;
    *end = '\0';
    sscanf(buf, "%7s", srv->method[i]);
    size_t body = 0;
    for (char *line = strstr(buf, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
        const char *h = line + 2;
        if (strncasecmp(h, "Idempotency-Key:", 16) == 0)
            sscanf(h + 16, " %63[^\r\n]", srv->key[i]);
        else if (strncasecmp(h, "Content-Length:", 15) == 0)
            body = strtoul(h + 15, NULL, 10);
    }
    size_t have = len - (size_t)(end + 4 - buf);
    while (have < body) {
        int n = SSL_read(ssl, buf, (int)sizeof buf);
        if (n <= 0)
            return;
        have += (size_t)n;
    }
}

static void *serve(void *arg)
{
    struct fake_server *srv = arg;
    static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\n"
                               "Content-Length: 0\r\nConnection: close\r\n\r\n";
    /* the first attempt of the key is still running on the server; then a key used elsewhere */
    static const char running[] = "HTTP/1.1 409 Conflict\r\nRetry-After: 0\r\n"
                                  "Content-Length: 0\r\nConnection: close\r\n\r\n";
    static const char conflict[] = "HTTP/1.1 409 Conflict\r\n"
                                   "Content-Length: 0\r\nConnection: close\r\n\r\n";
    static const char answer[] = "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                                 "ETag: \"1\"\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
    for (int i = 0; i < srv->steps; i++) {
        int fd = accept(srv->listener, NULL, NULL);
        if (fd < 0)
            break;
        SSL *ssl = SSL_new(srv->ctx);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) == 1) {
            read_request(ssl, srv, i);
            if (srv->script[i] == STEP_BUSY)
                SSL_write(ssl, busy, (int)strlen(busy));
            else if (srv->script[i] == STEP_RUNNING)
                SSL_write(ssl, running, (int)strlen(running));
            else if (srv->script[i] == STEP_CONFLICT)
                SSL_write(ssl, conflict, (int)strlen(conflict));
            else if (srv->script[i] == STEP_ANSWER)
                SSL_write(ssl, answer, (int)strlen(answer));
            /* STEP_LOSE_ANSWER: the request arrived, the answer never leaves */
            SSL_shutdown(ssl);
        }
        SSL_free(ssl);
        close(fd);
        srv->served = i + 1;
    }
    return NULL;
}

static void server_start(struct fake_server *srv, const enum script_step *script, int steps)
{
    memset(srv, 0, sizeof *srv);
    memcpy(srv->script, script, (size_t)steps * sizeof *script);
    srv->steps = steps;
    server_identity(srv);
    srv->listener = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(srv->listener, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    cr_assert_eq(bind(srv->listener, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(srv->listener, 8), 0);
    cr_assert_eq(getsockname(srv->listener, (struct sockaddr *)&a, &alen), 0);
    srv->port = ntohs(a.sin_port);
    cr_assert_eq(pthread_create(&srv->thread, NULL, serve, srv), 0);
}

static void server_stop(struct fake_server *srv)
{
    pthread_join(srv->thread, NULL);
    close(srv->listener);
    SSL_CTX_free(srv->ctx);
    unlink(srv->cacert);
}

/* Runs one client command against srv, the way client/main.c does, quietly. */
static int run_command(struct fake_server *srv, int (*command)(struct run *), int argc, char **argv)
{
    struct cli cli;
    char err[256];
    cr_assert_eq(cli_parse(argc, argv, &cli, err, sizeof err), 0, "%s", err);
    char url[64];
    snprintf(url, sizeof url, "https://127.0.0.1:%d", srv->port);
    struct run run = {.cli = &cli};
    run.settings.url = url;
    run.settings.cacert = srv->cacert;
    run.http = (struct http_options){.token = "unit-test-token",
                                     .retries = MAX_STEPS,
                                     .retry_max_time_s = 60,
                                     .connect_timeout_s = 10,
                                     .quiet = 1};
    return command(&run);
}

static void write_file(char *path, const char *text)
{
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static bool uuid_v4(const char *k)
{
    if (strlen(k) != 36 || k[14] != '4' || !strchr("89ab", k[19]))
        return false;
    for (int i = 0; i < 36; i++)
        if ((i == 8 || i == 13 || i == 18 || i == 23) ? k[i] != '-'
                                                      : !strchr("0123456789abcdef", k[i]))
            return false;
    return true;
}

Test(client_keys, a_push_sends_one_key_on_every_retry_and_a_new_one_next_time, .timeout = 60)
{
    cr_assert_eq(http_global_init(), 0);
    char body[] = "/tmp/trechter-retry-body-XXXXXX";
    write_file(body, "{\"stages\": {\"reported\": {\"total\": 30}}}");
    char *argv[] = {"trechter", "push", "funnel", "GM0599", "2026-Q1", body, "--format", "json"};
    static const enum script_step script[] = {STEP_LOSE_ANSWER, STEP_BUSY, STEP_ANSWER,
                                              STEP_ANSWER};
    struct fake_server srv;
    server_start(&srv, script, 4);

    int code = run_command(&srv, cmd_push, 8, argv);
    cr_assert_eq(code, CLIENT_EXIT_OK, "the third attempt was answered 201");
    cr_assert_eq(srv.served, 3, "one lost answer, one 503, then the answer: %d", srv.served);
    for (int i = 0; i < 3; i++)
        cr_assert_str_eq(srv.method[i], "PUT", "attempt %d", i + 1);
    cr_assert(uuid_v4(srv.key[0]), "the key is a random UUID: '%s'", srv.key[0]);
    cr_assert_str_eq(srv.key[1], srv.key[0], "the retry after the lost answer changed the key");
    cr_assert_str_eq(srv.key[2], srv.key[0], "the retry after the 503 changed the key");

    /* Another push is another write: its own key. */
    code = run_command(&srv, cmd_push, 8, argv);
    cr_assert_eq(code, CLIENT_EXIT_OK);
    server_stop(&srv);
    cr_assert(uuid_v4(srv.key[3]), "'%s'", srv.key[3]);
    cr_assert_str_neq(srv.key[3], srv.key[0], "two pushes shared one key");
    unlink(body);
    http_global_cleanup();
}

/* --idempotency-key is sent on every retry; a 409 with Retry-After (the first attempt of the key
 * still running) is retried, one without is final; an import has its own key. */
Test(client_keys, a_given_key_is_the_one_sent_on_every_retry, .timeout = 60)
{
    cr_assert_eq(http_global_init(), 0);
    char body[] = "/tmp/trechter-retry-body-XXXXXX";
    write_file(body, "municipality,period,stage,dimension,category,count\n"
                     "GM0599,2026-Q1,reported,total,,30\n");
    char *push[] = {"trechter",          "push",
                    "network",           "GM0599",
                    "2026-Q1",           body,
                    "--format",          "json",
                    "--idempotency-key", "nightly-job-2026-04-02"};
    char *import[] = {"trechter", "import",   body,   "--type",
                      "csv",      "--format", "json", "--no-progress"};
    static const enum script_step script[] = {STEP_BUSY,        STEP_LOSE_ANSWER,
                                              STEP_RUNNING,     STEP_ANSWER, /* the push */
                                              STEP_LOSE_ANSWER, STEP_ANSWER, /* the import */
                                              STEP_CONFLICT};                /* a second push */
    struct fake_server srv;
    server_start(&srv, script, 7);
    cr_assert_eq(run_command(&srv, cmd_push, 10, push), CLIENT_EXIT_OK);
    cr_assert_eq(run_command(&srv, cmd_import, 8, import), CLIENT_EXIT_OK);
    cr_assert_eq(run_command(&srv, cmd_push, 10, push), CLIENT_EXIT_REJECTED,
                 "a 409 without Retry-After is final");
    server_stop(&srv);
    cr_assert_eq(srv.served, 7, "a final 409 was retried: %d connections", srv.served);
    for (int i = 0; i < 4; i++)
        cr_assert_str_eq(srv.key[i], "nightly-job-2026-04-02", "push attempt %d", i + 1);
    cr_assert_str_eq(srv.method[4], "POST");
    cr_assert(uuid_v4(srv.key[4]), "'%s'", srv.key[4]);
    cr_assert_str_eq(srv.key[5], srv.key[4], "the import's retry changed the key");
    unlink(body);
    http_global_cleanup();
}
