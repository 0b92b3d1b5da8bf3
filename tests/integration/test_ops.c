/* Operations checks that change nothing (issue 7; fixture "main"): the config documentation names
 * every key, the admin commands the systemd units run work, and the request log is the one line per
 * request that docs/operations.md promises, without secrets. The destructive ones (signals,
 * restarts, the fake NOTIFY_SOCKET, backup and restore) are in test_ops_faults.c. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/config.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert(f != NULL, "cannot read %s", path);
    char *buf = NULL;
    size_t cap = 0;
    cr_assert(getdelim(&buf, &cap, '\0', f) >= 0);
    fclose(f);
    return buf;
}

static char *source_file(const char *rel)
{
    const char *root = getenv("TRECHTER_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root && *root ? root : ".", rel);
    return slurp(path);
}

/* The output of a shell command (stdout), and its exit status in *rc. */
static char *capture(int *rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *capture(int *rc, const char *fmt, ...)
{
    char *cmd = NULL;
    va_list ap;
    va_start(ap, fmt);
    cr_assert(vasprintf(&cmd, fmt, ap) > 0);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    cr_assert(p != NULL);
    char *out = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&out, &len);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        fwrite(buf, 1, n, mem);
    fclose(mem);
    int st = pclose(p);
    *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    free(cmd);
    return out;
}

Test(ops, every_config_key_is_documented_and_the_unit_is_complete, .timeout = 30)
{
    char *man = source_file("man/trechterd.conf.5");
    char *example = source_file("systemd/trechterd.conf.example");
    for (size_t i = 0; i < config_key_count; i++) {
        const char *key = config_key_docs[i].name;
        /* groff escapes every '-' in a key name: "max\-body". */
        char esc[128] = ".BI ";
        size_t o = strlen(esc);
        for (const char *k = key; *k && o + 3 < sizeof esc; k++) {
            if (*k == '-')
                esc[o++] = '\\';
            esc[o++] = *k;
        }
        esc[o++] = ' ';
        esc[o] = '\0';
        cr_assert(strstr(man, esc) != NULL, "man/trechterd.conf.5 does not document '%s'", key);
        char line[160];
        snprintf(line, sizeof line, "\n%s = ", key);
        char commented[160];
        snprintf(commented, sizeof commented, "\n#%s = ", key);
        cr_assert(strstr(example, line) || strstr(example, commented),
                  "systemd/trechterd.conf.example lacks '%s'", key);
    }
    free(man);
    free(example);

    /* The unit carries what design §7 and issue 7 ask for (systemd-analyze itself runs in
     * tests/ops/verify-units). */
    char *unit = source_file("systemd/trechterd.service");
    static const char *const needles[] = {"Type=notify\n",
                                          "NotifyAccess=main\n",
                                          "WatchdogSec=",
                                          "ExecReload=/bin/kill -HUP $MAINPID",
                                          "Restart=on-failure\n",
                                          "ExecStartPre=/usr/sbin/trechterd migrate --config",
                                          "CapabilityBoundingSet=\n",
                                          "ProtectSystem=strict\n",
                                          "ProtectHome=yes\n",
                                          "PrivateTmp=yes\n",
                                          "PrivateDevices=yes\n",
                                          "NoNewPrivileges=yes\n",
                                          "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\n",
                                          "SystemCallFilter=@system-service\n",
                                          "SystemCallArchitectures=native\n",
                                          "MemoryDenyWriteExecute=yes\n",
                                          "LockPersonality=yes\n",
                                          "UMask=0077\n",
                                          "LoadCredential=sdc-secret:",
                                          "LoadCredential=pgpass:"};
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++)
        cr_assert(strstr(unit, needles[i]) != NULL, "trechterd.service lacks %s", needles[i]);
    free(unit);
}

Test(ops, migrate_and_audit_retention_take_the_config_file, .timeout = 60)
{
    char path[] = "/tmp/trechter-ops-conf-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# as ExecStartPre reads it\ndb = %s\naudit-retention-days = 3650\n",
            itest_env("TRECHTER_DB"));
    fclose(f);
    int rc;
    char *out = capture(&rc, "'%s' migrate --config '%s' 2>&1", itest_env("TRECHTER_BIN"), path);
    cr_assert_eq(rc, 0, "migrate --config: exit %d: %s", rc, out);
    cr_assert(strstr(out, "up to date") != NULL, "migrate --config: %s", out);
    free(out);
    out = capture(&rc, "'%s' audit-retention --config '%s' 2>&1", itest_env("TRECHTER_BIN"), path);
    cr_assert_eq(rc, 0, "audit-retention: exit %d: %s", rc, out);
    cr_assert(strstr(out, "older than 3650 days") != NULL, "audit-retention: %s", out);
    free(out);
    /* A bad file names the line, and nothing runs. */
    f = fopen(path, "w");
    fprintf(f, "db = %s\nmax-bdy = 1MiB\n", itest_env("TRECHTER_DB"));
    fclose(f);
    out = capture(&rc, "'%s' migrate --config '%s' 2>&1", itest_env("TRECHTER_BIN"), path);
    cr_assert_eq(rc, 1, "migrate with a bad config file: exit %d: %s", rc, out);
    cr_assert(strstr(out, ":2: unknown key 'max-bdy'") != NULL, "%s", out);
    free(out);
    unlink(path);
}

Test(ops, one_journald_line_per_request_without_the_token, .timeout = 60)
{
    const char *tok = itest_env("TOKEN_ANALYST");
    char id[64];
    snprintf(id, sizeof id, "ops-log-%d", (int)getpid());
    char hdr[96];
    snprintf(hdr, sizeof hdr, "X-Request-Id: %s", id);
    const char *const hdrs[] = {hdr, NULL};
    struct http_response *r = http_do("GET", "/v1/me", tok, NULL, NULL, 0, hdrs);
    cr_assert(r->status == 200 || r->status == 429, "GET /v1/me: %ld", r->status);
    long status = r->status;
    http_response_free(r);
    char *log = NULL;
    char *line = NULL;
    for (int i = 0; i < 50 && !line; i++) {
        free(log);
        log = slurp(itest_env("TRECHTER_DAEMON_LOG"));
        line = strstr(log, id);
        if (!line)
            usleep(100 * 1000);
    }
    cr_assert(line != NULL, "no log line with request id %s", id);
    char *start = line;
    while (start > log && start[-1] != '\n')
        start--;
    char *end = strchr(line, '\n');
    if (end)
        *end = '\0';
    cr_assert(strncmp(start, "<6>request ", 11) == 0, "not a <6> request line: %s", start);
    char want[32];
    snprintf(want, sizeof want, " status=%ld ", status);
    static const char *const fields[] = {" principal=", " method=GET ", " path=/v1/me ",
                                         " bytes=", " ms="};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        cr_assert(strstr(start, fields[i]) != NULL, "log line lacks '%s': %s", fields[i], start);
    cr_assert(strstr(start, want) != NULL, "log line lacks '%s': %s", want, start);
    if (end)
        *end = '\n';
    cr_assert(strstr(log, tok) == NULL, "the daemon's log holds a bearer token");
    free(log);
}
