/* Fault test of the trechter client (CTest fixture "faults", Criterion --jobs 1): an import
 * started while the daemon is frozen (SIGSTOP for 2 s, then SIGCONT) is retried by the client
 * with the same Idempotency-Key and lands exactly once. The daemon is always resumed. */
#include "harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Runs after every test, even a failed one: the daemon must not stay frozen, nor gone. */
static void resume_daemon(void)
{
    pid_t pid = itest_daemon_pid();
    if (pid > 0 && kill(pid, SIGCONT) == 0)
        return;
    if (itest_daemon_restart() <= 0)
        fprintf(stderr, "client_faults: the fixture's daemon could not be started again\n");
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return strdup("");
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, n, m);
    fclose(m);
    fclose(f);
    return buf;
}

Test(client_faults, an_import_survives_a_frozen_daemon_and_lands_once, .timeout = 60,
     .fini = resume_daemon)
{
    char *bin = strdup(itest_env("TRECHTER_BIN"));
    char *client = NULL, *csv = NULL, *out = NULL, *err = NULL;
    const char *work = itest_env("TRECHTER_WORKDIR");
    cr_assert(asprintf(&client, "%s/trechter", dirname(bin)) > 0);
    cr_assert(access(client, X_OK) == 0, "no client binary at %s", client);
    cr_assert(asprintf(&csv, "%s/client-faults.csv", work) > 0);
    cr_assert(asprintf(&out, "%s/client-faults.out", work) > 0);
    cr_assert(asprintf(&err, "%s/client-faults.err", work) > 0);
    const char *data = "municipality,period,stage,dimension,category,count\n"
                       "GM0344,2019-Q4,reported,total,,11\n"
                       "GM0402,2019-Q4,reported,total,,7\n";
    FILE *f = fopen(csv, "w");
    cr_assert_not_null(f);
    fputs(data, f);
    fclose(f);

    /* the daemon is up before the fault */
    struct http_response *r = http_get("/healthz", NULL);
    cr_assert_eq(r->status, 200);
    http_response_free(r);

    cr_assert_eq(kill(itest_daemon_pid(), SIGSTOP), 0, "cannot stop the daemon: %s",
                 strerror(errno));
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fi = open("/dev/null", O_RDONLY);
        if (fo < 0 || fe < 0 || fi < 0)
            _exit(120);
        dup2(fi, 0);
        dup2(fo, 1);
        dup2(fe, 2);
        setenv("TRECHTER_TOKEN", itest_env("TOKEN_RAPPORTEUR"), 1);
        unsetenv("TRECHTER_TOKEN_FILE");
        /* short per-attempt limits, so that the frozen daemon costs attempts, not the test */
        execl(client, client, "import", csv, "--format", "json", "--connect-timeout", "1",
              "--max-time", "2", "--retries", "10", "--retry-max-time", "40", (char *)NULL);
        _exit(121);
    }
    sleep(2);
    cr_assert_eq(kill(itest_daemon_pid(), SIGCONT), 0);

    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    char *o = slurp(out), *e = slurp(err);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the import did not succeed after the freeze: status %d\nstdout: %s\nstderr: %s",
              status, o, e);
    cr_assert(strstr(e, "retrying") != NULL, "the client did not need to retry?\n%s", e);
    json_t *ans = json_loads(o, 0, NULL);
    cr_assert_not_null(ans, "%s", o);
    cr_assert_str_eq(json_string_value(json_object_get(ans, "status")), "imported", "%s", o);
    json_decref(ans);

    /* exactly once: one revision each */
    const char *paths[] = {"/v1/municipalities/GM0344/funnels/2019-Q4/revisions",
                           "/v1/municipalities/GM0402/funnels/2019-Q4/revisions"};
    for (size_t i = 0; i < 2; i++) {
        r = http_get(paths[i], itest_env("TOKEN_RAPPORTEUR"));
        cr_assert_eq(r->status, 200, "%s: %ld %s", paths[i], r->status, r->body);
        cr_assert_eq(json_array_size(json_object_get(r->json, "revisions")), 1,
                     "%s: imported more than once: %s", paths[i], r->body);
        http_response_free(r);
    }
    unlink(csv);
    unlink(out);
    unlink(err);
    free(o), free(e), free(bin), free(client), free(csv), free(out), free(err);
}

/* The daemon is killed while the import is on its way and started again: the client retries with
 * the same Idempotency-Key, and every funnel lands exactly once. */
Test(client_faults, an_import_interrupted_by_a_daemon_restart_lands_once, .timeout = 90,
     .fini = resume_daemon)
{
    char *bin = strdup(itest_env("TRECHTER_BIN"));
    char *client = NULL, *csv = NULL, *out = NULL, *err = NULL;
    const char *work = itest_env("TRECHTER_WORKDIR");
    cr_assert(asprintf(&client, "%s/trechter", dirname(bin)) > 0);
    cr_assert(asprintf(&csv, "%s/client-restart.csv", work) > 0);
    cr_assert(asprintf(&out, "%s/client-restart.out", work) > 0);
    cr_assert(asprintf(&err, "%s/client-restart.err", work) > 0);
    FILE *f = fopen(csv, "w");
    cr_assert_not_null(f);
    fputs("municipality,period,stage,dimension,category,count\n"
          "GM0344,2018-Q4,reported,total,,13\n"
          "GM0402,2018-Q4,reported,total,,5\n"
          "GM0518,2018-Q4,reported,total,,21\n",
          f);
    fclose(f);

    /* Frozen first, so the import is surely under way when the daemon dies. */
    pid_t old = itest_daemon_pid();
    cr_assert_eq(kill(old, SIGSTOP), 0, "cannot stop the daemon: %s", strerror(errno));
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fi = open("/dev/null", O_RDONLY);
        if (fo < 0 || fe < 0 || fi < 0)
            _exit(120);
        dup2(fi, 0);
        dup2(fo, 1);
        dup2(fe, 2);
        setenv("TRECHTER_TOKEN", itest_env("TOKEN_RAPPORTEUR"), 1);
        unsetenv("TRECHTER_TOKEN_FILE");
        execl(client, client, "import", csv, "--format", "json", "--connect-timeout", "1",
              "--max-time", "3", "--retries", "20", "--retry-max-time", "60", (char *)NULL);
        _exit(121);
    }
    sleep(1);
    cr_assert_eq(kill(old, SIGKILL), 0);
    while (kill(old, 0) == 0)
        usleep(50 * 1000);
    sleep(1);
    cr_assert_gt(itest_daemon_restart(), 0, "the daemon did not come back");

    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    char *o = slurp(out), *e = slurp(err);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the import did not succeed across the restart: status %d\nstdout: %s\nstderr: %s",
              status, o, e);
    cr_assert(strstr(e, "retrying") != NULL, "the client did not need to retry?\n%s", e);
    const char *codes[] = {"GM0344", "GM0402", "GM0518"};
    for (size_t i = 0; i < 3; i++) {
        char path[96];
        snprintf(path, sizeof path, "/v1/municipalities/%s/funnels/2018-Q4/revisions", codes[i]);
        struct http_response *r = http_get(path, itest_env("TOKEN_RAPPORTEUR"));
        cr_assert_eq(r->status, 200, "%s: %ld %s", path, r->status, r->body);
        cr_assert_eq(json_array_size(json_object_get(r->json, "revisions")), 1,
                     "%s: imported more than once: %s", path, r->body);
        http_response_free(r);
    }
    unlink(csv);
    unlink(out);
    unlink(err);
    free(o), free(e), free(bin), free(client), free(csv), free(out), free(err);
}
