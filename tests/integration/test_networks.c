/* Black-box tests of partner networks (design §3.1 networks, §3.2, §3.3, §4):
 * PUT/GET/DELETE /v1/municipalities/{code}/networks/{period}, .../revisions, /v1/networks and the
 * network columns of /v1/completeness, against the daemon and database started by
 * tests/harness/env-up (CTest fixture "main").
 *
 * Criterion runs these tests in parallel processes against one daemon and database shared with
 * other test binaries: every test owns its (municipality, period) networks, listed beside it.
 * Networks are written by this file only, so the safety region Flevoland (VR25) in 2021-Q1 is
 * owned whole by the test that checks its counts by hand. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------------------------- */

#define BODY(r) ((r)->body_len > 1500 ? 1500 : (int)(r)->body_len), (r)->body

static const char *token(const char *key)
{
    const char *t = getenv(key);
    cr_assert(t != NULL && *t != '\0', "%s is empty: tests/harness/env-up could not create it",
              key);
    return t;
}

#define RAPPORTEUR token("TOKEN_RAPPORTEUR")

/* http_do, retried when the shared daemon rate-limits the shared token (429). */
static struct http_response *req(const char *method, const char *path, const char *tok,
                                 const char *ctype, const char *body, const char *const *hdrs)
{
    for (int attempt = 0;; attempt++) {
        struct http_response *r =
            http_do(method, path, tok, ctype, body, body ? strlen(body) : 0, hdrs);
        if (r->status != 429 || attempt >= 20)
            return r;
        http_response_free(r);
        usleep(300 * 1000);
    }
}

static char *network_path(const char *code, const char *period, const char *suffix)
{
    char *p = NULL;
    cr_assert(asprintf(&p, "/v1/municipalities/%s/networks/%s%s", code, period,
                       suffix ? suffix : "") > 0);
    return p;
}

static struct http_response *put_network(const char *tok, const char *code, const char *period,
                                         const char *query, const char *body,
                                         const char *const *hdrs)
{
    char *path = network_path(code, period, query);
    struct http_response *r = req("PUT", path, tok, "application/json", body, hdrs);
    free(path);
    return r;
}

static struct http_response *get_network(const char *tok, const char *code, const char *period,
                                         const char *suffix)
{
    char *path = network_path(code, period, suffix);
    struct http_response *r = req("GET", path, tok, NULL, NULL, NULL);
    free(path);
    return r;
}

static struct http_response *delete_network(const char *tok, const char *code, const char *period,
                                            const char *const *hdrs)
{
    char *path = network_path(code, period, NULL);
    struct http_response *r = req("DELETE", path, tok, NULL, NULL, hdrs);
    free(path);
    return r;
}

static void expect_status(struct http_response *r, long status, const char *what)
{
    cr_assert_eq(r->status, status, "%s: expected HTTP %ld, got %ld (curl code %d); body: %.*s",
                 what, status, r->status, r->curl_code, BODY(r));
    cr_assert(http_header(r, "X-Request-Id") != NULL, "%s: no X-Request-Id", what);
}

static void expect_problem(struct http_response *r, long status, const char *what)
{
    expect_status(r, status, what);
    cr_assert(http_is_problem(r), "%s: expected a problem+json %ld; body %.*s", what, status,
              BODY(r));
}

/* Checks the fields of a 200/201 network answer (or a GET): the document, its metadata and its
 * steps; the steps must say met/known as given. */
static void expect_network(struct http_response *r, const char *code, const char *period,
                           int revision, int met, int known, const char *what)
{
    json_t *d = r->json;
    cr_assert(json_is_object(d), "%s: body is not a JSON object: %.*s", what, BODY(r));
    cr_assert_str_eq(itest_str_of(d, "municipality") ? itest_str_of(d, "municipality") : "(none)",
                     code, "%s: municipality", what);
    cr_assert_str_eq(itest_str_of(d, "period") ? itest_str_of(d, "period") : "(none)", period,
                     "%s: period", what);
    cr_assert_eq(itest_int_of(d, "revision"), revision, "%s: revision; %.*s", what, BODY(r));
    cr_assert(json_is_object(json_object_get(d, "submittedBy")), "%s: submittedBy", what);
    cr_assert(json_is_string(json_object_get(d, "submittedAt")), "%s: submittedAt", what);
    json_t *warnings = json_object_get(d, "warnings");
    cr_assert(json_is_array(warnings) && json_array_size(warnings) == 0, "%s: warnings %.*s", what,
              BODY(r));
    cr_assert(json_is_object(json_object_get(d, "partners")), "%s: partners", what);
    cr_assert(json_is_object(json_object_get(d, "approach")), "%s: approach", what);
    cr_assert(json_is_object(json_object_get(d, "prevention")), "%s: prevention", what);
    json_t *steps = json_object_get(d, "steps");
    cr_assert(json_is_object(steps) && json_object_size(steps) == 8, "%s: steps %.*s", what,
              BODY(r));
    cr_assert_eq(itest_int_of(d, "stepsMet"), met, "%s: stepsMet; %.*s", what, BODY(r));
    cr_assert_eq(itest_int_of(d, "stepsKnown"), known, "%s: stepsKnown; %.*s", what, BODY(r));
    itest_expect_etag(r, revision, what);
}

/* The step's value in an answer: 1 true, 0 false, -1 null. */
static int step_of(json_t *doc, const char *step)
{
    json_t *v = json_object_get(json_object_get(doc, "steps"), step);
    cr_assert(v != NULL, "no step %s", step);
    return json_is_null(v) ? -1 : json_is_true(v);
}

static json_t *find_error(json_t *problem, const char *in, const char *where, const char *code)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(problem, "errors"), i, e)
    {
        const char *ein = itest_str_of(e, "in"), *ecode = itest_str_of(e, "code");
        const char *ewhere = itest_str_of(e, strcmp(in, "body") == 0 ? "pointer" : "name");
        if (ein && ecode && strcmp(ein, in) == 0 && strcmp(ecode, code) == 0 && ewhere &&
            strcmp(ewhere, where) == 0)
            return e;
    }
    return NULL;
}

static void expect_error(struct http_response *r, const char *in, const char *where,
                         const char *code, const char *what)
{
    expect_problem(r, 400, what);
    json_t *e = find_error(r->json, in, where, code);
    cr_assert(e != NULL, "%s: expected an error {in: %s, %s, code: %s}; got %.*s", what, in, where,
              code, BODY(r));
    cr_assert(itest_str_of(e, "detail") && *itest_str_of(e, "detail"), "%s: error without detail",
              what);
}

static void expect_absent(const char *code, const char *period, const char *what)
{
    struct http_response *r = get_network(RAPPORTEUR, code, period, NULL);
    expect_problem(r, 404, what);
    http_response_free(r);
}

static json_t *revisions_of(const char *tok, const char *code, const char *period)
{
    struct http_response *r = get_network(tok, code, period, "/revisions");
    expect_status(r, 200, "GET .../revisions");
    json_t *list = json_object_get(r->json, "revisions");
    cr_assert(json_is_array(list), "revisions: no array: %.*s", BODY(r));
    json_incref(list);
    http_response_free(r);
    return list;
}

/* The design's example body: every step met for 2020-Q2 when dated inside that period's windows. */
static const char FULL[] =
    "{\"partners\": {\"veiligThuis\": \"committed\", \"policeVice\": \"engaged\","
    "                \"stiClinic\": \"absent\"},"
    " \"approach\": {\"socialMapUpdatedOn\": \"2020-03-01\", \"partnerMeetingHeld\": true,"
    "              \"coordinatorAppointed\": true, \"trainingsThisYear\": 2,"
    "              \"networkMeetingsThisYear\": 3, \"newsletterIssuesThisYear\": 4,"
    "              \"aldermanInvolvedOn\": \"2019-11-20\", \"annualReportPublished\": true,"
    "              \"annualPlanPublished\": true, \"expertsByExperienceInvolved\": true},"
    " \"prevention\": {\"problemInsight\": \"done\", \"onlineAttention\": \"inProgress\"}}";

/* ---- create, unchanged, revisions ------------------------------------------------------------ */

/* GM0344 2020-Q2 */
Test(networks, create_unchanged_update_and_history, .timeout = 60)
{
    struct http_response *r = put_network(RAPPORTEUR, "GM0344", "2020-Q2", NULL, FULL, NULL);
    expect_status(r, 201, "first PUT");
    expect_network(r, "GM0344", "2020-Q2", 1, 8, 8, "first PUT");
    const char *loc = http_header(r, "Location");
    cr_assert(loc && strcmp(loc, "/v1/municipalities/GM0344/networks/2020-Q2") == 0, "Location %s",
              loc ? loc : "(none)");
    cr_assert_str_eq(itest_str_of(json_object_get(r->json, "partners"), "veiligThuis"),
                     "committed");
    cr_assert_eq(itest_int_of(json_object_get(r->json, "approach"), "trainingsThisYear"), 2);
    cr_assert_str_eq(itest_str_of(json_object_get(r->json, "prevention"), "onlineAttention"),
                     "inProgress");
    cr_assert(!json_is_true(json_object_get(r->json, "unchanged")));
    http_response_free(r);

    /* The same content, reordered and re-spaced: unchanged, no new revision. */
    static const char same[] =
        "{\"prevention\":{\"onlineAttention\":\"inProgress\",\"problemInsight\":\"done\"},"
        "\"approach\":{\"expertsByExperienceInvolved\":true,\"annualPlanPublished\":true,"
        "\"annualReportPublished\":true,\"aldermanInvolvedOn\":\"2019-11-20\","
        "\"newsletterIssuesThisYear\":4,\"networkMeetingsThisYear\":3,\"trainingsThisYear\":2,"
        "\"coordinatorAppointed\":true,\"partnerMeetingHeld\":true,"
        "\"socialMapUpdatedOn\":\"2020-03-01\"},\n\"partners\":{\"stiClinic\":\"absent\","
        "\"policeVice\":\"engaged\",\"veiligThuis\":\"committed\"}}";
    r = put_network(RAPPORTEUR, "GM0344", "2020-Q2", NULL, same, NULL);
    expect_status(r, 200, "same content PUT");
    cr_assert(json_is_true(json_object_get(r->json, "unchanged")), "not unchanged: %.*s", BODY(r));
    expect_network(r, "GM0344", "2020-Q2", 1, 8, 8, "same content PUT");
    http_response_free(r);

    /* A snapshot: what is left out is gone. */
    static const char less[] =
        "{\"partners\": {\"veiligThuis\": \"engaged\"}, \"approach\": {\"trainingsThisYear\": 0}}";
    r = put_network(RAPPORTEUR, "GM0344", "2020-Q2", NULL, less, NULL);
    expect_status(r, 200, "second PUT");
    expect_network(r, "GM0344", "2020-Q2", 2, 0, 1, "second PUT");
    cr_assert_eq(json_object_size(json_object_get(r->json, "partners")), 1);
    cr_assert_eq(json_object_size(json_object_get(r->json, "approach")), 1);
    cr_assert_eq(json_object_size(json_object_get(r->json, "prevention")), 0);
    cr_assert_eq(step_of(r->json, "training"), 0);
    cr_assert_eq(step_of(r->json, "socialMap"), -1);
    http_response_free(r);

    r = get_network(RAPPORTEUR, "GM0344", "2020-Q2", NULL);
    expect_status(r, 200, "GET current");
    expect_network(r, "GM0344", "2020-Q2", 2, 0, 1, "GET current");
    const char *cc = http_header(r, "Cache-Control");
    cr_assert(cc && strstr(cc, "no-store"), "Cache-Control %s", cc ? cc : "(none)");
    http_response_free(r);

    r = get_network(RAPPORTEUR, "GM0344", "2020-Q2", "?revision=1");
    expect_status(r, 200, "GET revision 1");
    expect_network(r, "GM0344", "2020-Q2", 1, 8, 8, "GET revision 1");
    cr_assert_eq(step_of(r->json, "annualReportPlan"), 1);
    http_response_free(r);

    r = get_network(RAPPORTEUR, "GM0344", "2020-Q2", "?revision=3");
    expect_problem(r, 404, "GET revision 3");
    http_response_free(r);

    json_t *list = revisions_of(RAPPORTEUR, "GM0344", "2020-Q2");
    cr_assert_eq(json_array_size(list), 2);
    cr_assert_eq(itest_int_of(json_array_get(list, 1), "revision"), 2);
    json_decref(list);
}

/* GM0344 2020-Q3, GM0344 2020-Q4 */
Test(networks, if_match, .timeout = 60)
{
    struct http_response *r = put_network(RAPPORTEUR, "GM0344", "2020-Q3", NULL, "{}", NULL);
    expect_status(r, 201, "first PUT");
    expect_network(r, "GM0344", "2020-Q3", 1, 0, 0, "first PUT");
    http_response_free(r);

    static const char *const stale[] = {"If-Match: \"2\"", NULL};
    static const char *const fresh[] = {"If-Match: \"1\"", NULL};
    static const char *const any[] = {"If-Match: *", NULL};
    static const char body[] = "{\"approach\": {\"coordinatorAppointed\": true}}";
    r = put_network(RAPPORTEUR, "GM0344", "2020-Q3", NULL, body, stale);
    expect_problem(r, 412, "stale If-Match");
    itest_expect_etag(r, 1, "stale If-Match");
    http_response_free(r);
    r = put_network(RAPPORTEUR, "GM0344", "2020-Q3", NULL, body, fresh);
    expect_status(r, 200, "matching If-Match");
    expect_network(r, "GM0344", "2020-Q3", 2, 1, 1, "matching If-Match");
    http_response_free(r);
    r = delete_network(RAPPORTEUR, "GM0344", "2020-Q3", fresh);
    expect_problem(r, 412, "DELETE with a stale If-Match");
    http_response_free(r);

    r = put_network(RAPPORTEUR, "GM0344", "2020-Q4", NULL, body, any);
    expect_problem(r, 412, "If-Match: * on nothing");
    http_response_free(r);
    expect_absent("GM0344", "2020-Q4", "after the refused If-Match: *");
}

/* GM0402 2020-Q1 */
Test(networks, dry_run_writes_nothing, .timeout = 60)
{
    struct http_response *r =
        put_network(RAPPORTEUR, "GM0402", "2020-Q1", "?dryRun=true", FULL, NULL);
    expect_status(r, 201, "dry-run PUT");
    cr_assert(json_is_true(json_object_get(r->json, "dryRun")), "no dryRun: %.*s", BODY(r));
    /* 2020-Q1 ends 2020-03-31: the social map (2020-03-01) and alderman (2019-11-20) count. */
    expect_network(r, "GM0402", "2020-Q1", 1, 8, 8, "dry-run PUT");
    cr_assert_null(http_header(r, "Location"));
    http_response_free(r);
    expect_absent("GM0402", "2020-Q1", "after a dry run");
    r = put_network(RAPPORTEUR, "GM0402", "2020-Q1", "?dryRun=true",
                    "{\"approach\": {\"trainingsThisYear\": -1}}", NULL);
    expect_error(r, "body", "/approach/trainingsThisYear", "negative", "invalid dry run");
    http_response_free(r);
}

/* GM0402 2020-Q2, GM0402 2020-Q3 */
Test(networks, steps_at_their_edges, .timeout = 60)
{
    /* 2020-Q2 ends 2020-06-30: 12 months back is 2019-06-30, 24 months 2018-06-30. */
    static const char edges[] =
        "{\"approach\": {\"socialMapUpdatedOn\": \"2019-06-30\", \"aldermanInvolvedOn\": "
        "\"2018-06-29\", \"networkMeetingsThisYear\": 1, \"newsletterIssuesThisYear\": 1,"
        " \"annualReportPublished\": true}}";
    struct http_response *r = put_network(RAPPORTEUR, "GM0402", "2020-Q2", NULL, edges, NULL);
    expect_status(r, 201, "edges PUT");
    expect_network(r, "GM0402", "2020-Q2", 1, 2, 4, "edges PUT");
    cr_assert_eq(step_of(r->json, "socialMap"), 1, "exactly 12 months counts");
    cr_assert_eq(step_of(r->json, "alderman"), 0, "24 months and a day does not");
    cr_assert_eq(step_of(r->json, "networkMeetings"), 0);
    cr_assert_eq(step_of(r->json, "newsletter"), 1);
    cr_assert_eq(step_of(r->json, "annualReportPlan"), -1, "the plan is not known");
    cr_assert_eq(step_of(r->json, "partnerMeeting"), -1);
    http_response_free(r);

    static const char last_day[] =
        "{\"approach\": {\"socialMapUpdatedOn\": \"2020-09-30\", \"aldermanInvolvedOn\": "
        "\"2018-09-30\", \"annualPlanPublished\": false}}";
    r = put_network(RAPPORTEUR, "GM0402", "2020-Q3", NULL, last_day, NULL);
    expect_status(r, 201, "last-day PUT");
    expect_network(r, "GM0402", "2020-Q3", 1, 2, 3, "last-day PUT");
    cr_assert_eq(step_of(r->json, "socialMap"), 1, "the period's last day counts");
    cr_assert_eq(step_of(r->json, "alderman"), 1, "exactly 24 months counts");
    cr_assert_eq(step_of(r->json, "annualReportPlan"), 0, "a plan not published decides");
    http_response_free(r);

    r = put_network(RAPPORTEUR, "GM0402", "2020-Q3", NULL,
                    "{\"approach\": {\"socialMapUpdatedOn\": \"2020-10-01\"}}", NULL);
    expect_error(r, "body", "/approach/socialMapUpdatedOn", "date-after-period",
                 "a day after the period");
    http_response_free(r);
    r = get_network(RAPPORTEUR, "GM0402", "2020-Q3", NULL);
    expect_network(r, "GM0402", "2020-Q3", 1, 2, 3, "after the refused PUT");
    http_response_free(r);
}

/* ---- validation ------------------------------------------------------------------------------ */

/* GM0518 2020-Q1 (never written) */
Test(validation, every_code_with_its_pointer, .timeout = 60)
{
    static const struct {
        const char *body, *pointer, *code;
    } cases[] = {
        {"{\"partners\": ", "", "malformed-json"},
        {"[1]", "", "type"},
        {"{\"partners\": {\"veiligThuis\": \"mapped\", \"veiligThuis\": \"mapped\"}}",
         "/partners/veiligThuis", "duplicate-key"},
        {"{\"contactPerson\": \"Jan Jansen\"}", "/contactPerson", "unknown-field"},
        {"{\"partners\": {\"dentist\": \"mapped\"}}", "/partners/dentist", "unknown-partner-type"},
        {"{\"partners\": {\"veiligThuis\": \"friends\"}}", "/partners/veiligThuis",
         "unknown-partner-status"},
        {"{\"approach\": {\"coordinatorName\": \"Piet\"}}", "/approach/coordinatorName",
         "unknown-approach-field"},
        {"{\"prevention\": {\"schoolVisits\": \"done\"}}", "/prevention/schoolVisits",
         "unknown-prevention-point"},
        {"{\"prevention\": {\"problemInsight\": \"finished\"}}", "/prevention/problemInsight",
         "unknown-prevention-state"},
        {"{\"approach\": {\"partnerMeetingHeld\": \"yes\"}}", "/approach/partnerMeetingHeld",
         "type"},
        {"{\"approach\": {\"trainingsThisYear\": 1.5}}", "/approach/trainingsThisYear",
         "not-integer"},
        {"{\"approach\": {\"trainingsThisYear\": -3}}", "/approach/trainingsThisYear", "negative"},
        {"{\"approach\": {\"networkMeetingsThisYear\": 1001}}", "/approach/networkMeetingsThisYear",
         "too-large"},
        {"{\"approach\": {\"socialMapUpdatedOn\": \"2019-02-29\"}}", "/approach/socialMapUpdatedOn",
         "malformed-date"},
        {"{\"approach\": {\"aldermanInvolvedOn\": \"2020-04-01\"}}", "/approach/aldermanInvolvedOn",
         "date-after-period"},
        {"{\"partners\": []}", "/partners", "type"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct http_response *r =
            put_network(RAPPORTEUR, "GM0518", "2020-Q1", NULL, cases[i].body, NULL);
        expect_error(r, "body", cases[i].pointer, cases[i].code, cases[i].body);
        cr_assert_eq(json_array_size(json_object_get(r->json, "errors")), 1, "%s: %.*s",
                     cases[i].body, BODY(r));
        http_response_free(r);
    }
    expect_absent("GM0518", "2020-Q1", "after refused PUTs");
}

/* GM0518 2020-Q2 (never written) */
Test(validation, every_violation_listed, .timeout = 60)
{
    static const char body[] =
        "{\"partners\": {\"veiligThuis\": \"x\", \"dentist\": \"mapped\"},"
        " \"approach\": {\"trainingsThisYear\": -2, \"note\": \"Jan\","
        "              \"aldermanInvolvedOn\": \"2020-07-01\"},"
        " \"prevention\": {\"problemInsight\": \"ready\"}, \"name\": \"Jan\"}";
    struct http_response *r = put_network(RAPPORTEUR, "GM0518", "2020-Q2", NULL, body, NULL);
    expect_problem(r, 400, "seven violations");
    cr_assert_eq(json_array_size(json_object_get(r->json, "errors")), 7, "%.*s", BODY(r));
    cr_assert(find_error(r->json, "body", "/name", "unknown-field"));
    cr_assert(find_error(r->json, "body", "/approach/aldermanInvolvedOn", "date-after-period"));
    cr_assert(find_error(r->json, "body", "/partners/dentist", "unknown-partner-type"));
    http_response_free(r);
    expect_absent("GM0518", "2020-Q2", "after the refused PUT");
}

/* GM0518 (never written) */
Test(validation, path_and_query_errors, .timeout = 60)
{
    struct http_response *r = put_network(RAPPORTEUR, "GM05", "2020-Q3", NULL, "{}", NULL);
    expect_error(r, "path", "code", "invalid-code", "bad code");
    http_response_free(r);
    r = put_network(RAPPORTEUR, "GM0518", "2020-Q5", NULL, "{}", NULL);
    expect_error(r, "path", "period", "malformed-period", "bad period");
    http_response_free(r);
    r = put_network(RAPPORTEUR, "GM0518", "2014-Q4", NULL, "{}", NULL);
    expect_error(r, "path", "period", "period-too-early", "before 2015");
    http_response_free(r);
    r = put_network(RAPPORTEUR, "GM0518", "2099-Q1", NULL, "{}", NULL);
    expect_error(r, "path", "period", "period-not-ended", "a future quarter");
    http_response_free(r);
    r = put_network(RAPPORTEUR, "GM0518", "2020-Q3", "?dryRun=maybe", "{}", NULL);
    expect_error(r, "query", "dryRun", "invalid", "dryRun=maybe");
    http_response_free(r);
    r = req("PUT", "/v1/municipalities/GM0518/networks/2020-Q3", RAPPORTEUR, "text/plain", "{}",
            NULL);
    expect_problem(r, 415, "text/plain");
    http_response_free(r);
    r = req("POST", "/v1/municipalities/GM0518/networks/2020-Q3", RAPPORTEUR, "application/json",
            "{}", NULL);
    expect_problem(r, 405, "POST");
    const char *allow = http_header(r, "Allow");
    cr_assert(allow && strstr(allow, "PUT") && strstr(allow, "DELETE"), "Allow %s",
              allow ? allow : "(none)");
    http_response_free(r);
    r = get_network(RAPPORTEUR, "GM0518", "2020-Q3", "/");
    expect_problem(r, 404, "trailing slash");
    http_response_free(r);
    expect_absent("GM0518", "2020-Q3", "after refused PUTs");
}

/* ---- access ---------------------------------------------------------------------------------- */

/* GM0599 2020-Q3 */
Test(access, matrix_and_delete, .timeout = 60)
{
    static const char body[] = "{\"partners\": {\"veiligThuis\": \"engaged\"}}";
    struct http_response *r;
    r = put_network(token("TOKEN_GM0599"), "GM0599", "2020-Q3", NULL, body, NULL);
    expect_status(r, 201, "own PUT");
    expect_network(r, "GM0599", "2020-Q3", 1, 0, 0, "own PUT");
    http_response_free(r);
    r = get_network(token("TOKEN_GM0599"), "GM0599", "2020-Q3", NULL);
    expect_status(r, 200, "own GET");
    http_response_free(r);
    json_decref(revisions_of(token("TOKEN_GM0599"), "GM0599", "2020-Q3"));

    const char *others[] = {token("TOKEN_GM0363"), token("TOKEN_ANALYST"), token("TOKEN_MULTI")};
    for (size_t i = 0; i < 3; i++) {
        r = put_network(others[i], "GM0599", "2020-Q3", NULL, body, NULL);
        expect_problem(r, 403, "another's PUT");
        http_response_free(r);
        r = get_network(others[i], "GM0599", "2020-Q3", NULL);
        expect_problem(r, 403, "another's GET");
        http_response_free(r);
        r = get_network(others[i], "GM0599", "2020-Q3", "/revisions");
        expect_problem(r, 403, "another's revisions");
        http_response_free(r);
        r = delete_network(others[i], "GM0599", "2020-Q3", NULL);
        expect_problem(r, 403, "another's DELETE");
        http_response_free(r);
    }
    r = delete_network(token("TOKEN_GM0599"), "GM0599", "2020-Q3", NULL);
    expect_problem(r, 403, "a municipality may not delete, even its own");
    http_response_free(r);

    r = put_network(RAPPORTEUR, "GM9999", "2020-Q3", NULL, body, NULL);
    expect_problem(r, 404, "unknown municipality PUT");
    http_response_free(r);
    r = get_network(RAPPORTEUR, "GM9999", "2020-Q3", NULL);
    expect_problem(r, 404, "unknown municipality GET");
    http_response_free(r);
    r = get_network(token("TOKEN_GM0599"), "GM9999", "2020-Q3", NULL);
    expect_problem(r, 404, "unknown municipality GET by a municipality");
    http_response_free(r);

    const char *bad[] = {NULL, "nonsense-token"};
    for (size_t i = 0; i < 2; i++) {
        r = put_network(bad[i], "GM0599", "2020-Q3", NULL, body, NULL);
        expect_problem(r, 401, "PUT without a valid token");
        http_response_free(r);
        r = get_network(bad[i], "GM0599", "2020-Q3", NULL);
        expect_problem(r, 401, "GET without a valid token");
        http_response_free(r);
        r = req("GET", "/v1/networks?period=2020-Q3", bad[i], NULL, NULL, NULL);
        expect_problem(r, 401, "/v1/networks without a valid token");
        http_response_free(r);
    }

    /* The rapporteur deletes: a tombstone revision, 404 after, a later PUT is 201 again. */
    r = delete_network(RAPPORTEUR, "GM0599", "2020-Q3", NULL);
    expect_status(r, 204, "rapporteur DELETE");
    http_response_free(r);
    expect_absent("GM0599", "2020-Q3", "after DELETE");
    r = delete_network(RAPPORTEUR, "GM0599", "2020-Q3", NULL);
    expect_problem(r, 404, "second DELETE");
    http_response_free(r);
    json_t *list = revisions_of(RAPPORTEUR, "GM0599", "2020-Q3");
    cr_assert_eq(json_array_size(list), 2);
    cr_assert(json_is_true(json_object_get(json_array_get(list, 1), "deleted")));
    json_decref(list);
    r = put_network(token("TOKEN_GM0599"), "GM0599", "2020-Q3", NULL, body, NULL);
    expect_status(r, 201, "PUT after DELETE");
    expect_network(r, "GM0599", "2020-Q3", 3, 0, 0, "PUT after DELETE");
    http_response_free(r);
}

/* ---- /v1/networks and /v1/completeness: Flevoland (VR25) in 2021-Q1, counted by hand -----------
 */

/* 2021-Q1 ends 2021-03-31: the social map counts from 2020-03-31, the alderman from 2019-03-31. */
static const struct {
    const char *code, *token_key, *body;
} flevoland[] = {
    /* all eight steps, both windows at their exact edge */
    {"GM0034", "TOKEN_MULTI",
     "{\"partners\": {\"veiligThuis\": \"committed\", \"policeVice\": \"engaged\","
     " \"stiClinic\": \"absent\"}, \"approach\": {\"socialMapUpdatedOn\": \"2020-03-31\","
     " \"partnerMeetingHeld\": true, \"coordinatorAppointed\": true, \"trainingsThisYear\": 1,"
     " \"networkMeetingsThisYear\": 2, \"newsletterIssuesThisYear\": 1,"
     " \"aldermanInvolvedOn\": \"2019-03-31\", \"annualReportPublished\": true,"
     " \"annualPlanPublished\": true}, \"prevention\": {\"problemInsight\": \"done\","
     " \"onlineAttention\": \"inProgress\"}}"},
    /* met: partnerMeeting, newsletter, alderman (3); socialMap a day too old */
    {"GM0050", "TOKEN_RAPPORTEUR",
     "{\"partners\": {\"veiligThuis\": \"committed\", \"policeVice\": \"mapped\"},"
     " \"approach\": {\"socialMapUpdatedOn\": \"2020-03-30\", \"partnerMeetingHeld\": true,"
     " \"coordinatorAppointed\": false, \"trainingsThisYear\": 0,"
     " \"networkMeetingsThisYear\": 1, \"newsletterIssuesThisYear\": 3,"
     " \"aldermanInvolvedOn\": \"2021-03-31\", \"annualReportPublished\": true},"
     " \"prevention\": {\"problemInsight\": \"notStarted\"}}"},
    /* knows one partner, nothing else: 0 steps */
    {"GM0171", "TOKEN_RAPPORTEUR", "{\"partners\": {\"veiligThuis\": \"mapped\"}}"},
    /* met: partnerMeeting, coordinator (2); annualReportPlan false */
    {"GM0184", "TOKEN_RAPPORTEUR",
     "{\"approach\": {\"partnerMeetingHeld\": true, \"coordinatorAppointed\": true,"
     " \"annualReportPublished\": false}, \"prevention\": {\"problemInsight\": \"done\","
     " \"onlineAttention\": \"done\"}}"},
};

static long long count_at(json_t *row, const char *section, const char *item, const char *cat)
{
    json_t *holder = json_object_get(row, section);
    if (item)
        holder = json_object_get(holder, item);
    json_t *v = json_object_get(holder, cat);
    cr_assert(json_is_integer(v), "%s/%s/%s is not an integer", section, item ? item : "", cat);
    return json_integer_value(v);
}

static void push_flevoland(void)
{
    for (size_t i = 0; i < sizeof flevoland / sizeof flevoland[0]; i++) {
        struct http_response *r = put_network(token(flevoland[i].token_key), flevoland[i].code,
                                              "2021-Q1", NULL, flevoland[i].body, NULL);
        cr_assert(r->status == 201 || r->status == 200, "PUT %s: %ld %.*s", flevoland[i].code,
                  r->status, BODY(r));
        http_response_free(r);
    }
    /* The other two members of VR25 have no network. */
    const char *none[] = {"GM0303", "GM0995"};
    for (size_t i = 0; i < 2; i++) {
        struct http_response *r = delete_network(RAPPORTEUR, none[i], "2021-Q1", NULL);
        cr_assert(r->status == 204 || r->status == 404, "DELETE %s: %ld", none[i], r->status);
        http_response_free(r);
    }
}

/* GM0034, GM0050, GM0171, GM0184, GM0303, GM0995 2021-Q1 */
Test(aggregate, flevoland_counted_by_hand, .timeout = 60)
{
    push_flevoland();
    struct http_response *r =
        req("GET", "/v1/networks?period=2021-Q1&regionSet=safetyRegion&region=VR25",
            token("TOKEN_ANALYST"), NULL, NULL, NULL);
    expect_status(r, 200, "/v1/networks VR25");
    cr_assert_str_eq(itest_str_of(r->json, "regionSet"), "safetyRegion");
    json_t *rows = json_object_get(r->json, "rows");
    cr_assert_eq(json_array_size(rows), 1, "%.*s", BODY(r));
    json_t *row = json_array_get(rows, 0);
    cr_assert_str_eq(itest_str_of(json_object_get(row, "region"), "code"), "VR25");
    cr_assert_str_eq(itest_str_of(row, "period"), "2021-Q1");
    cr_assert_eq(itest_int_of(row, "expected"), 6);
    cr_assert_eq(itest_int_of(row, "reporting"), 4);

    /* stepsMet: GM0034 8, GM0050 3, GM0171 0, GM0184 2. */
    static const int met[9] = {1, 0, 1, 1, 0, 0, 0, 0, 1};
    for (int i = 0; i <= 8; i++) {
        char k[4];
        snprintf(k, sizeof k, "%d", i);
        cr_assert_eq(count_at(row, "stepsMet", NULL, k), met[i], "stepsMet %d: %.*s", i, BODY(r));
    }
    cr_assert_eq(count_at(row, "steps", "socialMap", "met"), 1);
    cr_assert_eq(count_at(row, "steps", "socialMap", "notMet"), 1);
    cr_assert_eq(count_at(row, "steps", "socialMap", "notKnown"), 2);
    cr_assert_eq(count_at(row, "steps", "partnerMeeting", "met"), 3);
    cr_assert_eq(count_at(row, "steps", "partnerMeeting", "notKnown"), 1);
    cr_assert_eq(count_at(row, "steps", "annualReportPlan", "met"), 1);
    cr_assert_eq(count_at(row, "steps", "annualReportPlan", "notMet"), 1);
    cr_assert_eq(count_at(row, "steps", "annualReportPlan", "notKnown"), 2);

    cr_assert_eq(count_at(row, "partners", "veiligThuis", "committed"), 2);
    cr_assert_eq(count_at(row, "partners", "veiligThuis", "mapped"), 1);
    cr_assert_eq(count_at(row, "partners", "veiligThuis", "engaged"), 0);
    cr_assert_eq(count_at(row, "partners", "veiligThuis", "absent"), 0);
    cr_assert_eq(count_at(row, "partners", "veiligThuis", "notKnown"), 1);
    cr_assert_eq(count_at(row, "partners", "policeVice", "engaged"), 1);
    cr_assert_eq(count_at(row, "partners", "policeVice", "mapped"), 1);
    cr_assert_eq(count_at(row, "partners", "policeVice", "notKnown"), 2);
    cr_assert_eq(count_at(row, "partners", "stiClinic", "absent"), 1);
    cr_assert_eq(count_at(row, "partners", "stiClinic", "notKnown"), 3);
    cr_assert_eq(count_at(row, "partners", "womensShelter", "notKnown"), 4);
    cr_assert_eq(json_object_size(json_object_get(row, "partners")), 21);

    cr_assert_eq(count_at(row, "prevention", "problemInsight", "done"), 2);
    cr_assert_eq(count_at(row, "prevention", "problemInsight", "notStarted"), 1);
    cr_assert_eq(count_at(row, "prevention", "problemInsight", "inProgress"), 0);
    cr_assert_eq(count_at(row, "prevention", "problemInsight", "notKnown"), 1);
    cr_assert_eq(count_at(row, "prevention", "onlineAttention", "inProgress"), 1);
    cr_assert_eq(count_at(row, "prevention", "onlineAttention", "done"), 1);
    cr_assert_eq(count_at(row, "prevention", "onlineAttention", "notKnown"), 2);
    cr_assert_eq(count_at(row, "prevention", "disabilityAttention", "notKnown"), 4);
    cr_assert_eq(json_object_size(json_object_get(row, "prevention")), 8);
    http_response_free(r);

    /* Per municipality: GM0034 alone meets all eight. Municipalities may read aggregates too. */
    r = req("GET", "/v1/networks?period=2021-Q1&regionSet=municipality&region=GM0034,GM0303",
            token("TOKEN_GM0599"), NULL, NULL, NULL);
    expect_status(r, 200, "/v1/networks per municipality");
    rows = json_object_get(r->json, "rows");
    cr_assert_eq(json_array_size(rows), 2, "%.*s", BODY(r));
    cr_assert_str_eq(itest_str_of(json_object_get(json_array_get(rows, 0), "region"), "code"),
                     "GM0034");
    cr_assert_eq(count_at(json_array_get(rows, 0), "stepsMet", NULL, "8"), 1);
    cr_assert_eq(itest_int_of(json_array_get(rows, 1), "reporting"), 0);
    cr_assert_eq(itest_int_of(json_array_get(rows, 1), "expected"), 1);
    http_response_free(r);

    /* /v1/completeness counts the networks. */
    r = req("GET", "/v1/completeness?period=2021-Q1&regionSet=safetyRegion&region=VR25", RAPPORTEUR,
            NULL, NULL, NULL);
    expect_status(r, 200, "/v1/completeness VR25");
    row = json_array_get(json_object_get(r->json, "rows"), 0);
    cr_assert_eq(itest_int_of(row, "expected"), 6);
    cr_assert_eq(itest_int_of(row, "networks"), 4, "%.*s", BODY(r));
    json_t *missing = json_object_get(row, "missingNetworks");
    cr_assert_eq(json_array_size(missing), 2, "%.*s", BODY(r));
    cr_assert_str_eq(json_string_value(json_array_get(missing, 0)), "GM0303");
    cr_assert_str_eq(json_string_value(json_array_get(missing, 1)), "GM0995");
    http_response_free(r);
}

/* Reads VR25 2021-Q1 (pushing the same documents, which leaves them unchanged). */
Test(aggregate, csv_parses, .timeout = 60)
{
    push_flevoland();
    struct http_response *r =
        req("GET", "/v1/networks?period=2021-Q1&regionSet=safetyRegion&region=VR25&format=csv",
            RAPPORTEUR, NULL, NULL, NULL);
    expect_status(r, 200, "CSV");
    const char *ct = http_header(r, "Content-Type");
    cr_assert(ct && strncmp(ct, "text/csv", 8) == 0, "Content-Type %s", ct ? ct : "(none)");
    /* Every line has nine fields; the header names them. */
    size_t lines = 0;
    int found_steps = 0, found_partner = 0, found_prevention = 0;
    char *save = NULL, *copy = strdup(r->body);
    for (char *line = strtok_r(copy, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
        int commas = 0;
        for (char *p = line; *p; p++)
            commas += *p == ',';
        cr_assert_eq(commas, 8, "line %zu: %s", lines + 1, line);
        if (lines == 0)
            cr_assert_str_eq(line, "period,region_code,region_name,reporting,expected,section,"
                                   "item,category,count");
        found_steps |= strcmp(line, "2021-Q1,VR25,Flevoland,4,6,stepsMet,,8,1") == 0;
        found_partner |= strcmp(line, "2021-Q1,VR25,Flevoland,4,6,partners,veiligThuis,"
                                      "notKnown,1") == 0;
        found_prevention |= strcmp(line, "2021-Q1,VR25,Flevoland,4,6,prevention,problemInsight,"
                                         "done,2") == 0;
        lines++;
    }
    free(copy);
    cr_assert_eq(lines, 1 + 9 + 8 * 3 + 21 * 5 + 8 * 4, "%zu lines", lines);
    cr_assert(found_steps && found_partner && found_prevention, "%.*s", BODY(r));
    http_response_free(r);

    static const char *const accept_csv[] = {"Accept: text/csv", NULL};
    r = req("GET",
            "/v1/networks?period=2021-Q1&regionSet=safetyRegion&region=VR25&delimiter=semicolon",
            token("TOKEN_ANALYST"), NULL, NULL, accept_csv);
    expect_status(r, 200, "Excel CSV");
    cr_assert(r->body_len > 3 && memcmp(r->body, "\xEF\xBB\xBF", 3) == 0, "no BOM");
    cr_assert(strstr(r->body, "2021-Q1;VR25;Flevoland;4;6;stepsMet;;8;1\r\n"), "%.*s", BODY(r));
    http_response_free(r);
}

/* No resources. */
Test(aggregate, query_errors, .timeout = 60)
{
    struct http_response *r = req("GET", "/v1/networks", RAPPORTEUR, NULL, NULL, NULL);
    expect_error(r, "query", "period", "required", "no period");
    http_response_free(r);
    r = req("GET", "/v1/networks?period=2021-Q9", RAPPORTEUR, NULL, NULL, NULL);
    expect_error(r, "query", "period", "malformed-period", "bad period");
    http_response_free(r);
    r = req("GET", "/v1/networks?period=2021-Q1&breakdown=gender", RAPPORTEUR, NULL, NULL, NULL);
    expect_error(r, "query", "breakdown", "unknown-parameter", "a funnel-only parameter");
    http_response_free(r);
    r = req("GET", "/v1/networks?period=2021-Q1&format=xml", RAPPORTEUR, NULL, NULL, NULL);
    expect_error(r, "query", "format", "invalid", "format=xml");
    http_response_free(r);
    r = req("GET", "/v1/networks?period=2021-Q1&regionSet=nosuchset", RAPPORTEUR, NULL, NULL, NULL);
    expect_problem(r, 404, "unknown region set");
    http_response_free(r);
    r = req("GET", "/v1/networks?period=2021-Q1&regionSet=safetyRegion&region=VR99", RAPPORTEUR,
            NULL, NULL, NULL);
    expect_problem(r, 404, "unknown region");
    http_response_free(r);
    r = req("GET", "/v1/networks?period=2021-Q1", RAPPORTEUR, NULL, NULL, NULL);
    expect_status(r, 200, "the nation by default");
    json_t *row = json_array_get(json_object_get(r->json, "rows"), 0);
    cr_assert_str_eq(itest_str_of(json_object_get(row, "region"), "code"), "NL01");
    cr_assert(itest_int_of(row, "expected") >= 300, "%.*s", BODY(r));
    cr_assert(itest_int_of(row, "reporting") >= 4, "%.*s", BODY(r));
    http_response_free(r);
}

/* ---- Idempotency-Key (issue 20 item 11) ---------------------------------------------------- */

static void keyed_header(char *out, size_t cap, const char *tag)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(out, cap, "Idempotency-Key: networks-%s-%ld-%ld-%ld", tag, (long)getpid(),
             (long)ts.tv_sec, ts.tv_nsec);
}

static bool replayed(struct http_response *r)
{
    const char *h = http_header(r, "Idempotent-Replayed");
    return h && strcmp(h, "true") == 0;
}

/* GM0363 2020-Q2; GM0363 2020-Q3 (never written). A network is a submission kind like the funnel:
 * its PUT and DELETE take an Idempotency-Key the same way, and a replay carries the steps the
 * first answer derived. */
Test(networks, a_keyed_retry_gets_the_first_answer_and_writes_nothing, .timeout = 60)
{
    char put_key[160], delete_key[160];
    keyed_header(put_key, sizeof put_key, "put");
    keyed_header(delete_key, sizeof delete_key, "delete");
    const char *const put_keyed[] = {put_key, NULL};
    const char *const delete_keyed[] = {delete_key, NULL};
    const char *gm0363 = token("TOKEN_GM0363");

    struct http_response *first = put_network(gm0363, "GM0363", "2020-Q2", NULL, FULL, put_keyed);
    expect_status(first, 201, "keyed PUT");
    expect_network(first, "GM0363", "2020-Q2", 1, 8, 8, "keyed PUT");
    cr_assert(!replayed(first), "the first answer says it was replayed");
    struct http_response *r = put_network(RAPPORTEUR, "GM0363", "2020-Q2", NULL, "{}", NULL);
    expect_status(r, 200, "another writer");
    http_response_free(r);

    struct http_response *again = put_network(gm0363, "GM0363", "2020-Q2", NULL, FULL, put_keyed);
    expect_status(again, 201, "keyed retry");
    cr_assert(replayed(again), "the retry lacks Idempotent-Replayed: true");
    expect_network(again, "GM0363", "2020-Q2", 1, 8, 8, "keyed retry");
    cr_assert(json_equal(first->json, again->json), "replayed answer differs:\n%.*s\n%.*s",
              BODY(first), BODY(again));
    http_response_free(again);
    http_response_free(first);
    r = get_network(RAPPORTEUR, "GM0363", "2020-Q2", NULL);
    expect_network(r, "GM0363", "2020-Q2", 2, 0, 0, "GET after the keyed retry");
    http_response_free(r);

    r = put_network(gm0363, "GM0363", "2020-Q2", NULL, "{\"partners\": {}}", put_keyed);
    expect_problem(r, 409, "same key, another body");
    cr_assert(strstr(itest_str_of(r->json, "type"), "/idempotency-conflict"), "%.*s", BODY(r));
    http_response_free(r);
    r = put_network(gm0363, "GM0363", "2020-Q3", NULL, FULL, put_keyed);
    expect_problem(r, 409, "same key, another period");
    http_response_free(r);
    expect_absent("GM0363", "2020-Q3", "the other period after a 409");

    r = delete_network(RAPPORTEUR, "GM0363", "2020-Q2", delete_keyed);
    expect_status(r, 204, "keyed DELETE");
    cr_assert(!replayed(r));
    http_response_free(r);
    r = delete_network(RAPPORTEUR, "GM0363", "2020-Q2", delete_keyed);
    expect_status(r, 204, "keyed DELETE retried (a bare retry would be 404)");
    cr_assert(replayed(r), "the DELETE's retry lacks Idempotent-Replayed: true");
    http_response_free(r);
    r = put_network(gm0363, "GM0363", "2020-Q2", NULL, FULL, put_keyed);
    expect_status(r, 201, "the keyed PUT once more, after the delete");
    cr_assert(replayed(r));
    http_response_free(r);
    expect_absent("GM0363", "2020-Q2", "a replay re-created the deleted network");
    json_t *list = revisions_of(RAPPORTEUR, "GM0363", "2020-Q2");
    cr_assert_eq(json_array_size(list), 3, "revisions: two PUTs and one tombstone, no more");
    json_decref(list);
}
