/* Operations fault tests (issue 7; CTest fixture "faults", Criterion --jobs 1): signals, systemd's
 * notification protocol, /metrics, and the backup-and-restore round trip.
 *
 * Every test starts its OWN daemon instance (a child of the test process, on free ports, with its
 * own copy of the TLS files, against the fixture's database) and stops it before it ends, so the
 * fixture's daemon that test_faults.c relies on is never signalled, and exit statuses can be read
 * with waitpid(). Writes use municipality GM0344 (not used by test_faults.c). */
#include "harness.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CODE "GM0344"

/* ---- helpers --------------------------------------------------------------------------------- */

/* ---- a daemon instance of our own ------------------------------------------------------------ */

struct instance {
    pid_t pid;
    int port, metrics_port;
    char dir[128]; /* its TLS files, notify socket and log */
    char log[192];
    char config[192]; /* its config file (the reloadable settings) */
    char url[64];
    char metrics_url[64];
    int notify_fd;   /* bound datagram socket, -1 when not used */
    int exit_status; /* from waitpid, -1 while running */
};

static struct instance inst = {.pid = 0, .notify_fd = -1, .exit_status = -1};

static void write_config(const char *text)
{
    FILE *f = fopen(inst.config, "w");
    cr_assert(f != NULL, "cannot write %s", inst.config);
    fputs(text, f);
    fclose(f);
}

/* Starts `trechterd serve` as a child with its own TLS copies, metrics listener, and, when
 * `notify` is set, NOTIFY_SOCKET and WATCHDOG_USEC (2 s) pointing at a socket this test binds.
 * db is the conninfo (NULL: the fixture's database). Waits for /healthz. */
static void instance_start(bool notify, const char *db)
{
    memset(&inst, 0, sizeof inst);
    inst.notify_fd = -1;
    inst.exit_status = -1;
    snprintf(inst.dir, sizeof inst.dir, "/tmp/trechter-ops-XXXXXX");
    cr_assert(mkdtemp(inst.dir) != NULL);
    const char *tls = itest_env("TRECHTER_WORKDIR");
    cr_assert(
        itest_run("cp '%s/tls/server.pem' '%s/tls/server-key.pem' '%s/'", tls, tls, inst.dir) == 0);
    snprintf(inst.log, sizeof inst.log, "%s/daemon.log", inst.dir);
    snprintf(inst.config, sizeof inst.config, "%s/trechterd.conf", inst.dir);
    inst.port = itest_free_port();
    do
        inst.metrics_port = itest_free_port();
    while (inst.metrics_port == inst.port);
    snprintf(inst.url, sizeof inst.url, "https://127.0.0.1:%d", inst.port);
    snprintf(inst.metrics_url, sizeof inst.metrics_url, "http://127.0.0.1:%d/metrics",
             inst.metrics_port);

    char notify_path[sizeof inst.dir + 8] = "";
    if (notify) {
        snprintf(notify_path, sizeof notify_path, "%s/notify", inst.dir);
        cr_assert(strlen(notify_path) < sizeof((struct sockaddr_un *)0)->sun_path);
        inst.notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        memcpy(sa.sun_path, notify_path, strlen(notify_path) + 1);
        cr_assert(inst.notify_fd >= 0 &&
                      bind(inst.notify_fd, (struct sockaddr *)&sa, sizeof sa) == 0,
                  "cannot bind the fake NOTIFY_SOCKET %s: %s", notify_path, strerror(errno));
    }

    char listen[32], metrics[32], cert[160], key[160];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", inst.port);
    snprintf(metrics, sizeof metrics, "127.0.0.1:%d", inst.metrics_port);
    snprintf(cert, sizeof cert, "%s/server.pem", inst.dir);
    snprintf(key, sizeof key, "%s/server-key.pem", inst.dir);
    const char *bin = itest_env("TRECHTER_BIN");
    const char *argv[] = {bin,
                          "serve",
                          "--listen",
                          listen,
                          "--metrics-listen",
                          metrics,
                          "--tls-cert",
                          cert,
                          "--tls-key",
                          key,
                          "--db",
                          db ? db : itest_env("TRECHTER_DB"),
                          "--sdc-secret-file",
                          itest_env("TRECHTER_SECRET_FILE"),
                          "--workers",
                          "2",
                          "--shutdown-timeout",
                          "10s",
                          "--config",
                          inst.config,
                          NULL};
    /* Reloadable settings come from a file, so a test can change them and send SIGHUP. */
    write_config("rate-limit = 100000\nrate-burst = 100000\n"
                 "address-rate-limit = 100000\naddress-burst = 100000\n");
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        int fd = open(inst.log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (notify) {
            setenv("NOTIFY_SOCKET", notify_path, 1);
            setenv("WATCHDOG_USEC", "2000000", 1);
        } else {
            unsetenv("NOTIFY_SOCKET");
            unsetenv("WATCHDOG_USEC");
        }
        unsetenv("WATCHDOG_PID");
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    inst.pid = pid;
    setenv("TRECHTER_URL", inst.url, 1);
    double start = itest_now_s();
    for (;;) {
        struct http_response *r = http_get("/healthz", NULL);
        long status = r->status;
        http_response_free(r);
        if (status == 200)
            break;
        int st;
        if (waitpid(inst.pid, &st, WNOHANG) == inst.pid) {
            inst.pid = 0;
            char *log = itest_slurp(inst.log);
            cr_assert_fail("the test's daemon exited at start; log:\n%s", log);
        }
        cr_assert(itest_now_s() - start < 30, "the test's daemon did not answer /healthz in 30 s");
        usleep(100 * 1000);
    }
}

/* Waits up to `limit` seconds for the child to exit; returns its wait status or -1. */
static int instance_wait(double limit)
{
    double start = itest_now_s();
    while (inst.pid > 0) {
        int st;
        if (waitpid(inst.pid, &st, WNOHANG) == inst.pid) {
            inst.pid = 0;
            inst.exit_status = st;
            return st;
        }
        if (itest_now_s() - start > limit)
            return -1;
        usleep(50 * 1000);
    }
    return inst.exit_status;
}

/* .fini of every test: the instance is gone and its files removed, whatever happened. */
static void instance_cleanup(void)
{
    if (inst.pid > 0) {
        kill(inst.pid, SIGTERM);
        if (instance_wait(15) == -1 && inst.pid > 0) {
            kill(inst.pid, SIGKILL);
            waitpid(inst.pid, NULL, 0);
        }
        inst.pid = 0;
    }
    if (inst.notify_fd >= 0)
        close(inst.notify_fd);
    inst.notify_fd = -1;
    if (inst.dir[0]) {
        /* A sanitizer report in the child's log fails the run like env-down does for the fixture.
         */
        if (itest_count_in_file(inst.log, "ERROR: AddressSanitizer") ||
            itest_count_in_file(inst.log, "ERROR: LeakSanitizer") ||
            itest_count_in_file(inst.log, "runtime error:")) {
            char *log = itest_slurp(inst.log);
            fprintf(stderr, "test_ops_faults: sanitizer report in the test daemon's log:\n%s\n",
                    log);
            free(log);
        }
        itest_run("rm -rf '%s'", inst.dir);
        inst.dir[0] = '\0';
    }
}

/* Reads notifications until one holds the line `want` (e.g. "READY=1") or `limit` seconds pass. */
static bool expect_notify(const char *want, double limit)
{
    double start = itest_now_s();
    size_t wl = strlen(want);
    while (itest_now_s() - start < limit) {
        struct pollfd p = {.fd = inst.notify_fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        char buf[4096];
        ssize_t n = recv(inst.notify_fd, buf, sizeof buf - 1, 0);
        if (n <= 0)
            continue;
        buf[n] = '\0';
        for (char *line = buf; line && *line;) {
            char *nl = strchr(line, '\n');
            size_t ll = nl ? (size_t)(nl - line) : strlen(line);
            if (ll == wl && memcmp(line, want, wl) == 0)
                return true;
            line = nl ? nl + 1 : NULL;
        }
    }
    return false;
}

/* Drops notifications already queued. */
static void drain_notify(void)
{
    char buf[4096];
    while (recv(inst.notify_fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
        ;
}

/* ---- TLS helpers ----------------------------------------------------------------------------- */

struct tls_conn {
    CURL *curl;
    char serial[128]; /* of the certificate seen on the last transfer, normalised */
    long status;
    long new_connections;
};

static size_t discard(char *p, size_t s, size_t n, void *ud)
{
    return s * n;
}

/* Normalises a serial ("1E:E7:...", "0x1ee7", "1ee7") to lower-case hex without separators or
 * leading zeros. */
static void norm_serial(const char *in, char *out, size_t outlen)
{
    size_t o = 0;
    if (strncmp(in, "0x", 2) == 0 || strncmp(in, "0X", 2) == 0)
        in += 2;
    for (; *in && o + 1 < outlen; in++) {
        char c = *in;
        if (c == ':' || c == ' ')
            continue;
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        if (o == 0 && c == '0')
            continue;
        out[o++] = c;
    }
    out[o] = '\0';
}

/* GET /healthz on c's handle (which keeps its connection alive between calls). */
static void tls_get(struct tls_conn *c)
{
    if (!c->curl) {
        c->curl = curl_easy_init();
        curl_easy_setopt(c->curl, CURLOPT_CAINFO, itest_env("TRECHTER_CACERT"));
        curl_easy_setopt(c->curl, CURLOPT_CERTINFO, 1L);
        curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 10L);
    }
    char url[96];
    snprintf(url, sizeof url, "%s/healthz", inst.url);
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    c->status = 0;
    CURLcode rc = curl_easy_perform(c->curl);
    if (rc != CURLE_OK)
        return;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &c->status);
    curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, &c->new_connections);
    struct curl_certinfo *ci = NULL;
    if (c->new_connections && curl_easy_getinfo(c->curl, CURLINFO_CERTINFO, &ci) == CURLE_OK &&
        ci && ci->num_of_certs) {
        for (struct curl_slist *s = ci->certinfo[0]; s; s = s->next)
            if (strncmp(s->data, "Serial Number:", 14) == 0)
                norm_serial(s->data + 14, c->serial, sizeof c->serial);
    }
}

static void tls_close(struct tls_conn *c)
{
    if (c->curl)
        curl_easy_cleanup(c->curl);
    c->curl = NULL;
}

/* Makes a new server certificate for localhost/127.0.0.1 signed by the fixture's development CA,
 * with serial `serial_hex`, at DIR/new.pem and DIR/new-key.pem. */
static void make_certificate(const char *serial_hex)
{
    const char *tls = itest_env("TRECHTER_WORKDIR");
    cr_assert(
        itest_run(
            "printf '%%s\\n' 'basicConstraints=critical,CA:FALSE' "
            "'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' "
            "'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1' >'%s/new.ext' && "
            "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
            "-out '%s/new-key.pem' 2>/dev/null && "
            "openssl req -new -key '%s/new-key.pem' -subj '/O=trechter ops test/CN=localhost' "
            "-out '%s/new.csr' 2>/dev/null && "
            "openssl x509 -req -in '%s/new.csr' -CA '%s/tls/ca.pem' -CAkey '%s/tls/ca-key.pem' "
            "-set_serial 0x%s -sha256 -days 30 -extfile '%s/new.ext' -out '%s/new.pem' "
            "2>/dev/null",
            inst.dir, inst.dir, inst.dir, inst.dir, inst.dir, tls, tls, serial_hex, inst.dir,
            inst.dir) == 0,
        "could not make a certificate with openssl");
}

static void wait_log(const char *needle, int before, double limit)
{
    double start = itest_now_s();
    while (itest_count_in_file(inst.log, needle) <= before) {
        if (itest_now_s() - start > limit) {
            char *log = itest_slurp(inst.log);
            cr_assert_fail("no '%s' in the daemon's log within %.0f s; log:\n%s", needle, limit,
                           log);
        }
        usleep(50 * 1000);
    }
}

/* ---- metrics helpers ------------------------------------------------------------------------- */

/* The value of the sample whose text before the value is exactly `series`, or -1. */
static double metric(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *line = text; line && *line;) {
        if (strncmp(line, series, n) == 0 && line[n] == ' ')
            return strtod(line + n + 1, NULL);
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return -1;
}

static char *scrape(char *content_type, size_t ctlen)
{
    FILE *mem;
    char *buf = NULL;
    size_t len = 0;
    mem = open_memstream(&buf, &len);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, inst.metrics_url);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    char *ct = NULL;
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    if (content_type)
        snprintf(content_type, ctlen, "%s", ct ? ct : "");
    curl_easy_cleanup(c);
    fclose(mem);
    cr_assert(rc == CURLE_OK && status == 200, "GET %s: curl %d, HTTP %ld", inst.metrics_url, rc,
              status);
    return buf;
}

static long put_funnel(const char *period, int total)
{
    char path[96], body[96];
    snprintf(path, sizeof path, "/v1/municipalities/%s/funnels/%s", CODE, period);
    snprintf(body, sizeof body, "{\"stages\": {\"reported\": {\"total\": %d}}}", total);
    struct http_response *r = http_do("PUT", path, itest_env("TOKEN_RAPPORTEUR"),
                                      "application/json", body, strlen(body), NULL);
    long status = r->status;
    if (status != 200 && status != 201)
        fprintf(stderr, "PUT %s: %ld %s\n", path, status, r->body);
    http_response_free(r);
    return status;
}

/* ---- tests ----------------------------------------------------------------------------------- */

Test(ops_faults, notify_socket_ready_watchdog_reloading_stopping, .timeout = 60,
     .fini = instance_cleanup)
{
    instance_start(true, NULL);
    cr_assert(expect_notify("READY=1", 5), "no READY=1 on NOTIFY_SOCKET");
    /* WATCHDOG_USEC=2 s: a ping at least every second while both workers answer. */
    cr_assert(expect_notify("WATCHDOG=1", 3), "no WATCHDOG=1 within 3 s (WATCHDOG_USEC=2000000)");
    cr_assert(expect_notify("WATCHDOG=1", 3), "WATCHDOG=1 came only once");

    drain_notify();
    kill(inst.pid, SIGHUP);
    cr_assert(expect_notify("RELOADING=1", 5), "no RELOADING=1 after SIGHUP");
    cr_assert(expect_notify("READY=1", 5), "no READY=1 after the reload");

    kill(inst.pid, SIGTERM);
    cr_assert(expect_notify("STOPPING=1", 5), "no STOPPING=1 after SIGTERM");
    int st = instance_wait(15);
    cr_assert(st != -1, "the daemon did not exit within 15 s of SIGTERM");
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status %d after SIGTERM, not 0", st);
}

Test(ops_faults, sighup_new_certificate_kept_alive_connection_survives, .timeout = 60,
     .fini = instance_cleanup)
{
    instance_start(false, NULL);
    struct tls_conn kept = {0}, fresh = {0};
    tls_get(&kept);
    cr_assert_eq(kept.status, 200, "first request on the kept-alive connection");
    cr_assert(kept.serial[0], "no certificate serial seen (CURLOPT_CERTINFO)");
    char old_serial[128];
    snprintf(old_serial, sizeof old_serial, "%s", kept.serial);

    char serial[32], want[32];
    snprintf(serial, sizeof serial, "7e57%08lx",
             (unsigned long)getpid() ^ (unsigned long)time(NULL));
    norm_serial(serial, want, sizeof want);
    make_certificate(serial);
    /* Replace the files the daemon reads (rename: never a half-written file). */
    cr_assert(itest_run("cd '%s' && mv new-key.pem server-key.pem && mv new.pem server.pem",
                        inst.dir) == 0);
    int before = itest_count_in_file(inst.log, "reloaded TLS certificate");
    kill(inst.pid, SIGHUP);
    wait_log("reloaded TLS certificate", before, 10);

    tls_get(&fresh);
    cr_assert_eq(fresh.status, 200, "a new connection after the reload");
    cr_assert_str_eq(fresh.serial, want, "a new connection sees serial %s, not the new %s (old %s)",
                     fresh.serial, want, old_serial);

    tls_get(&kept);
    cr_assert_eq(kept.status, 200, "the connection opened before the reload stopped working");
    cr_assert_eq(kept.new_connections, 0,
                 "the kept-alive connection was dropped by the reload (curl had to reconnect)");
    tls_close(&kept);
    tls_close(&fresh);
}

Test(ops_faults, sighup_broken_certificate_keeps_the_old_one, .timeout = 60,
     .fini = instance_cleanup)
{
    instance_start(false, NULL);
    struct tls_conn before_conn = {0}, after_conn = {0};
    tls_get(&before_conn);
    cr_assert_eq(before_conn.status, 200);
    tls_close(&before_conn);

    cr_assert(itest_run("printf 'not a certificate\\n' >'%s/server.pem'", inst.dir) == 0);
    int before = itest_count_in_file(inst.log, "keeping the current certificate");
    kill(inst.pid, SIGHUP);
    wait_log("keeping the current certificate", before, 10);
    char *log = itest_slurp(inst.log);
    cr_assert(strstr(log, "server.pem") != NULL, "the log does not say which file was wrong:\n%s",
              log);
    free(log);

    tls_get(&after_conn);
    cr_assert_eq(after_conn.status, 200, "new connections fail after a broken reload");
    cr_assert_str_eq(after_conn.serial, before_conn.serial,
                     "the certificate changed although the new one was broken");
    tls_close(&after_conn);
    cr_assert_eq(instance_wait(0), -1, "the daemon died on a broken certificate");
}

struct slow_put {
    const char *period;
    long status;
    char connection[32];
};

static void *slow_put_thread(void *arg)
{
    struct slow_put *p = arg;
    char path[96];
    static const char body[] = "{\"stages\": {\"reported\": {\"total\": 23}}}";
    snprintf(path, sizeof path, "/v1/municipalities/%s/funnels/%s", CODE, p->period);
    struct http_response *r = http_do("PUT", path, itest_env("TOKEN_RAPPORTEUR"),
                                      "application/json", body, strlen(body), NULL);
    p->status = r->status;
    const char *conn = http_header(r, "Connection");
    snprintf(p->connection, sizeof p->connection, "%s", conn ? conn : "");
    http_response_free(r);
    return NULL;
}

Test(ops_faults, sigterm_finishes_a_slow_request_and_exits_0, .timeout = 90,
     .fini = instance_cleanup)
{
    instance_start(true, NULL);
    cr_assert(expect_notify("READY=1", 5));
    static const char period[] = "2023-Q1";
    long st0 = put_funnel(period, 22);
    cr_assert(st0 == 200 || st0 == 201, "setup PUT: %ld", st0);

    /* Hold the submission's row lock, so the next PUT of it waits inside PostgreSQL. */
    PGconn *lock = PQconnectdb(itest_env("TRECHTER_DB"));
    cr_assert(PQstatus(lock) == CONNECTION_OK, "%s", PQerrorMessage(lock));
    PQclear(PQexec(lock, "BEGIN"));
    PGresult *res = PQexec(lock, "SELECT id FROM submissions WHERE municipality_code = '" CODE
                                 "' AND kind = 'funnel' AND period = '2023-Q1' FOR UPDATE");
    cr_assert(PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1, "lock: %s",
              PQerrorMessage(lock));
    PQclear(res);

    struct slow_put put = {.period = period};
    pthread_t t;
    cr_assert(pthread_create(&t, NULL, slow_put_thread, &put) == 0);
    /* Wait until the PUT is blocked on the lock. */
    PGconn *watch = PQconnectdb(itest_env("TRECHTER_DB"));
    double start = itest_now_s();
    bool waiting = false;
    while (!waiting && itest_now_s() - start < 10) {
        res = PQexec(watch, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                            " AND application_name = 'trechterd'");
        waiting = PQresultStatus(res) == PGRES_TUPLES_OK && atoi(PQgetvalue(res, 0, 0)) > 0;
        PQclear(res);
        if (!waiting)
            usleep(50 * 1000);
    }
    PQfinish(watch);
    cr_assert(waiting, "the PUT never waited on the row lock");

    drain_notify();
    kill(inst.pid, SIGTERM);
    cr_assert(expect_notify("STOPPING=1", 5), "no STOPPING=1 after SIGTERM");
    usleep(1000 * 1000);
    if (instance_wait(0) != -1) {
        char *text = itest_slurp(inst.log);
        cr_assert_fail("the daemon exited (status %d) with a request in flight; log:\n%s",
                       inst.exit_status, text);
    }
    PQclear(PQexec(lock, "COMMIT"));
    PQfinish(lock);

    pthread_join(t, NULL);
    if (put.status != 200 && put.status != 201) {
        char *text = itest_slurp(inst.log);
        cr_assert_fail("the request in flight at SIGTERM got %ld, not 2xx; log:\n%s", put.status,
                       text);
    }
    cr_assert_str_eq(put.connection, "close", "the answer during shutdown lacks Connection: close");
    int st = instance_wait(15);
    cr_assert(st != -1, "the daemon did not exit within 15 s");
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status %d, not 0", st);
    char *log = itest_slurp(inst.log);
    cr_assert(strstr(log, "stopped") != NULL, "no 'stopped' in the log:\n%s", log);
    free(log);
}

Test(ops_faults, metrics_counters_move, .timeout = 60, .fini = instance_cleanup)
{
    instance_start(false, NULL);
    char ct[128];
    char *m0 = scrape(ct, sizeof ct);
    cr_assert(strncmp(ct, "text/plain; version=0.0.4", 25) == 0, "Content-Type %s", ct);
    double h0 = metric(m0, "trechter_http_requests_total{route=\"healthz\",status=\"200\"}");
    double s0 = metric(m0, "trechter_submissions_written_total{kind=\"funnel\"}");
    cr_assert(s0 >= 0, "no trechter_submissions_written_total{kind=\"funnel\"}:\n%s", m0);
    cr_assert(metric(m0, "trechter_tls_certificate_days_left") > 0);
    cr_assert(metric(m0, "trechter_worker_heartbeat_age_seconds{worker=\"1\"}") >= 0);
    if (h0 < 0)
        h0 = 0; /* a series appears with its first sample */

    for (int i = 0; i < 3; i++) {
        struct http_response *r = http_get("/healthz", NULL);
        cr_assert_eq(r->status, 200);
        http_response_free(r);
    }
    long st = put_funnel("2023-Q2", 31 + (int)(time(NULL) % 50));
    cr_assert(st == 200 || st == 201);
    struct http_response *r = http_get("/v1/funnels?period=2023-Q2", itest_env("TOKEN_ANALYST"));
    cr_assert_eq(r->status, 200, "GET /v1/funnels: %ld %s", r->status, r->body);
    http_response_free(r);
    r = http_get("/v1/no-such-thing", NULL);
    http_response_free(r);

    usleep(1200 * 1000); /* gauges are copied by the workers' 1 s heartbeat */
    char *m1 = scrape(NULL, 0);
    double h1 = metric(m1, "trechter_http_requests_total{route=\"healthz\",status=\"200\"}");
    cr_assert(h1 >= h0 + 3, "healthz 200 went from %.0f to %.0f after 3 requests", h0, h1);
    double s1 = metric(m1, "trechter_submissions_written_total{kind=\"funnel\"}");
    cr_assert(s1 >= s0 + 1, "funnel writes went from %.0f to %.0f", s0, s1);
    cr_assert(metric(m1, "trechter_http_requests_total{route=\"none\",status=\"404\"}") >= 1);
    cr_assert(
        metric(m1, "trechter_aggregate_answers_total{route=\"funnels.list\",view=\"protected\"}") >=
        1);
    cr_assert(metric(m1, "trechter_http_request_duration_seconds_count{route=\"funnel.put\"}") >=
              1);
    cr_assert(
        metric(m1,
               "trechter_http_request_duration_seconds_bucket{route=\"funnel.put\",le=\"+Inf\"}") >=
        1);
    cr_assert(metric(m1, "trechter_db_pool_queries_total{pool=\"primary\"}") >= 1, "%s", m1);
    cr_assert(metric(m1, "trechter_db_pool_connections_open{pool=\"primary\"}") >= 1);
    cr_assert(metric(m1, "trechter_cache_misses_total") >= 1);
    free(m0);
    free(m1);
}

/* docs/operations.md "Backup and restore": pg_dump -> a new database -> a daemon on it serves the
 * same figures. */
Test(ops_faults, backup_restore_round_trip_serves_the_same_figures, .timeout = 120,
     .fini = instance_cleanup)
{
    instance_start(false, NULL);
    long st = put_funnel("2023-Q3", 40 + (int)(time(NULL) % 50));
    cr_assert(st == 200 || st == 201);
    static const char query[] = "/v1/funnels?period=2023-Q3";
    struct http_response *before = http_get(query, itest_env("TOKEN_RAPPORTEUR"));
    cr_assert_eq(before->status, 200, "%s: %ld %s", query, before->status, before->body);
    struct http_response *before_p = http_get(query, itest_env("TOKEN_ANALYST"));
    cr_assert_eq(before_p->status, 200);
    instance_cleanup();

    char dump[160], dbname[64], restored[512];
    instance_start(false, NULL); /* for its directory; the daemon is replaced below */
    snprintf(dump, sizeof dump, "%s/trechter.dump", inst.dir);
    snprintf(dbname, sizeof dbname, "trechter_restore_%d", (int)getpid());
    snprintf(restored, sizeof restored, "host=%s port=%s user=postgres dbname=%s",
             itest_env("TRECHTER_PGDIR"), itest_env("TRECHTER_PGPORT"), dbname);
    const char *db = itest_env("TRECHTER_DB");
    const char *admin = itest_env("TRECHTER_TEST_DB");
    cr_assert(itest_run("pg_dump --format=custom --file='%s' '%s'", dump, db) == 0,
              "pg_dump failed");
    itest_run("psql -X -q '%s' -c 'DROP DATABASE IF EXISTS %s' >/dev/null", admin, dbname);
    cr_assert(itest_run("psql -X -q -v ON_ERROR_STOP=1 '%s' -c 'CREATE DATABASE %s' >/dev/null",
                        admin, dbname) == 0);
    cr_assert(
        itest_run("pg_restore --exit-on-error --no-owner --dbname='%s' '%s'", restored, dump) == 0,
        "pg_restore failed");
    char dir_keep[128];
    snprintf(dir_keep, sizeof dir_keep, "%s", inst.dir);
    inst.dir[0] = '\0'; /* keep the dump's directory while the instance is swapped */
    instance_cleanup();
    instance_start(false, restored);

    struct http_response *after = http_get(query, itest_env("TOKEN_RAPPORTEUR"));
    struct http_response *after_p = http_get(query, itest_env("TOKEN_ANALYST"));
    cr_assert_eq(after->status, 200, "restored: %ld %s", after->status, after->body);
    cr_assert(before->json && after->json && json_equal(before->json, after->json),
              "raw figures differ after restore:\nbefore %s\nafter  %s", before->body, after->body);
    cr_assert(
        before_p->json && after_p->json && json_equal(before_p->json, after_p->json),
        "protected figures differ after restore (same secret, same keys):\nbefore %s\nafter  %s",
        before_p->body, after_p->body);
    http_response_free(before);
    http_response_free(after);
    http_response_free(before_p);
    http_response_free(after_p);
    instance_cleanup();
    itest_run("psql -X -q '%s' -c 'DROP DATABASE IF EXISTS %s' >/dev/null", admin, dbname);
    itest_run("rm -rf '%s'", dir_keep);
}

/* Two instances on one database (docs/scaling.md stage 2): a write through the fixture's daemon is
 * seen at once through a second instance whose response cache held the old answer (LISTEN/NOTIFY
 * invalidation). */
Test(ops_faults, two_instances_write_through_one_seen_through_the_other, .timeout = 60,
     .fini = instance_cleanup)
{
    char url_a[128];
    snprintf(url_a, sizeof url_a, "%s", itest_env("TRECHTER_URL"));
    instance_start(false, NULL);
    char url_b[64];
    snprintf(url_b, sizeof url_b, "%s", inst.url);
    static const char query[] = "/v1/funnels?period=2023-Q4";
    const char *tok = itest_env("TOKEN_RAPPORTEUR");

    /* Warm B's cache (the second read is a cache hit). */
    for (int i = 0; i < 2; i++) {
        struct http_response *r = http_get(query, tok);
        cr_assert_eq(r->status, 200, "B: %ld %s", r->status, r->body);
        http_response_free(r);
    }
    struct http_response *old_b = http_get(query, tok);

    setenv("TRECHTER_URL", url_a, 1);
    long st = put_funnel("2023-Q4", 50 + (int)(time(NULL) % 40) + (int)(getpid() % 7));
    cr_assert(st == 200 || st == 201, "PUT through A: %ld", st);
    struct http_response *fresh_a = http_get(query, tok);
    cr_assert_eq(fresh_a->status, 200);
    cr_assert(!json_equal(fresh_a->json, old_b->json),
              "the write did not change the aggregate (test data problem): %s", fresh_a->body);

    setenv("TRECHTER_URL", url_b, 1);
    double start = itest_now_s();
    bool same = false;
    struct http_response *new_b = NULL;
    while (!same && itest_now_s() - start < 2) {
        if (new_b)
            http_response_free(new_b);
        new_b = http_get(query, tok);
        same = new_b->status == 200 && json_equal(new_b->json, fresh_a->json);
        if (!same)
            usleep(20 * 1000);
    }
    cr_assert(same, "B still serves the old figures 2 s after a write through A:\nA %s\nB %s",
              fresh_a->body, new_b->body);
    cr_log_info("B served the new figures %.0f ms after A's 2xx", (itest_now_s() - start) * 1000);
    http_response_free(old_b);
    http_response_free(fresh_a);
    http_response_free(new_b);
}

Test(ops_faults, sighup_reloads_settings_without_dropping_connections, .timeout = 60,
     .fini = instance_cleanup)
{
    instance_start(false, NULL);
    const char *token = itest_env("TOKEN_ANALYST");
    struct tls_conn kept = {0};
    tls_get(&kept);
    cr_assert_eq(kept.status, 200);
    for (int i = 0; i < 5; i++) {
        struct http_response *r = http_get("/v1/me", token);
        cr_assert_eq(r->status, 200, "generous limits before the reload");
        http_response_free(r);
    }
    write_config("rate-limit = 1\nrate-burst = 2\n"
                 "address-rate-limit = 100000\naddress-burst = 100000\n");
    int before = itest_count_in_file(inst.log, "reloaded settings");
    kill(inst.pid, SIGHUP);
    wait_log("reloaded settings", before, 10);
    int limited = 0;
    for (int i = 0; i < 6; i++) {
        struct http_response *r = http_get("/v1/me", token);
        if (r->status == 429) {
            limited++;
            cr_assert(http_header(r, "Retry-After") != NULL, "429 without Retry-After");
        }
        http_response_free(r);
    }
    cr_assert(limited >= 3, "the reloaded rate limit (1/s, burst 2) did not apply: %d of 6 refused",
              limited);
    cr_assert_eq(instance_wait(0), -1, "the daemon stopped on SIGHUP");
    tls_close(&kept);

    /* A bad value keeps the settings in force and says why. */
    write_config("rate-limit = lots\n");
    before = itest_count_in_file(inst.log, "keeping the current settings");
    kill(inst.pid, SIGHUP);
    wait_log("keeping the current settings", before, 10);
    char *log = itest_slurp(inst.log);
    cr_assert(strstr(log, "trechterd.conf:1") != NULL, "the log does not name file and line:\n%s",
              log);
    free(log);
    cr_assert_eq(instance_wait(0), -1, "the daemon stopped on a bad reload");
}
