/* Integration-test harness: the environment written by tests/harness/env-up and a small HTTPS
 * client on libcurl. Every integration test binary is linked with harness.c (tests/CMakeLists.txt).
 *
 * Before any test runs (a constructor, so also in Criterion's re-executed test processes), the file
 * named by TRECHTER_TEST_ENV is read and every KEY=VALUE line is exported with setenv(), so tests
 * can simply getenv("TRECHTER_TEST_DB"), getenv("TOKEN_GM0599"), ... Keys: TRECHTER_URL,
 * TRECHTER_PORT, TRECHTER_CACERT, TRECHTER_CLIENT_CERT, TRECHTER_CLIENT_KEY, TRECHTER_DB,
 * TRECHTER_TEST_DB (the same cluster's `postgres` database, for tests that create databases),
 * TRECHTER_PGDIR, TRECHTER_PGDATA, TRECHTER_PGPORT, TRECHTER_PGCLUSTER (scripts/pg-cluster),
 * TRECHTER_DAEMON_PID, TRECHTER_DAEMON_LOG, TRECHTER_DAEMON_CMD, TRECHTER_BIN,
 * TRECHTER_SECRET_FILE, TRECHTER_WORKDIR, TOKEN_RAPPORTEUR, TOKEN_ANALYST, TOKEN_GM0599,
 * TOKEN_GM0363, TOKEN_MULTI (GM0014+GM0034), TOKEN_EXPIRED, TOKEN_REVOKED. */
#ifndef TRECHTER_TEST_HARNESS_H
#define TRECHTER_TEST_HARNESS_H
#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

/* Reads the TRECHTER_TEST_ENV file and exports each KEY=VALUE (existing variables are replaced).
 * Called automatically; calling it again is harmless. Aborts with a message when
 * TRECHTER_TEST_ENV is set but unreadable. */
void itest_load_env(void);

/* The value of an environment key; aborts the test process with a clear message when it is
 * missing or empty. */
const char *itest_env(const char *key);

struct http_response {
    long status;   /* HTTP status, 0 when no response arrived */
    int curl_code; /* CURLcode of the transfer (0 = CURLE_OK) */
    char *body;    /* NUL-terminated (body_len excludes the NUL); never NULL */
    size_t body_len;
    json_t *json;       /* parsed when the body is JSON, else NULL */
    char *headers;      /* the raw header block of the final response; never NULL */
    char *header_value; /* owned storage for http_header()'s last answer */
};

/* One request to TRECHTER_URL + path over HTTPS (HTTP/1.1, verified against TRECHTER_CACERT).
 * Any method (CURLOPT_CUSTOMREQUEST); token adds `Authorization: Bearer <token>`; content_type
 * and body are optional; extra_headers is a NULL-terminated list of "Name: value" lines (or NULL).
 * Never returns NULL; a transport failure gives status 0 and curl_code set. */
struct http_response *http_do(const char *method, const char *path, const char *token,
                              const char *content_type, const char *body, size_t body_len,
                              const char *const *extra_headers);

/* Shorthand for a GET without body. */
struct http_response *http_get(const char *path, const char *token);

/* The value of the final response's header `name` (case-insensitive), trimmed; NULL when absent.
 * The string belongs to the response and stays valid until the next http_header() call on it or
 * http_response_free(). */
const char *http_header(struct http_response *resp, const char *name);

/* True when Content-Type is application/problem+json and the body is a problem object whose
 * `status` equals the HTTP status and that has string `type`, `title` and `detail`. */
int http_is_problem(const struct http_response *resp);

void http_response_free(struct http_response *resp);

/* The full URL for a path (malloc'd). */
char *itest_url(const char *path);

/* The fixture's daemon (fault tests only): its pid, and a restart exactly as env-up started it —
 * the new pid is written back to the env file so later tests and env-down find it. Waits up to
 * 30 s for /healthz; returns the new pid, or 0. */
/* Small tools the tests share: a monotonic clock in seconds; a free loopback TCP port; a shell
 * command (its exit status; failures are reported on stderr); a whole file as a string ("" when
 * it cannot be read; the caller frees); how often needle occurs in a file. */
double itest_now_s(void);
int itest_free_port(void);
int itest_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *itest_slurp(const char *path);
int itest_count_in_file(const char *path, const char *needle);

/* JSON and response checks: a member's string (NULL when absent or not a string), a member that
 * must be an integer, and a strong ETag that must name `revision`. */
const char *itest_str_of(json_t *obj, const char *key);
long long itest_int_of(json_t *obj, const char *key);
void itest_expect_etag(struct http_response *r, int revision, const char *what);

/* The row of region `region` (its region.code) in an answer's "rows" (borrowed), or NULL. */
json_t *itest_row_of(json_t *body, const char *region);

/* Makes a release of `period` as the rapporteur (POST /v1/releases, provisional) and copies its
 * id into id[0..idlen) (id may be NULL). Protected readers read releases by default (design §8):
 * a test that checks what they see makes one after its writes. Asserts 201. */
void itest_make_release(const char *period, char *id, size_t idlen);

/* A daemon of the test's own on the database `conninfo` (one worker, the fixture's certificate
 * and protection secret, its log WORKDIR/NAME.log): started on a free port, TRECHTER_URL pointed
 * at it, waited for until /healthz answers (a few ports are tried). Returns its pid; stop it with
 * itest_own_daemon_stop (SIGTERM, then SIGKILL after 10 s). */
pid_t itest_own_daemon_start(const char *conninfo, const char *name);
void itest_own_daemon_stop(pid_t pid);

/* Runs $TRECHTER_BIN with args (NULL-terminated, the program's name left out). Its stdout lands
 * in out and its stderr in errout (either may be NULL; errout == out puts both in out, in the
 * order written). Returns the exit status, or -1 when it did not exit. */
int itest_run_bin(char *out, size_t outlen, char *errout, size_t errlen, const char *const *args);

pid_t itest_daemon_pid(void);
pid_t itest_daemon_restart(void);

/* A raw TLS connection (OpenSSL, verified against TRECHTER_CACERT), for framing libcurl will not
 * produce. itest_tls_open connects to 127.0.0.1:port (0: TRECHTER_PORT) and finishes the handshake
 * or fails the test; SIGPIPE is ignored from then on, so a write to a closed connection fails
 * instead of killing the test. */
struct itest_tls {
    int fd;
    struct ssl_ctx_st *ctx;
    struct ssl_st *ssl;
};
void itest_tls_open(struct itest_tls *t, int port);
/* Writes all of data; returns 0, or -1 when the connection broke first (ECONNRESET, EPIPE, ...). */
int itest_tls_send(struct itest_tls *t, const void *data, size_t len);
/* Reads one response (head, and a body of Content-Length) into out (NUL-terminated, at most
 * cap-1 bytes) within `limit` seconds; returns its status, 0 when none arrived whole. */
int itest_tls_read_response(struct itest_tls *t, double limit, char *out, size_t cap);
/* Reads until the peer closes (EOF, alert or reset: returns 1) or `limit` seconds pass (returns 0),
 * appending what arrives to out (NUL-terminated, at most cap-1 bytes); *elapsed gets the time. */
int itest_tls_read_until_closed(struct itest_tls *t, double limit, char *out, size_t cap,
                                double *elapsed);
void itest_tls_close(struct itest_tls *t);

#endif
