/* Integration-test harness: see harness.h. */
#include "harness.h"
#include <jansson.h>
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <stdarg.h>
#include <stdbool.h>
#include <unistd.h>
#include <signal.h>

#include <ctype.h>
#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int env_loaded;

void itest_load_env(void)
{
    const char *path = getenv("TRECHTER_TEST_ENV");
    if (path == NULL || *path == '\0')
        return;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr,
                "itest: cannot read TRECHTER_TEST_ENV=%s: %s\n"
                "itest: the environment is started by tests/harness/env-up (a CTest fixture); "
                "run the tests through ctest, or run env-up by hand first\n",
                path, strerror(errno));
        abort();
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0 || line[0] == '#')
            continue;
        char *eq = strchr(line, '=');
        if (eq == NULL || eq == line)
            continue;
        *eq = '\0';
        setenv(line, eq + 1, 1);
    }
    free(line);
    fclose(f);
    env_loaded = 1;
}

__attribute__((constructor)) static void itest_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    itest_load_env();
}

const char *itest_env(const char *key)
{
    const char *v = getenv(key);
    if (v == NULL || *v == '\0') {
        fprintf(stderr,
                "itest: environment key %s is missing or empty (TRECHTER_TEST_ENV=%s%s); "
                "see the output of tests/harness/env-up\n",
                key, getenv("TRECHTER_TEST_ENV") ? getenv("TRECHTER_TEST_ENV") : "(unset)",
                env_loaded ? "" : ", not loaded");
        abort();
    }
    return v;
}

char *itest_url(const char *path)
{
    const char *base = itest_env("TRECHTER_URL");
    size_t len = strlen(base) + strlen(path) + 1;
    char *url = malloc(len);
    if (url == NULL)
        abort();
    snprintf(url, len, "%s%s", base, path);
    return url;
}

struct buf {
    char *data;
    size_t len;
};

static void buf_add(struct buf *b, const char *p, size_t n)
{
    char *d = realloc(b->data, b->len + n + 1);
    if (d == NULL)
        abort();
    memcpy(d + b->len, p, n);
    b->len += n;
    d[b->len] = '\0';
    b->data = d;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    buf_add(ud, p, size * nmemb);
    return size * nmemb;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    struct buf *b = ud;
    size_t n = size * nmemb;
    /* A new status line starts a new header block (100 Continue, redirects): keep the last. */
    if (n >= 5 && strncmp(p, "HTTP/", 5) == 0)
        b->len = 0;
    buf_add(b, p, n);
    return n;
}

/* Finds header `name` in a raw block; returns a malloc'd trimmed value or NULL. */
static char *find_header(const char *block, const char *name)
{
    if (block == NULL)
        return NULL;
    size_t nlen = strlen(name);
    const char *line = block;
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t llen = end ? (size_t)(end - line) : strlen(line);
        if (llen > nlen && strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
            const char *v = line + nlen + 1;
            const char *ve = line + llen;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && isspace((unsigned char)ve[-1]))
                ve--;
            char *out = strndup(v, (size_t)(ve - v));
            if (out == NULL)
                abort();
            return out;
        }
        if (end == NULL)
            break;
        line = end + 1;
    }
    return NULL;
}

const char *http_header(struct http_response *resp, const char *name)
{
    free(resp->header_value);
    resp->header_value = find_header(resp->headers, name);
    return resp->header_value;
}

int http_is_problem(const struct http_response *resp)
{
    char *ct = find_header(resp->headers, "Content-Type");
    int ok = ct != NULL && strncasecmp(ct, "application/problem+json", 24) == 0;
    free(ct);
    if (!ok || resp->json == NULL || !json_is_object(resp->json))
        return 0;
    json_t *st = json_object_get(resp->json, "status");
    return json_is_integer(st) && json_integer_value(st) == resp->status &&
           json_is_string(json_object_get(resp->json, "type")) &&
           json_is_string(json_object_get(resp->json, "title")) &&
           json_is_string(json_object_get(resp->json, "detail"));
}

struct http_response *http_do(const char *method, const char *path, const char *token,
                              const char *content_type, const char *body, size_t body_len,
                              const char *const *extra_headers)
{
    struct http_response *resp = calloc(1, sizeof *resp);
    if (resp == NULL)
        abort();
    struct buf b = {0}, h = {0};
    buf_add(&b, "", 0);
    buf_add(&h, "", 0);

    CURL *c = curl_easy_init();
    if (c == NULL)
        abort();
    char *url = itest_url(path);
    struct curl_slist *hl = NULL;
    char line[4096];
    if (token != NULL) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", token);
        hl = curl_slist_append(hl, line);
    }
    if (content_type != NULL) {
        snprintf(line, sizeof line, "Content-Type: %s", content_type);
        hl = curl_slist_append(hl, line);
    }
    for (size_t i = 0; extra_headers != NULL && extra_headers[i] != NULL; i++)
        hl = curl_slist_append(hl, extra_headers[i]);

    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, itest_env("TRECHTER_CACERT"));
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 25L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    if (hl != NULL)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);

    CURLcode rc = curl_easy_perform(c);
    resp->curl_code = (int)rc;
    if (rc != CURLE_OK)
        fprintf(stderr, "itest: %s %s: %s\n", method, url, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    resp->body = b.data;
    resp->body_len = b.len;
    resp->headers = h.data;
    if (resp->body_len > 0) {
        json_error_t err;
        resp->json = json_loadb(resp->body, resp->body_len, JSON_REJECT_DUPLICATES, &err);
    }
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    free(url);
    return resp;
}

struct http_response *http_get(const char *path, const char *token)
{
    return http_do("GET", path, token, NULL, NULL, 0, NULL);
}

void http_response_free(struct http_response *resp)
{
    if (resp == NULL)
        return;
    free(resp->body);
    free(resp->headers);
    free(resp->header_value);
    json_decref(resp->json);
    free(resp);
}

pid_t itest_daemon_pid(void)
{
    return (pid_t)atol(itest_env("TRECHTER_DAEMON_PID"));
}

static void record_daemon_pid(pid_t pid)
{
    const char *file = itest_env("TRECHTER_TEST_ENV");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "sed -i 's/^TRECHTER_DAEMON_PID=.*/TRECHTER_DAEMON_PID=%ld/' '%s'",
             (long)pid, file);
    if (system(cmd) != 0)
        fprintf(stderr, "itest: could not record the new daemon pid in %s\n", file);
    char v[32];
    snprintf(v, sizeof v, "%ld", (long)pid);
    setenv("TRECHTER_DAEMON_PID", v, 1);
}

pid_t itest_daemon_restart(void)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "bash -c 'setsid %s </dev/null >>\"$TRECHTER_DAEMON_LOG\" 2>&1 & echo $!'",
             itest_env("TRECHTER_DAEMON_CMD"));
    FILE *p = popen(cmd, "r");
    if (!p)
        return 0;
    long pid = 0;
    if (fscanf(p, "%ld", &pid) != 1)
        pid = 0;
    pclose(p);
    if (pid <= 0)
        return 0;
    record_daemon_pid((pid_t)pid);
    for (int i = 0; i < 300; i++) {
        if (kill((pid_t)pid, 0) != 0)
            return 0;
        struct http_response *r = http_get("/healthz", NULL);
        bool ok = r->status == 200;
        http_response_free(r);
        if (ok)
            return (pid_t)pid;
        usleep(100 * 1000);
    }
    return 0;
}

double itest_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *itest_slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return strdup("");
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&buf, &cap, '\0', f);
    fclose(f);
    if (n < 0) {
        free(buf);
        return strdup("");
    }
    return buf;
}

int itest_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
              getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
    int port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

int itest_run(const char *fmt, ...)
{
    char *cmd = NULL;
    va_list ap;
    va_start(ap, fmt);
    cr_assert(vasprintf(&cmd, fmt, ap) > 0);
    va_end(ap);
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "itest: command failed (%d): %s\n", rc, cmd);
    free(cmd);
    return rc;
}

int itest_count_in_file(const char *path, const char *needle)
{
    char *text = itest_slurp(path);
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    free(text);
    return n;
}

const char *itest_str_of(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

long long itest_int_of(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    cr_assert(json_is_integer(v), "\"%s\" is not an integer", key);
    return json_integer_value(v);
}

void itest_expect_etag(struct http_response *r, int revision, const char *what)
{
    char want[32];
    snprintf(want, sizeof want, "\"%d\"", revision);
    const char *etag = http_header(r, "ETag");
    cr_assert(etag != NULL && strcmp(etag, want) == 0, "%s: ETag %s, expected %s", what,
              etag ? etag : "(none)", want);
}

/* ---- raw TLS ------------------------------------------------------------------------------ */

void itest_tls_open(struct itest_tls *t, int port)
{
    signal(SIGPIPE, SIG_IGN);
    if (port == 0)
        port = atoi(itest_env("TRECHTER_PORT"));
    t->fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(t->fd >= 0);
    struct timeval tv = {10, 0};
    setsockopt(t->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(connect(t->fd, (struct sockaddr *)&sa, sizeof sa) == 0, "connect to port %d: %s",
              port, strerror(errno));
    t->ctx = SSL_CTX_new(TLS_client_method());
    cr_assert(t->ctx);
    cr_assert(SSL_CTX_load_verify_locations(t->ctx, itest_env("TRECHTER_CACERT"), NULL) == 1);
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
    t->ssl = SSL_new(t->ctx);
    SSL_set_fd(t->ssl, t->fd);
    SSL_set_tlsext_host_name(t->ssl, "localhost");
    tv = (struct timeval){10, 0};
    setsockopt(t->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int rc = SSL_connect(t->ssl);
    cr_assert(rc == 1, "TLS handshake failed (SSL error %d)", SSL_get_error(t->ssl, rc));
}

int itest_tls_send(struct itest_tls *t, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        int chunk = len > (1 << 20) ? 1 << 20 : (int)len;
        int n = SSL_write(t->ssl, p, chunk);
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* One SSL_read waiting at most until `deadline`: bytes read, 0 when nothing came in time, -1 when
 * the connection is over. */
static int tls_read_some(struct itest_tls *t, double deadline, char *buf, int cap)
{
    for (;;) {
        double left = deadline - itest_now_s();
        if (left <= 0)
            return 0;
        struct timeval tv = {(time_t)left, (suseconds_t)((left - (double)(time_t)left) * 1e6)};
        if (tv.tv_sec == 0 && tv.tv_usec < 1000)
            tv.tv_usec = 1000;
        setsockopt(t->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        errno = 0;
        int n = SSL_read(t->ssl, buf, cap);
        if (n > 0)
            return n;
        int e = SSL_get_error(t->ssl, n);
        if (e == SSL_ERROR_WANT_READ ||
            (e == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK))) {
            ERR_clear_error();
            continue;
        }
        return -1;
    }
}

int itest_tls_read_response(struct itest_tls *t, double limit, char *out, size_t cap)
{
    double deadline = itest_now_s() + limit;
    size_t len = 0;
    out[0] = '\0';
    for (;;) {
        char *end = strstr(out, "\r\n\r\n");
        if (end) {
            const char *cl = strcasestr(out, "\r\nContent-Length:");
            size_t want = (size_t)(end + 4 - out) + (cl && cl < end ? (size_t)atol(cl + 17) : 0);
            if (len >= want)
                break;
        }
        if (len + 1 >= cap)
            break;
        int n = tls_read_some(t, deadline, out + len, (int)(cap - 1 - len));
        if (n <= 0)
            return 0;
        len += (size_t)n;
        out[len] = '\0';
    }
    return strncmp(out, "HTTP/1.", 7) == 0 && len > 12 ? atoi(out + 9) : 0;
}

int itest_tls_read_until_closed(struct itest_tls *t, double limit, char *out, size_t cap,
                                double *elapsed)
{
    double start = itest_now_s(), deadline = start + limit;
    size_t len = strlen(out);
    for (;;) {
        char buf[4096];
        int n = tls_read_some(t, deadline, buf, sizeof buf);
        *elapsed = itest_now_s() - start;
        if (n < 0)
            return 1;
        if (n == 0)
            return 0;
        size_t k = (size_t)n < cap - 1 - len ? (size_t)n : cap - 1 - len;
        memcpy(out + len, buf, k);
        len += k;
        out[len] = '\0';
    }
}

void itest_tls_close(struct itest_tls *t)
{
    if (t->ssl)
        SSL_free(t->ssl);
    if (t->ctx)
        SSL_CTX_free(t->ctx);
    if (t->fd >= 0)
        close(t->fd);
    t->ssl = NULL;
    t->ctx = NULL;
    t->fd = -1;
}

void itest_make_release(const char *period, char *id, size_t idlen)
{
    char body[96];
    snprintf(body, sizeof body, "{\"period\":\"%s\",\"status\":\"provisional\"}", period);
    struct http_response *r = NULL;
    for (int attempt = 0; attempt < 30; attempt++) {
        r = http_do("POST", "/v1/releases", itest_env("TOKEN_RAPPORTEUR"), "application/json", body,
                    strlen(body), NULL);
        if (r->status != 429 && r->status != 503)
            break;
        http_response_free(r);
        r = NULL;
        usleep(300 * 1000);
    }
    cr_assert_not_null(r, "POST /v1/releases for %s never got through", period);
    cr_assert_eq(r->status, 201, "POST /v1/releases for %s: %ld %s", period, r->status, r->body);
    const char *got = itest_str_of(r->json, "id");
    cr_assert_not_null(got, "the release has no id: %s", r->body);
    if (id)
        snprintf(id, idlen, "%s", got);
    http_response_free(r);
}

pid_t itest_own_daemon_start(const char *conninfo, const char *name)
{
    char tls[512], cert[600], key[600];
    snprintf(tls, sizeof tls, "%s", itest_env("TRECHTER_CACERT"));
    char *slash = strrchr(tls, '/');
    cr_assert_not_null(slash);
    *slash = '\0';
    snprintf(cert, sizeof cert, "%s/server.pem", tls);
    snprintf(key, sizeof key, "%s/server-key.pem", tls);
    for (int attempt = 0; attempt < 5; attempt++) {
        int port = itest_free_port();
        char listen[32], url[64], logpath[600];
        snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
        snprintf(url, sizeof url, "https://127.0.0.1:%d", port);
        snprintf(logpath, sizeof logpath, "%s/%s.log", itest_env("TRECHTER_WORKDIR"), name);
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
            FILE *log = fopen(logpath, "a");
            if (log) {
                dup2(fileno(log), STDOUT_FILENO);
                dup2(fileno(log), STDERR_FILENO);
            }
            setsid();
            execl(itest_env("TRECHTER_BIN"), itest_env("TRECHTER_BIN"), "serve", "--listen", listen,
                  "--tls-cert", cert, "--tls-key", key, "--db", conninfo, "--sdc-secret-file",
                  itest_env("TRECHTER_SECRET_FILE"), "--workers", "1", (char *)NULL);
            _exit(127);
        }
        setenv("TRECHTER_URL", url, 1);
        for (int i = 0; i < 150; i++) {
            if (waitpid(pid, NULL, WNOHANG) == pid) {
                pid = 0; /* it died: the port was taken, most likely; another */
                break;
            }
            struct http_response *r = http_get("/healthz", NULL);
            long st = r->status;
            http_response_free(r);
            if (st == 200)
                return pid;
            usleep(200 * 1000);
        }
        if (pid > 0)
            itest_own_daemon_stop(pid);
    }
    cr_assert_fail("the test's own daemon (%s) did not start", name);
    return 0;
}

void itest_own_daemon_stop(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        usleep(100 * 1000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

json_t *itest_row_of(json_t *body, const char *region)
{
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(body, "rows"), i, row)
    {
        const char *c = json_string_value(json_object_get(json_object_get(row, "region"), "code"));
        if (c && strcmp(c, region) == 0)
            return row;
    }
    return NULL;
}

int itest_run_bin(char *out, size_t outlen, char *errout, size_t errlen, const char *const *args)
{
    char *argv[40];
    int argc = 0;
    argv[argc++] = (char *)itest_env("TRECHTER_BIN");
    for (; *args && argc < 39; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    bool merged = errout == out;
    FILE *o = tmpfile(), *e = merged ? NULL : tmpfile();
    cr_assert(o && (merged || e), "tmpfile failed");
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        dup2(fileno(o), STDOUT_FILENO);
        dup2(fileno(merged ? o : e), STDERR_FILENO);
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    char *bufs[2] = {out, merged ? NULL : errout};
    size_t lens[2] = {outlen, errlen};
    FILE *files[2] = {o, e};
    for (int i = 0; i < 2; i++) {
        if (!files[i])
            continue;
        if (bufs[i] && lens[i] > 0) {
            rewind(files[i]);
            size_t n = fread(bufs[i], 1, lens[i] - 1, files[i]);
            bufs[i][n] = '\0';
        }
        fclose(files[i]);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
