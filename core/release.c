/* Release ids, the release= choice and the POST /v1/releases body (design §8). */
#include "core/release.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/catalog.h"
#include "core/document.h"

int release_id_parse(const char *text, struct period *period, int *number)
{
    struct period p;
    char canonical[8];
    if (!text || strlen(text) < 10 || strncmp(text + 7, "-r", 2) != 0)
        return -1;
    char head[8];
    memcpy(head, text, 7);
    head[7] = '\0';
    if (period_parse(head, &p) < 0)
        return -1;
    period_format(p, canonical);
    if (strcmp(canonical, head) != 0)
        return -1; /* "2026Q3-r1" or "2026-q3-r1": ids are written one way only */
    const char *digits = text + 9;
    size_t n = strlen(digits);
    if (n == 0 || n > 5 || digits[0] == '0' || strspn(digits, "0123456789") != n)
        return -1;
    int value = 0;
    for (size_t i = 0; i < n; i++)
        value = value * 10 + (digits[i] - '0');
    if (period)
        *period = p;
    if (number)
        *number = value;
    return 0;
}

int release_choice_parse(const char *text, enum release_choice *choice, char *id)
{
    if (!text)
        return -1;
    if (strcmp(text, "live") == 0) {
        *choice = RELEASE_LIVE;
        id[0] = '\0';
        return 0;
    }
    if (strcmp(text, "latest") == 0) {
        *choice = RELEASE_LATEST;
        id[0] = '\0';
        return 0;
    }
    if (release_id_parse(text, NULL, NULL) < 0)
        return -1;
    *choice = RELEASE_ID;
    snprintf(id, RELEASE_ID_MAX, "%s", text);
    return 0;
}

const char *release_choice_name(enum release_choice choice, const char *id)
{
    switch (choice) {
    case RELEASE_LIVE:
        return "live";
    case RELEASE_LATEST:
        return "latest";
    case RELEASE_ID:
        return id;
    }
    return "live";
}

struct release_decoder {
    struct doc_report rep;
    struct release_request *out;
    time_t now;
};

static void decode_period(void *ctx, const json_t *value, const char *pointer)
{
    struct release_decoder *d = ctx;
    if (!json_is_string(value)) {
        doc_report(&d->rep, pointer, "type", "period is a quarter, e.g. \"2026-Q3\".");
        return;
    }
    struct period p;
    switch (period_check_submittable(json_string_value(value), d->now, &p)) {
    case PERIOD_OK:
        period_format(p, d->out->period);
        return;
    case PERIOD_MALFORMED:
        doc_report(&d->rep, pointer, "malformed-period", "period is a quarter, e.g. \"2026-Q3\".");
        return;
    case PERIOD_NOT_ENDED:
        doc_report(&d->rep, pointer, "period-not-ended",
                   "This quarter has not ended yet: there is nothing to release.");
        return;
    case PERIOD_TOO_EARLY:
        doc_report(&d->rep, pointer, "period-too-early", "Figures start with 2015-Q1.");
        return;
    }
}

static void decode_status(void *ctx, const json_t *value, const char *pointer)
{
    struct release_decoder *d = ctx;
    const char *s = json_string_value(value);
    if (s && strcmp(s, "final") == 0)
        d->out->final = true;
    else if (!s || strcmp(s, "provisional") != 0)
        doc_report(&d->rep, pointer, "invalid", "status is \"provisional\" or \"final\".");
}

static void decode_open(void *ctx, const json_t *value, const char *pointer)
{
    struct release_decoder *d = ctx;
    if (!json_is_boolean(value))
        doc_report(&d->rep, pointer, "type", "open is true or false.");
    else
        d->out->open = json_is_true(value);
}

static const struct doc_member release_members[] = {
    {"period", decode_period},
    {"status", decode_status},
    {"open", decode_open},
};

int release_request_decode(const char *body, size_t len, time_t now, struct release_request *out,
                           struct violations *v)
{
    memset(out, 0, sizeof *out);
    struct release_decoder d = {.rep = {.v = v}, .out = out, .now = now};
    json_t *root = doc_load(&d.rep, body, len, DOC_ROOT_OBJECT,
                            "The body is a JSON object: {\"period\", \"status\", \"open\"}.");
    if (!root)
        return -1;
    uint32_t present =
        doc_walk_members(&d.rep, root, "", release_members, 3,
                         "A release is asked for with period, status and open only.", &d);
    if (!(present & 1u))
        doc_report(&d.rep, "/period", "required", "Give the period to release.");
    if (!(present & 2u))
        doc_report(&d.rep, "/status", "required", "Give the status: \"provisional\" or \"final\".");
    json_decref(root);
    return d.rep.found ? -1 : 0;
}

json_t *release_missing_row(const char *period, const char *code, const char *name,
                            const struct catalog *cat)
{
    json_t *stages = json_object();
    for (size_t s = 0; s < cat->nstages; s++)
        json_object_set_new(stages, cat->stages[s],
                            json_pack("{s:s, s:n}", "state", "notReleased", "count"));
    return json_pack("{s:s, s:{s:s, s:s}, s:b, s:n, s:o}", "period", period, "region", "code", code,
                     "name", name, "protected", true, "release", "stages", stages);
}
