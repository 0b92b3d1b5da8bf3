/* Decodes, validates and canonicalises network documents; evaluates their approach steps and
 * tallies them per region. */
#include "core/network_doc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/document.h"

static const struct {
    const char *name;
    enum network_field_type type;
} fields[NETWORK_FIELDS] = {
    [NETWORK_SOCIAL_MAP_UPDATED_ON] = {"socialMapUpdatedOn", NETWORK_DATE},
    [NETWORK_PARTNER_MEETING_HELD] = {"partnerMeetingHeld", NETWORK_BOOL},
    [NETWORK_COORDINATOR_APPOINTED] = {"coordinatorAppointed", NETWORK_BOOL},
    [NETWORK_TRAININGS_THIS_YEAR] = {"trainingsThisYear", NETWORK_COUNT},
    [NETWORK_NETWORK_MEETINGS_THIS_YEAR] = {"networkMeetingsThisYear", NETWORK_COUNT},
    [NETWORK_NEWSLETTER_ISSUES_THIS_YEAR] = {"newsletterIssuesThisYear", NETWORK_COUNT},
    [NETWORK_ALDERMAN_INVOLVED_ON] = {"aldermanInvolvedOn", NETWORK_DATE},
    [NETWORK_ANNUAL_REPORT_PUBLISHED] = {"annualReportPublished", NETWORK_BOOL},
    [NETWORK_ANNUAL_PLAN_PUBLISHED] = {"annualPlanPublished", NETWORK_BOOL},
    [NETWORK_EXPERTS_BY_EXPERIENCE_INVOLVED] = {"expertsByExperienceInvolved", NETWORK_BOOL},
};

static const char *const step_keys[NETWORK_STEPS] = {
    [STEP_SOCIAL_MAP] = "socialMap",
    [STEP_PARTNER_MEETING] = "partnerMeeting",
    [STEP_COORDINATOR] = "coordinator",
    [STEP_TRAINING] = "training",
    [STEP_NETWORK_MEETINGS] = "networkMeetings",
    [STEP_NEWSLETTER] = "newsletter",
    [STEP_ALDERMAN] = "alderman",
    [STEP_ANNUAL_REPORT_PLAN] = "annualReportPlan",
};

const char *network_field_name(enum network_field f)
{
    return f >= 0 && f < NETWORK_FIELDS ? fields[f].name : NULL;
}

enum network_field_type network_field_type(enum network_field f)
{
    return fields[f].type;
}

const char *network_step_key(enum network_step s)
{
    return s >= 0 && s < NETWORK_STEPS ? step_keys[s] : NULL;
}

static int field_index(const char *name)
{
    for (int f = 0; f < NETWORK_FIELDS; f++)
        if (strcmp(fields[f].name, name) == 0)
            return f;
    return -1;
}

/* ---- calendar ---------------------------------------------------------------------------- */

void network_months_before(int y, int m, int d, int months, int *oy, int *om, int *od)
{
    int total = y * 12 + (m - 1) - months;
    *oy = total / 12;
    *om = total % 12 + 1;
    int last = date_days_in_month(*oy, *om);
    *od = d < last ? d : last;
}

static int date_number(int y, int m, int d)
{
    return y * 10000 + m * 100 + d;
}

static long long number_to_days(int n)
{
    return date_to_days(n / 10000, n / 100 % 100, n % 100);
}

/* ---- validation --------------------------------------------------------------------------- */

/* One document being decoded. */
struct checker {
    const struct catalog *cat;
    struct period period;
    struct doc_report rep;
};

/* "absent, mapped, engaged or committed" for a detail. */
static void list_text(const struct catalog_list *list, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < list->n && o + 1 < cap; i++) {
        const char *sep = i == 0 ? "" : i + 1 == list->n ? " or " : ", ";
        int w = snprintf(buf + o, cap - o, "%s%s", sep, list->keys[i]);
        if (w < 0)
            break;
        o += (size_t)w;
    }
}

/* Checks the value of an approach field of `type`: NULL and *out set when it is valid (a date not
 * yet compared with the period), else the violation code. */
static const char *field_value(enum network_field_type type, const json_t *value, int *out)
{
    if (type == NETWORK_BOOL) {
        if (!json_is_boolean(value))
            return "type";
        *out = json_is_true(value);
        return NULL;
    }
    if (type == NETWORK_COUNT) {
        if (json_is_real(value))
            return "not-integer";
        if (!json_is_integer(value))
            return "type";
        json_int_t n = json_integer_value(value);
        if (n < 0)
            return "negative";
        if (n > NETWORK_MAX_COUNT)
            return "too-large";
        *out = (int)n;
        return NULL;
    }
    if (!json_is_string(value))
        return "type";
    int y, m, d;
    if (json_string_length(value) != 10 || date_parse(json_string_value(value), &y, &m, &d) < 0)
        return "malformed-date";
    *out = date_number(y, m, d);
    return NULL;
}

static void decode_approach(struct checker *ck, const json_t *approach, struct network_approach *a)
{
    if (!json_is_object(approach)) {
        doc_report(&ck->rep, "/approach", "type", "approach is an object of approach fields");
        return;
    }
    int ly, lm, ld;
    period_last_day(ck->period, &ly, &lm, &ld);
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)approach, key, value)
    {
        char *p = doc_pointer_join("/approach", key);
        int f = field_index(key);
        if (f < 0) {
            doc_report(&ck->rep, p, "unknown-approach-field",
                       "not an approach field (socialMapUpdatedOn, partnerMeetingHeld, "
                       "coordinatorAppointed, trainingsThisYear, networkMeetingsThisYear, "
                       "newsletterIssuesThisYear, aldermanInvolvedOn, annualReportPublished, "
                       "annualPlanPublished, expertsByExperienceInvolved)");
            free(p);
            continue;
        }
        int n = 0;
        const char *problem = field_value(fields[f].type, value, &n);
        if (problem && json_is_null(value)) {
            doc_report(&ck->rep, p, problem,
                       "null is not a value: leave %s out when it is not known", fields[f].name);
        } else if (problem && strcmp(problem, "type") == 0) {
            doc_report(&ck->rep, p, problem, "%s is %s", fields[f].name,
                       fields[f].type == NETWORK_BOOL    ? "true or false"
                       : fields[f].type == NETWORK_COUNT ? "a JSON integer"
                                                         : "a date written \"YYYY-MM-DD\"");
        } else if (problem && strcmp(problem, "not-integer") == 0) {
            doc_report(&ck->rep, p, problem,
                       "a count is a JSON integer such as 2, without a fraction or exponent");
        } else if (problem && strcmp(problem, "negative") == 0) {
            doc_report(&ck->rep, p, problem, "a count is 0 or more");
        } else if (problem && strcmp(problem, "too-large") == 0) {
            doc_report(&ck->rep, p, problem, "a count is at most %d", NETWORK_MAX_COUNT);
        } else if (problem) {
            doc_report(&ck->rep, p, problem,
                       "a date is written YYYY-MM-DD and is a real calendar day");
        } else if (fields[f].type == NETWORK_DATE && n > date_number(ly, lm, ld)) {
            doc_report(&ck->rep, p, "date-after-period",
                       "%s is after the period's last day, %04d-%02d-%02d", fields[f].name, ly, lm,
                       ld);
        } else {
            a->known[f] = true;
            a->value[f] = n;
        }
        free(p);
    }
}

/* Decodes {key: choice} where keys come from `keys` and choices from `choices` (partners and
 * prevention). */
static void decode_choices(struct checker *ck, const json_t *obj, const char *pointer,
                           const struct catalog_list *keys, const struct catalog_list *choices,
                           const char *what, const char *choice_what, const char *unknown_key,
                           const char *unknown_choice, signed char *out)
{
    if (!json_is_object(obj)) {
        doc_report(&ck->rep, pointer, "type", "%s is an object", pointer + 1);
        return;
    }
    char options[512];
    list_text(choices, options, sizeof options);
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)obj, key, value)
    {
        char *p = doc_pointer_join(pointer, key);
        int k = catalog_list_index(keys, key);
        int c = json_is_string(value) ? catalog_list_index(choices, json_string_value(value)) : -1;
        if (k < 0)
            doc_report(&ck->rep, p, unknown_key, "not a %s of the reference data", what);
        else if (json_is_null(value))
            doc_report(&ck->rep, p, "type",
                       "null is not a %s: leave the member out when it is not known", choice_what);
        else if (!json_is_string(value))
            doc_report(&ck->rep, p, "type", "a %s is a string: %s", choice_what, options);
        else if (c < 0)
            doc_report(&ck->rep, p, unknown_choice, "a %s is %s", choice_what, options);
        else
            out[k] = (signed char)c;
        free(p);
    }
}

static void network_clear(struct network *n)
{
    memset(n, 0, sizeof *n);
    memset(n->partners, -1, sizeof n->partners);
    memset(n->prevention, -1, sizeof n->prevention);
}

/* The body being decoded: the context of body_members. The sections know their own pointers. */
struct body_walk {
    struct checker *ck;
    struct network *out;
};

static void body_partners(void *ctx, const json_t *value, const char *pointer)
{
    struct body_walk *w = ctx;
    const struct catalog *cat = w->ck->cat;
    decode_choices(w->ck, value, "/partners", &cat->partner_types, &cat->partner_statuses,
                   "partner type", "partner status", "unknown-partner-type",
                   "unknown-partner-status", w->out->partners);
}

static void body_approach(void *ctx, const json_t *value, const char *pointer)
{
    struct body_walk *w = ctx;
    decode_approach(w->ck, value, &w->out->approach);
}

static void body_prevention(void *ctx, const json_t *value, const char *pointer)
{
    struct body_walk *w = ctx;
    const struct catalog *cat = w->ck->cat;
    decode_choices(w->ck, value, "/prevention", &cat->prevention_points, &cat->prevention_states,
                   "prevention point", "prevention state", "unknown-prevention-point",
                   "unknown-prevention-state", w->out->prevention);
}

static const struct doc_member body_members[] = {
    {"partners", body_partners},
    {"approach", body_approach},
    {"prevention", body_prevention},
};

int network_decode(const char *body, size_t len, const struct catalog *cat, struct period period,
                   struct network *out, struct violations *v)
{
    network_clear(out);
    struct checker ck = {.cat = cat, .period = period, .rep = {.v = v}};
    json_t *root =
        doc_load(&ck.rep, body, len, DOC_ROOT_OBJECT,
                 "the body is a JSON object with the members partners, approach and prevention");
    if (!root)
        return -1;
    struct body_walk w = {.ck = &ck, .out = out};
    doc_walk_members(&ck.rep, root, "", body_members, sizeof body_members / sizeof body_members[0],
                     "the body has only the members partners, approach and prevention", &w);
    json_decref(root);
    return ck.rep.found ? -1 : 0;
}

/* ---- output -------------------------------------------------------------------------------- */

static json_t *field_json(enum network_field f, int value)
{
    char date[16];
    switch (fields[f].type) {
    case NETWORK_BOOL:
        return json_boolean(value);
    case NETWORK_COUNT:
        return json_integer(value);
    case NETWORK_DATE:
        snprintf(date, sizeof date, "%04d-%02d-%02d", value / 10000, value / 100 % 100,
                 value % 100);
        return json_string(date);
    }
    return json_null();
}

json_t *network_to_json(const struct network *n, const struct catalog *cat)
{
    json_t *partners = json_object(), *approach = json_object(), *prevention = json_object();
    json_t *root = json_pack("{s:o, s:o, s:o}", "partners", partners, "approach", approach,
                             "prevention", prevention);
    if (!root)
        return NULL;
    for (size_t i = 0; i < cat->partner_types.n; i++)
        if (n->partners[i] >= 0)
            json_object_set_new(partners, cat->partner_types.keys[i],
                                json_string(cat->partner_statuses.keys[n->partners[i]]));
    for (int f = 0; f < NETWORK_FIELDS; f++)
        if (n->approach.known[f])
            json_object_set_new(approach, fields[f].name, field_json(f, n->approach.value[f]));
    for (size_t i = 0; i < cat->prevention_points.n; i++)
        if (n->prevention[i] >= 0)
            json_object_set_new(prevention, cat->prevention_points.keys[i],
                                json_string(cat->prevention_states.keys[n->prevention[i]]));
    return root;
}

char *network_canonical_json(const struct network *n, const struct catalog *cat)
{
    json_t *doc = network_to_json(n, cat);
    if (!doc)
        return NULL;
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return text;
}

/* ---- steps --------------------------------------------------------------------------------- */

/* Whether the date field f lies within `months` months before the period's last day, both ends
 * included. */
static enum step_state within(const struct network_approach *a, enum network_field f,
                              struct period period, int months)
{
    if (!a->known[f])
        return STEP_NOT_KNOWN;
    int ly, lm, ld, sy, sm, sd;
    period_last_day(period, &ly, &lm, &ld);
    network_months_before(ly, lm, ld, months, &sy, &sm, &sd);
    long long day = number_to_days(a->value[f]);
    return day >= date_to_days(sy, sm, sd) && day <= date_to_days(ly, lm, ld) ? STEP_MET
                                                                              : STEP_NOT_MET;
}

static enum step_state at_least(const struct network_approach *a, enum network_field f, int min)
{
    if (!a->known[f])
        return STEP_NOT_KNOWN;
    return a->value[f] >= min ? STEP_MET : STEP_NOT_MET;
}

void network_steps_eval(const struct network_approach *a, struct period period,
                        struct network_steps *out)
{
    out->state[STEP_SOCIAL_MAP] = (signed char)within(a, NETWORK_SOCIAL_MAP_UPDATED_ON, period, 12);
    out->state[STEP_PARTNER_MEETING] = (signed char)at_least(a, NETWORK_PARTNER_MEETING_HELD, 1);
    out->state[STEP_COORDINATOR] = (signed char)at_least(a, NETWORK_COORDINATOR_APPOINTED, 1);
    out->state[STEP_TRAINING] = (signed char)at_least(a, NETWORK_TRAININGS_THIS_YEAR, 1);
    out->state[STEP_NETWORK_MEETINGS] =
        (signed char)at_least(a, NETWORK_NETWORK_MEETINGS_THIS_YEAR, 2);
    out->state[STEP_NEWSLETTER] = (signed char)at_least(a, NETWORK_NEWSLETTER_ISSUES_THIS_YEAR, 1);
    out->state[STEP_ALDERMAN] = (signed char)within(a, NETWORK_ALDERMAN_INVOLVED_ON, period, 24);
    enum step_state report = at_least(a, NETWORK_ANNUAL_REPORT_PUBLISHED, 1);
    enum step_state plan = at_least(a, NETWORK_ANNUAL_PLAN_PUBLISHED, 1);
    out->state[STEP_ANNUAL_REPORT_PLAN] =
        (signed char)(report == STEP_NOT_MET || plan == STEP_NOT_MET ? STEP_NOT_MET
                      : report == STEP_MET && plan == STEP_MET       ? STEP_MET
                                                                     : STEP_NOT_KNOWN);
    out->met = out->known = 0;
    for (int s = 0; s < NETWORK_STEPS; s++) {
        out->met += out->state[s] == STEP_MET;
        out->known += out->state[s] != STEP_NOT_KNOWN;
    }
}

json_t *network_steps_json(const struct network_steps *s)
{
    json_t *obj = json_object();
    for (int i = 0; i < NETWORK_STEPS; i++)
        json_object_set_new(obj, step_keys[i],
                            s->state[i] == STEP_NOT_KNOWN ? json_null()
                                                          : json_boolean(s->state[i] == STEP_MET));
    return obj;
}

void network_approach_from_json(const json_t *approach, struct network_approach *out)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(approach))
        return;
    for (int f = 0; f < NETWORK_FIELDS; f++) {
        const json_t *value = json_object_get(approach, fields[f].name);
        int n = 0;
        if (value && !field_value(fields[f].type, value, &n)) {
            out->known[f] = true;
            out->value[f] = n;
        }
    }
}

int network_answer_add_steps(json_t *document, struct period period)
{
    struct network_approach a;
    struct network_steps s;
    network_approach_from_json(json_object_get(document, "approach"), &a);
    network_steps_eval(&a, period, &s);
    json_t *steps = network_steps_json(&s);
    if (!steps)
        return -1;
    int rc = json_object_set_new(document, "steps", steps);
    rc |= json_object_set_new(document, "stepsMet", json_integer(s.met));
    rc |= json_object_set_new(document, "stepsKnown", json_integer(s.known));
    return rc ? -1 : 0;
}

/* ---- regional tally ------------------------------------------------------------------------ */

void network_tally_reset(struct network_tally *t)
{
    memset(t, 0, sizeof *t);
}

/* Adds each key's choice (or notKnown, the column after the last choice) to counts. */
static void tally_choices(int counts[][CATALOG_MAX_LIST + 1], const json_t *obj,
                          const struct catalog_list *keys, const struct catalog_list *choices)
{
    for (size_t i = 0; i < keys->n; i++) {
        const json_t *value = json_object_get(obj, keys->keys[i]);
        int c = json_is_string(value) ? catalog_list_index(choices, json_string_value(value)) : -1;
        counts[i][c < 0 ? (int)choices->n : c]++;
    }
}

void network_tally_add(struct network_tally *t, const json_t *content, const struct catalog *cat,
                       struct period period)
{
    t->expected++;
    if (!content)
        return;
    t->reporting++;
    tally_choices(t->partners, json_object_get(content, "partners"), &cat->partner_types,
                  &cat->partner_statuses);
    tally_choices(t->prevention, json_object_get(content, "prevention"), &cat->prevention_points,
                  &cat->prevention_states);
    struct network_approach a;
    struct network_steps s;
    network_approach_from_json(json_object_get(content, "approach"), &a);
    network_steps_eval(&a, period, &s);
    t->steps_met[s.met]++;
    for (int i = 0; i < NETWORK_STEPS; i++)
        t->step_states[i][s.state[i] == STEP_MET ? 0 : s.state[i] == STEP_NOT_MET ? 1 : 2]++;
}

static json_t *choices_json(const int counts[][CATALOG_MAX_LIST + 1],
                            const struct catalog_list *keys, const struct catalog_list *choices)
{
    json_t *obj = json_object();
    for (size_t i = 0; i < keys->n; i++) {
        json_t *row = json_object();
        for (size_t c = 0; c < choices->n; c++)
            json_object_set_new(row, choices->keys[c], json_integer(counts[i][c]));
        json_object_set_new(row, "notKnown", json_integer(counts[i][choices->n]));
        json_object_set_new(obj, keys->keys[i], row);
    }
    return obj;
}

json_t *network_tally_json(const struct network_tally *t, const struct catalog *cat)
{
    json_t *met = json_object(), *steps = json_object();
    for (int i = 0; i <= NETWORK_STEPS; i++) {
        char key[4];
        snprintf(key, sizeof key, "%d", i);
        json_object_set_new(met, key, json_integer(t->steps_met[i]));
    }
    for (int i = 0; i < NETWORK_STEPS; i++)
        json_object_set_new(steps, step_keys[i],
                            json_pack("{s:i, s:i, s:i}", "met", t->step_states[i][0], "notMet",
                                      t->step_states[i][1], "notKnown", t->step_states[i][2]));
    return json_pack("{s:i, s:i, s:o, s:o, s:o, s:o}", "reporting", t->reporting, "expected",
                     t->expected, "stepsMet", met, "steps", steps, "partners",
                     choices_json(t->partners, &cat->partner_types, &cat->partner_statuses),
                     "prevention",
                     choices_json(t->prevention, &cat->prevention_points, &cat->prevention_states));
}
