/* Tables, summaries and problem messages for people (pure over jansson values); see render.h. */
#include "client/render.h"

#include "client/table.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/http_status.h"

static const char *const funnel_stages[] = {"occurred", "disclosed",    "signalled",
                                            "reported", "investigated", "helped"};
#define N_FUNNEL_STAGES (sizeof funnel_stages / sizeof funnel_stages[0])

const char *render_reason(long status)
{
    const char *reason = status >= 100 && status <= 599 ? http_reason((int)status) : NULL;
    return reason ? reason : "";
}

/* A scalar as text: null → "-", numbers with `decimals` places when real, booleans yes/no. */
static const char *scalar(const json_t *v, int decimals, char *buf, size_t len)
{
    if (v == NULL || json_is_null(v))
        return "-";
    if (json_is_integer(v))
        snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, len, "%.*f", decimals, json_real_value(v));
    else if (json_is_string(v))
        snprintf(buf, len, "%s", json_string_value(v));
    else if (json_is_true(v))
        snprintf(buf, len, "yes");
    else if (json_is_false(v))
        snprintf(buf, len, "no");
    else
        snprintf(buf, len, "?");
    return buf;
}

static const char *str_or(const json_t *v, const char *dflt)
{
    return json_is_string(v) ? json_string_value(v) : dflt;
}

/* A region as (code, name): either {"code", "name"} or a bare code string. */
static void region_of(const json_t *row, const char **code, const char **name)
{
    const json_t *r = json_object_get(row, "region");
    if (json_is_object(r)) {
        *code = str_or(json_object_get(r, "code"), "");
        *name = str_or(json_object_get(r, "name"), "");
    } else {
        *code = str_or(r, "");
        *name = str_or(json_object_get(row, "regionName"), "");
    }
}

static int is_protected(const json_t *doc, const json_t *rows)
{
    if (json_is_true(json_object_get(doc, "protected")))
        return 1;
    size_t i;
    const json_t *row;
    json_array_foreach(rows, i, row) if (json_is_true(json_object_get(row, "protected"))) return 1;
    return 0;
}

/* One stage (or category) cell of the wide funnels table: "300 (11.5)", "-" not known, "n/s"
 * not submitted, "(w)" for a withheld rate. */
static void stage_cell(const json_t *st, char *buf, size_t len)
{
    if (!json_is_object(st)) {
        snprintf(buf, len, "-");
        return;
    }
    const char *state = str_or(json_object_get(st, "state"), "");
    if (strcmp(state, "notSubmitted") == 0) {
        snprintf(buf, len, "n/s");
        return;
    }
    const json_t *count = json_object_get(st, "count");
    if (strcmp(state, "notKnown") == 0 || count == NULL || json_is_null(count)) {
        snprintf(buf, len, "-");
        return;
    }
    char c[32], r[32];
    scalar(count, 0, c, sizeof c);
    const json_t *per10k = json_object_get(st, "per10k");
    if (json_is_number(per10k))
        snprintf(buf, len, "%s (%s)", c, scalar(per10k, 1, r, sizeof r));
    else if (json_is_string(json_object_get(st, "withheld")))
        snprintf(buf, len, "%s (w)", c);
    else
        snprintf(buf, len, "%s", c);
}

static int any_breakdown(const json_t *rows)
{
    size_t i;
    const json_t *row;
    json_array_foreach(rows, i, row)
    {
        const char *k;
        const json_t *st;
        json_object_foreach((json_t *)json_object_get(row, "stages"), k, st)
        {
            if (json_is_object(json_object_get(st, "breakdown")))
                return 1;
        }
    }
    return 0;
}

static void coverage_text(const json_t *row, char *buf, size_t len)
{
    const json_t *cov = json_object_get(row, "coverage");
    char a[32], b[32];
    if (json_is_object(cov))
        snprintf(buf, len, "%s/%s", scalar(json_object_get(cov, "reporting"), 0, a, sizeof a),
                 scalar(json_object_get(cov, "expected"), 0, b, sizeof b));
    else
        snprintf(buf, len, "-");
}

static void funnels_wide(FILE *out, const json_t *rows)
{
    const char *headers[5 + N_FUNNEL_STAGES] = {"PERIOD", "REGION", "NAME", "PROTECTED",
                                                "COVERAGE"};
    for (size_t s = 0; s < N_FUNNEL_STAGES; s++)
        headers[5 + s] = funnel_stages[s];
    struct table *t = table_new(5 + N_FUNNEL_STAGES, headers);
    if (t == NULL)
        return;
    for (size_t c = 4; c < 5 + N_FUNNEL_STAGES; c++)
        table_align_right(t, c);
    size_t i;
    const json_t *row;
    char buf[64];
    json_array_foreach(rows, i, row)
    {
        const char *code, *name;
        region_of(row, &code, &name);
        table_add(t, str_or(json_object_get(row, "period"), ""));
        table_add(t, code);
        table_add(t, name);
        table_add(t, json_is_true(json_object_get(row, "protected")) ? "yes" : "no");
        coverage_text(row, buf, sizeof buf);
        table_add(t, buf);
        const json_t *stages = json_object_get(row, "stages");
        for (size_t s = 0; s < N_FUNNEL_STAGES; s++) {
            stage_cell(json_object_get(stages, funnel_stages[s]), buf, sizeof buf);
            table_add(t, buf);
        }
    }
    table_print(t, out);
    table_free(t);
    fputs("count (per 10,000 children aged 0-17); - not known, n/s not submitted, (w) rate "
          "withheld; coverage: municipalities reporting/expected\n",
          out);
}

/* With a breakdown: one line per row, stage and category. */
static void funnels_long(FILE *out, const json_t *rows)
{
    static const char *const headers[] = {"PERIOD",        "REGION",  "PROTECTED", "STAGE",
                                          "CATEGORY",      "STATE",   "COUNT",     "PER10K",
                                          "FROM-PREVIOUS", "WITHHELD"};
    struct table *t = table_new(10, headers);
    if (t == NULL)
        return;
    table_align_right(t, 6);
    table_align_right(t, 7);
    table_align_right(t, 8);
    size_t i;
    const json_t *row;
    char b1[32], b2[32], b3[32];
    json_array_foreach(rows, i, row)
    {
        const char *code, *name;
        region_of(row, &code, &name);
        const json_t *stages = json_object_get(row, "stages");
        for (size_t s = 0; s < N_FUNNEL_STAGES; s++) {
            const json_t *st = json_object_get(stages, funnel_stages[s]);
            if (!json_is_object(st))
                continue;
            /* the stage itself, then each category of its breakdown */
            const json_t *bd = json_object_get(st, "breakdown");
            const char *cat = "total";
            const json_t *cell = st;
            void *iter = json_is_object(bd) ? json_object_iter((json_t *)bd) : NULL;
            for (;;) {
                table_add(t, str_or(json_object_get(row, "period"), ""));
                table_add(t, code);
                table_add(t, json_is_true(json_object_get(row, "protected")) ? "yes" : "no");
                table_add(t, funnel_stages[s]);
                table_add(t, cat);
                table_add(t, str_or(json_object_get(cell, "state"), ""));
                table_add(t, scalar(json_object_get(cell, "count"), 0, b1, sizeof b1));
                table_add(t, scalar(json_object_get(cell, "per10k"), 1, b2, sizeof b2));
                table_add(t, scalar(json_object_get(cell, "fromPrevious"), 2, b3, sizeof b3));
                table_add(t, str_or(json_object_get(cell, "withheld"), ""));
                if (iter == NULL)
                    break;
                cat = json_object_iter_key(iter);
                cell = json_object_iter_value(iter);
                iter = json_object_iter_next((json_t *)bd, iter);
            }
        }
    }
    table_print(t, out);
    table_free(t);
}

static void comparisons(FILE *out, const json_t *doc, const json_t *rows)
{
    char buf[64];
    const json_t *nat = json_object_get(doc, "national");
    if (json_is_object(nat))
        fprintf(out, "national value: %s\n",
                scalar(json_object_get(nat, "value"), 2, buf, sizeof buf));
    static const char *const headers[] = {"RANK",  "REGION",  "NAME",     "VALUE",
                                          "RATIO", "Z-SCORE", "QUARTILE", "STATE"};
    struct table *t = table_new(8, headers);
    if (t == NULL)
        return;
    table_align_right(t, 0);
    for (size_t c = 3; c <= 6; c++)
        table_align_right(t, c);
    size_t i;
    const json_t *row;
    json_array_foreach(rows, i, row)
    {
        const char *code, *name;
        region_of(row, &code, &name);
        table_add(t, scalar(json_object_get(row, "rank"), 0, buf, sizeof buf));
        table_add(t, code);
        table_add(t, name);
        table_add(t, scalar(json_object_get(row, "value"), 2, buf, sizeof buf));
        table_add(t, scalar(json_object_get(row, "ratioToNational"), 2, buf, sizeof buf));
        table_add(t, scalar(json_object_get(row, "zScore"), 2, buf, sizeof buf));
        table_add(t, scalar(json_object_get(row, "quartile"), 0, buf, sizeof buf));
        table_add(t, str_or(json_object_get(row, "state"), ""));
    }
    table_print(t, out);
    table_free(t);
}

static int any_period(const json_t *rows)
{
    size_t i;
    const json_t *row;
    json_array_foreach(rows, i, row) if (json_is_string(json_object_get(row, "period"))) return 1;
    return 0;
}

static void networks(FILE *out, const json_t *rows)
{
    static const char *const headers[] = {"PERIOD", "REGION", "NAME", "REPORTING", "EXPECTED",
                                          "0",      "1",      "2",    "3",         "4",
                                          "5",      "6",      "7",    "8"};
    int with_period = any_period(rows);
    size_t skip = with_period ? 0 : 1;
    struct table *t = table_new(14 - skip, headers + skip);
    if (t == NULL)
        return;
    for (size_t c = 3 - skip; c < 14 - skip; c++)
        table_align_right(t, c);
    size_t i;
    const json_t *row;
    char buf[64];
    json_array_foreach(rows, i, row)
    {
        const char *code, *name;
        region_of(row, &code, &name);
        if (with_period)
            table_add(t, str_or(json_object_get(row, "period"), ""));
        table_add(t, code);
        table_add(t, name);
        table_add(t, scalar(json_object_get(row, "reporting"), 0, buf, sizeof buf));
        table_add(t, scalar(json_object_get(row, "expected"), 0, buf, sizeof buf));
        const json_t *met = json_object_get(row, "stepsMet");
        for (int s = 0; s <= 8; s++) {
            char k[4];
            snprintf(k, sizeof k, "%d", s);
            table_add(t, scalar(json_object_get(met, k), 0, buf, sizeof buf));
        }
    }
    table_print(t, out);
    table_free(t);
    fputs("columns 0-8: municipalities meeting that many of the eight approach steps "
          "(partner and prevention counts: --format json)\n",
          out);
}

/* Codes joined with ", ", at most 8 then "+N more". */
static void code_list(const json_t *codes, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!json_is_array(codes) || json_array_size(codes) == 0) {
        snprintf(buf, len, "-");
        return;
    }
    size_t used = 0, n = json_array_size(codes);
    for (size_t i = 0; i < n && i < 8; i++) {
        int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
                         str_or(json_array_get(codes, i), "?"));
        if (w < 0 || (size_t)w >= len - used)
            return;
        used += (size_t)w;
    }
    if (n > 8)
        snprintf(buf + used, len - used, " +%zu more", n - 8);
}

static void completeness(FILE *out, const json_t *rows)
{
    static const char *const headers[] = {"PERIOD",          "REGION",          "NAME",
                                          "EXPECTED",        "FUNNELS",         "NETWORKS",
                                          "MISSING FUNNELS", "MISSING NETWORKS"};
    int with_period = any_period(rows);
    size_t skip = with_period ? 0 : 1;
    struct table *t = table_new(8 - skip, headers + skip);
    if (t == NULL)
        return;
    for (size_t c = 3 - skip; c <= 5 - skip; c++)
        table_align_right(t, c);
    size_t i;
    const json_t *row;
    char buf[256];
    json_array_foreach(rows, i, row)
    {
        const char *code, *name;
        region_of(row, &code, &name);
        if (with_period)
            table_add(t, str_or(json_object_get(row, "period"), ""));
        table_add(t, code);
        table_add(t, name);
        table_add(t, scalar(json_object_get(row, "expected"), 0, buf, sizeof buf));
        table_add(t, scalar(json_object_get(row, "funnels"), 0, buf, sizeof buf));
        table_add(t, scalar(json_object_get(row, "networks"), 0, buf, sizeof buf));
        code_list(json_object_get(row, "missingFunnels"), buf, sizeof buf);
        table_add(t, buf);
        code_list(json_object_get(row, "missingNetworks"), buf, sizeof buf);
        table_add(t, buf);
    }
    table_print(t, out);
    table_free(t);
}

int render_rows(FILE *out, enum render_kind kind, const json_t *doc)
{
    const json_t *rows = json_object_get(doc, "rows");
    if (!json_is_array(rows))
        return -1;
    if (is_protected(doc, rows))
        fprintf(out, "%s\n", RENDER_PROTECTED_BANNER);
    if (json_array_size(rows) == 0) {
        fputs("no rows\n", out);
        return 0;
    }
    switch (kind) {
    case RENDER_FUNNELS:
        if (any_breakdown(rows))
            funnels_long(out, rows);
        else
            funnels_wide(out, rows);
        break;
    case RENDER_COMPARISONS:
        comparisons(out, doc, rows);
        break;
    case RENDER_NETWORKS:
        networks(out, rows);
        break;
    case RENDER_COMPLETENESS:
        completeness(out, rows);
        break;
    }
    return 0;
}

/* ---- problems -------------------------------------------------------------------------------- */

const char *render_error_place(const json_t *item, char *buf, size_t buflen)
{
    const char *in = str_or(json_object_get(item, "in"), "");
    const char *pointer = str_or(json_object_get(item, "pointer"), NULL);
    const char *name = str_or(json_object_get(item, "name"), NULL);
    unsigned long row;
    int consumed = 0;
    if (pointer != NULL && sscanf(pointer, "row %lu%n", &row, &consumed) == 1) {
        const char *rest = pointer + consumed;
        if (*rest == '/' && rest[1] != '\0')
            snprintf(buf, buflen, "row %lu, %s", row, rest + 1);
        else
            snprintf(buf, buflen, "row %lu", row);
    } else if (pointer != NULL) {
        snprintf(buf, buflen, "%s", *pointer ? pointer : "(the whole body)");
    } else if (name != NULL) {
        snprintf(buf, buflen, "%s %s", *in ? in : "parameter", name);
    } else {
        snprintf(buf, buflen, "%s", *in ? in : "request");
    }
    return buf;
}

void render_problem(FILE *out, long status, const json_t *problem, const char *body,
                    size_t body_len, const char *request_id)
{
    const char *title = NULL, *detail = NULL;
    if (json_is_object(problem)) {
        title = str_or(json_object_get(problem, "title"), NULL);
        detail = str_or(json_object_get(problem, "detail"), NULL);
        if (request_id == NULL)
            request_id = str_or(json_object_get(problem, "requestId"), NULL);
    }
    if (title == NULL || *title == '\0')
        title = render_reason(status);
    fprintf(out, "error %ld%s%s", status, *title ? " " : "", title);
    if (detail != NULL && *detail)
        fprintf(out, ": %s", detail);
    fputc('\n', out);
    const json_t *errors = json_is_object(problem) ? json_object_get(problem, "errors") : NULL;
    size_t i;
    const json_t *item;
    char place[300];
    json_array_foreach(errors, i, item)
    {
        const char *code = str_or(json_object_get(item, "code"), NULL);
        fprintf(out, "  %s: %s", render_error_place(item, place, sizeof place),
                str_or(json_object_get(item, "detail"), "invalid"));
        if (code != NULL)
            fprintf(out, " (%s)", code);
        fputc('\n', out);
    }
    if (!json_is_object(problem) && body != NULL && body_len > 0) {
        /* not a problem document (a proxy's page?): its first line, if it is short text */
        size_t n = strcspn(body, "\r\n");
        if (n > 200)
            n = 200;
        int text = 1;
        for (size_t k = 0; k < n; k++)
            if ((unsigned char)body[k] < 0x20 && body[k] != '\t')
                text = 0;
        if (text && n > 0)
            fprintf(out, "  the server said: %.*s%s\n", (int)n, body, n < body_len ? " ..." : "");
    }
    if (request_id != NULL && *request_id)
        fprintf(out, "  request id: %s\n", request_id);
}

/* ---- singular resources ------------------------------------------------------------------- */

void render_json(FILE *out, const json_t *doc)
{
    json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', out);
}

void render_warnings(FILE *out, const json_t *warnings)
{
    size_t i;
    const json_t *w;
    char place[300];
    json_array_foreach(warnings, i, w)
    {
        const char *code = str_or(json_object_get(w, "code"), NULL);
        fprintf(out, "warning %s: %s", render_error_place(w, place, sizeof place),
                str_or(json_object_get(w, "detail"), ""));
        if (code != NULL)
            fprintf(out, " (%s)", code);
        fputc('\n', out);
    }
}

/* "GM0344 2016-Q1, revision 3, submitted 2026-... by label (id)" and the write flags. */
static void resource_head(FILE *out, const char *what, const json_t *doc)
{
    char buf[32];
    fprintf(out, "%s %s %s", what, str_or(json_object_get(doc, "municipality"), "?"),
            str_or(json_object_get(doc, "period"), "?"));
    if (json_is_integer(json_object_get(doc, "revision")))
        fprintf(out, ", revision %s", scalar(json_object_get(doc, "revision"), 0, buf, sizeof buf));
    const char *at = str_or(json_object_get(doc, "submittedAt"), NULL);
    if (at != NULL)
        fprintf(out, ", submitted %s", at);
    const json_t *by = json_object_get(doc, "submittedBy");
    if (json_is_object(by))
        fprintf(out, " by %s", str_or(json_object_get(by, "label"), "?"));
    fputc('\n', out);
    if (json_is_true(json_object_get(doc, "dryRun")))
        fputs("dry run: validated, nothing was written\n", out);
    if (json_is_true(json_object_get(doc, "unchanged")))
        fputs("unchanged: the same as the current revision, no new revision\n", out);
}

void render_funnel(FILE *out, const json_t *doc)
{
    resource_head(out, "funnel", doc);
    const json_t *stages = json_object_get(doc, "stages");
    static const char *const headers[] = {"STAGE", "TOTAL", "BREAKDOWNS"};
    struct table *t = table_new(3, headers);
    if (t == NULL)
        return;
    table_align_right(t, 1);
    char buf[32];
    for (size_t s = 0; s < N_FUNNEL_STAGES; s++) {
        const json_t *st = json_object_get(stages, funnel_stages[s]);
        table_add(t, funnel_stages[s]);
        if (!json_is_object(st)) {
            table_add(t, "not known");
            table_add(t, "");
            continue;
        }
        table_add(t, scalar(json_object_get(st, "total"), 0, buf, sizeof buf));
        /* "gender: girl 27, boy 13; ageBand: ..." */
        char *text = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);
        if (m == NULL) {
            table_add(t, "");
            continue;
        }
        const char *dim;
        const json_t *cats;
        int first_dim = 1;
        json_object_foreach((json_t *)json_object_get(st, "breakdowns"), dim, cats)
        {
            fprintf(m, "%s%s:", first_dim ? "" : "; ", dim);
            first_dim = 0;
            const char *cat;
            const json_t *n;
            int first = 1;
            json_object_foreach((json_t *)cats, cat, n)
            {
                fprintf(m, "%s %s %s", first ? "" : ",", cat, scalar(n, 0, buf, sizeof buf));
                first = 0;
            }
        }
        fclose(m);
        table_add(t, text);
        free(text);
    }
    table_print(t, out);
    table_free(t);
    render_warnings(out, json_object_get(doc, "warnings"));
}

static void key_values(FILE *out, const char *title, const json_t *obj)
{
    if (!json_is_object(obj) || json_object_size(obj) == 0)
        return;
    fprintf(out, "%s:\n", title);
    const char *k;
    const json_t *v;
    size_t width = 0;
    json_object_foreach((json_t *)obj, k, v) if (strlen(k) > width) width = strlen(k);
    char buf[64];
    json_object_foreach((json_t *)obj, k, v)
    {
        fprintf(out, "  %-*s  %s\n", (int)width, k,
                json_is_null(v) ? "not known" : scalar(v, 2, buf, sizeof buf));
    }
}

void render_network(FILE *out, const json_t *doc)
{
    resource_head(out, "network", doc);
    char a[32], b[32];
    if (json_object_get(doc, "stepsMet") != NULL)
        fprintf(out, "approach steps met: %s of %s known\n",
                scalar(json_object_get(doc, "stepsMet"), 0, a, sizeof a),
                scalar(json_object_get(doc, "stepsKnown"), 0, b, sizeof b));
    key_values(out, "steps", json_object_get(doc, "steps"));
    key_values(out, "partners", json_object_get(doc, "partners"));
    key_values(out, "approach", json_object_get(doc, "approach"));
    key_values(out, "prevention", json_object_get(doc, "prevention"));
    render_warnings(out, json_object_get(doc, "warnings"));
}

void render_revisions(FILE *out, const json_t *doc)
{
    fprintf(out, "revisions of %s %s\n", str_or(json_object_get(doc, "municipality"), "?"),
            str_or(json_object_get(doc, "period"), "?"));
    static const char *const headers[] = {"REVISION", "SUBMITTED", "BY", "DELETED", "WARNINGS"};
    struct table *t = table_new(5, headers);
    if (t == NULL)
        return;
    table_align_right(t, 0);
    table_align_right(t, 4);
    size_t i;
    const json_t *r;
    char buf[32];
    json_array_foreach(json_object_get(doc, "revisions"), i, r)
    {
        table_add(t, scalar(json_object_get(r, "revision"), 0, buf, sizeof buf));
        table_add(t, str_or(json_object_get(r, "submittedAt"), ""));
        const json_t *by = json_object_get(r, "submittedBy");
        table_add(t, json_is_object(by) ? str_or(json_object_get(by, "label"), "") : "");
        table_add(t, json_is_true(json_object_get(r, "deleted")) ? "yes" : "no");
        table_addf(t, "%zu", json_array_size(json_object_get(r, "warnings")));
    }
    table_print(t, out);
    table_free(t);
}

void render_import(FILE *out, const json_t *doc)
{
    char c[32], u[32], n[32], r[32];
    const char *status = str_or(json_object_get(doc, "status"), "done");
    fprintf(out, "%s%s: created %s, updated %s, unchanged %s, rejected %s\n", status,
            json_is_true(json_object_get(doc, "dryRun")) ? " (dry run, nothing written)" : "",
            scalar(json_object_get(doc, "created"), 0, c, sizeof c),
            scalar(json_object_get(doc, "updated"), 0, u, sizeof u),
            scalar(json_object_get(doc, "unchanged"), 0, n, sizeof n),
            scalar(json_object_get(doc, "rejected"), 0, r, sizeof r));
    render_warnings(out, json_object_get(doc, "warnings"));
}

void render_me(FILE *out, const json_t *doc)
{
    char buf[32];
    fprintf(out, "id         %s\n", scalar(json_object_get(doc, "id"), 0, buf, sizeof buf));
    fprintf(out, "label      %s\n", str_or(json_object_get(doc, "label"), ""));
    fprintf(out, "role       %s\n", str_or(json_object_get(doc, "role"), ""));
    fputs("raw for    ", out);
    if (json_is_true(json_object_get(doc, "rawForAll"))) {
        fputs("every municipality", out);
    } else {
        size_t i;
        const json_t *code;
        json_array_foreach(json_object_get(doc, "rawFor"), i, code)
            fprintf(out, "%s%s", i ? ", " : "", str_or(code, "?"));
        if (json_array_size(json_object_get(doc, "rawFor")) == 0)
            fputs("-", out);
    }
    fputc('\n', out);
    fprintf(out, "protected  %s\n",
            json_is_true(json_object_get(doc, "protected"))
                ? "yes: figures of others are perturbed (cell-key)"
                : "no");
}
