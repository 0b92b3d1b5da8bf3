/* `trechterd rekey`: every funnel cell key recomputed in one transaction, in bounded batches. */
#include "daemon/rekey.h"

#include "core/cell_key.h"
#include "daemon/admin_db.h"
#include "daemon/admin_options.h"
#include "daemon/server.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REKEY_DEFAULT_BATCH 5000
#define REKEY_MAX_BATCH 100000

static const char rekey_help[] =
    "Usage: trechterd rekey --sdc-secret-file FILE --yes [--db CONNINFO] [--batch-size N]\n"
    "\n"
    "Recomputes the cell key of every stored funnel count (every revision, and the current\n"
    "cells that aggregation reads) with the secret in FILE, in one transaction: either every\n"
    "key changes or none does. FILE is read as the daemon reads --sdc-secret-file (one\n"
    "trailing LF or CRLF removed, at least 32 bytes).\n"
    "\n"
    "ONLY FOR A COMPROMISED SECRET. Every protected figure the API publishes changes. Anyone\n"
    "who kept figures published before can now average two independent perturbations of the\n"
    "same cells, which weakens the protection of every small count (design 5.6). Losing the\n"
    "secret is no reason to rekey either: restore it from the backup.\n"
    "\n"
    "Procedure: stop every trechterd (writes wait for the rekey, but a daemon still holding the\n"
    "old secret would store old keys after it), run this command, then start the daemons with\n"
    "--sdc-secret-file FILE. Running daemons are told through NOTIFY trechter_changes 'rekey'.\n"
    "\n"
    "  --sdc-secret-file FILE  the new secret\n"
    "  --yes                   confirm; without it the command refuses\n"
    "  --db CONNINFO           libpq connection string or URI (default: $TRECHTER_DB)\n"
    "  --batch-size N          cells per round trip (default 5000)\n"
    "\n"
    "Exit status: 0 rekeyed, 1 refused or failed (nothing changed), 2 bad usage.\n";

static const char refusal[] =
    "trechterd rekey: refused without --yes.\n"
    "Rotating the secret publishes a second, independent perturbation of every cell: anyone\n"
    "holding figures from before and after can average them and narrow down small counts. It\n"
    "is only for a secret that has been compromised (design 5.6). If that is the case, stop\n"
    "every trechterd and run again with --yes; see trechterd rekey --help.\n";

/* One batch of funnel_cells in primary-key order after the last key seen. */
static const char select_batch_sql[] =
    "SELECT f.submission_id, f.revision, f.stage, f.dimension, f.category, f.count,"
    "       s.municipality_code, s.period"
    "  FROM funnel_cells f JOIN submissions s ON s.id = f.submission_id"
    " WHERE (f.submission_id, f.revision, f.stage, f.dimension, f.category)"
    "       > ($1::bigint, $2::int, $3::text, $4::text, $5::text)"
    " ORDER BY f.submission_id, f.revision, f.stage, f.dimension, f.category"
    " LIMIT $6::int";

static const char update_batch_sql[] =
    "UPDATE funnel_cells f SET cell_key = u.k"
    "  FROM jsonb_to_recordset($1::jsonb)"
    "       AS u(s bigint, r int, st text, d text, c text, k bigint)"
    " WHERE f.submission_id = u.s AND f.revision = u.r AND f.stage = u.st"
    "   AND f.dimension = u.d AND f.category = u.c AND f.cell_key <> u.k";

/* current_funnel_cells holds the live revision's cells (put_submission): its keys are copied
 * from funnel_cells. Updated in place, so anything maintained from it sees the change. */
static const char update_current_sql[] =
    "UPDATE current_funnel_cells c SET cell_key = f.cell_key"
    "  FROM submissions s JOIN funnel_cells f"
    "    ON f.submission_id = s.id AND f.revision = s.current_revision"
    " WHERE s.kind = 'funnel' AND s.live"
    "   AND c.period = s.period AND c.municipality_code = s.municipality_code"
    "   AND c.stage = f.stage AND c.dimension = f.dimension AND c.category = f.category"
    "   AND c.cell_key <> f.cell_key";

/* Current cells that do not match a live revision's cell (count or key): must be none. */
static const char check_current_sql[] =
    "SELECT count(*) FROM current_funnel_cells c"
    " WHERE NOT EXISTS (SELECT 1 FROM submissions s JOIN funnel_cells f"
    "                     ON f.submission_id = s.id AND f.revision = s.current_revision"
    "                  WHERE s.kind = 'funnel' AND s.live AND s.period = c.period"
    "                    AND s.municipality_code = c.municipality_code AND f.stage = c.stage"
    "                    AND f.dimension = c.dimension AND f.category = c.category"
    "                    AND f.count = c.count AND f.cell_key = c.cell_key)";

struct rekey_counts {
    long long cells;   /* funnel_cells rows visited */
    long long changed; /* of which the key changed */
    long long current; /* current_funnel_cells rows whose key changed */
    long long batches;
};

/* Recomputes one batch; sets last[] to the batch's last primary key. Returns the number of rows
 * read (0 at the end), or -1 with err set. */
static int rekey_batch(PGconn *conn, const unsigned char *secret, size_t secret_len, int batch,
                       char last[5][128], struct rekey_counts *counts, char *err, size_t errlen)
{
    char limit[16];
    snprintf(limit, sizeof limit, "%d", batch);
    const char *params[] = {last[0], last[1], last[2], last[3], last[4], limit};
    PGresult *res = admin_db_exec(conn, select_batch_sql, 6, params, err, errlen);
    if (!res)
        return -1;
    int n = PQntuples(res);
    json_t *arr = json_array();
    char *text = NULL;
    int rc = -1;
    if (!arr) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        const char *stage = PQgetvalue(res, i, 2), *dim = PQgetvalue(res, i, 3),
                   *cat = PQgetvalue(res, i, 4);
        long long count = atoll(PQgetvalue(res, i, 5));
        uint32_t key = 0;
        if (cell_key_compute(secret, secret_len, PQgetvalue(res, i, 6), PQgetvalue(res, i, 7),
                             stage, dim, cat, count, &key) != 0) {
            snprintf(err, errlen, "OpenSSL failed to compute a cell key");
            goto out;
        }
        json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:I}", "s",
                              (json_int_t)atoll(PQgetvalue(res, i, 0)), "r",
                              (json_int_t)atoll(PQgetvalue(res, i, 1)), "st", stage, "d", dim, "c",
                              cat, "k", (json_int_t)key);
        if (!o || json_array_append_new(arr, o) != 0) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
    }
    if (n > 0) {
        for (int f = 0; f < 5; f++)
            snprintf(last[f], 128, "%s", PQgetvalue(res, n - 1, f));
        text = json_dumps(arr, JSON_COMPACT);
        if (!text) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        const char *up[] = {text};
        PGresult *u = admin_db_exec(conn, update_batch_sql, 1, up, err, errlen);
        if (!u)
            goto out;
        counts->changed += atoll(PQcmdTuples(u));
        PQclear(u);
        counts->cells += n;
        counts->batches++;
    }
    rc = n;
out:
    free(text);
    json_decref(arr);
    PQclear(res);
    return rc;
}

static int rekey_run(PGconn *conn, const unsigned char *secret, size_t secret_len, int batch)
{
    char err[1024] = "";
    /* Keys are compared as text by the database in the same order the rows are sorted. Stage,
     * dimension and category keys are at most 64 bytes (api_key, category_key). */
    char last[5][128] = {"0", "0", "", "", ""};
    struct rekey_counts counts = {0};
    PGresult *res = NULL;
    /* EXCLUSIVE: reads go on, every writer waits until the new keys are committed. */
    if (admin_db_command(conn, "BEGIN", 0, NULL, err, sizeof err) != 0 ||
        admin_db_command(conn,
                         "LOCK TABLE submissions, funnel_cells, current_funnel_cells"
                         " IN EXCLUSIVE MODE",
                         0, NULL, err, sizeof err) != 0)
        goto fail;
    for (;;) {
        int n = rekey_batch(conn, secret, secret_len, batch, last, &counts, err, sizeof err);
        if (n < 0)
            goto fail;
        if (n < batch)
            break;
    }
    res = admin_db_exec(conn, update_current_sql, 0, NULL, err, sizeof err);
    if (!res)
        goto fail;
    counts.current = atoll(PQcmdTuples(res));
    PQclear(res);
    res = admin_db_exec(conn, check_current_sql, 0, NULL, err, sizeof err);
    if (!res)
        goto fail;
    long long stray = atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    res = NULL;
    if (stray) {
        snprintf(err, sizeof err,
                 "%lld current cells do not match their live revision in funnel_cells; the "
                 "database is inconsistent - investigate before rekeying",
                 stray);
        goto fail;
    }
    char outcome[200];
    snprintf(outcome, sizeof outcome, "rekeyed %lld funnel cells (%lld keys changed)", counts.cells,
             counts.changed);
    if (admin_db_audit(conn, "rekey", outcome, err, sizeof err) != 0 ||
        admin_db_command(conn, "SELECT pg_notify('trechter_changes', 'rekey')", 0, NULL, err,
                         sizeof err) != 0 ||
        admin_db_command(conn, "COMMIT", 0, NULL, err, sizeof err) != 0)
        goto fail;
    printf("rekeyed %lld funnel cells (%lld keys changed) and %lld current cells in %lld "
           "batches\n",
           counts.cells, counts.changed, counts.current, counts.batches);
    fflush(stdout);
    fprintf(stderr, "trechterd rekey: done; start every trechterd with the new "
                    "--sdc-secret-file now, and back the secret up\n");
    return 0;
fail:
    PQclear(res);
    admin_db_rollback(conn);
    admin_print_error("rekey", err);
    fprintf(stderr, "trechterd rekey: rolled back; no key was changed\n");
    return 1;
}

int rekey_main(int argc, char **argv)
{
    const char *db = NULL, *secret_file = NULL, *batch_text = NULL;
    bool yes = false;
    int batch = REKEY_DEFAULT_BATCH, next;
    const struct admin_option options[] = {
        {"db", .value = &db},
        {"sdc-secret-file", .value = &secret_file},
        {"yes", .flag = &yes},
        {"batch-size", .value = &batch_text},
    };
    char err[1024];
    switch (admin_parse_options(argc, argv, options, sizeof options / sizeof options[0], false,
                                &next, err, sizeof err)) {
    case ADMIN_PARSE_HELP:
        fputs(rekey_help, stdout);
        return 0;
    case ADMIN_PARSE_ERROR:
        admin_print_error("rekey", err);
        fputs("Try 'trechterd rekey --help'.\n", stderr);
        return 2;
    case ADMIN_PARSE_OK:
        break;
    }
    if (batch_text) {
        char *end = NULL;
        long v = strtol(batch_text, &end, 10);
        if (!*batch_text || *end || v < 1 || v > REKEY_MAX_BATCH) {
            admin_print_error("rekey", "--batch-size takes 1 to 100000");
            return 2;
        }
        batch = (int)v;
    }
    if (next < argc) {
        admin_print_error("rekey", "unexpected argument (see --help)");
        return 2;
    }
    if (!secret_file) {
        admin_print_error("rekey", "--sdc-secret-file FILE is required (the new secret)");
        return 2;
    }
    const char *conninfo = admin_db_conninfo(db);
    if (!conninfo) {
        admin_print_error("rekey", "no database: give --db CONNINFO or set TRECHTER_DB");
        return 2;
    }
    if (!yes) {
        fputs(refusal, stderr);
        return 1;
    }
    unsigned char *secret = NULL;
    size_t secret_len = 0;
    if (server_read_secret(secret_file, &secret, &secret_len, err, sizeof err) != 0) {
        admin_print_error("rekey", err);
        return 1;
    }
    int rc = 1;
    PGconn *conn = admin_db_connect(conninfo, "rekey", err, sizeof err);
    if (!conn)
        admin_print_error("rekey", err);
    else
        rc = rekey_run(conn, secret, secret_len, batch);
    if (conn)
        PQfinish(conn);
    OPENSSL_cleanse(secret, secret_len);
    free(secret);
    return rc;
}
