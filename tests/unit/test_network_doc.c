/* Unit tests of core/network_doc: every violation code at its exact pointer, all violations of a
 * body listed, canonical text, the eight approach steps at their edges (exactly 12 and 24 months,
 * the period's last day, unknown inputs), the regional tally and its CSV. */
#include "core/network_doc.h"

#include <criterion/criterion.h>

#include "core/aggregate.h"
#include "core/aggregate_csv.h"
#include "tests/unit/fixtures/unit_support.h"

static struct catalog *cat;

static void setup(void)
{
    cat = load_catalog();
}

static void teardown(void)
{
    catalog_free(cat);
}

TestSuite(network_doc, .init = setup, .fini = teardown, .timeout = 30);

static const struct period Q2_2026 = {2026, 2};

static int decode_for(const char *body, struct period p, struct network *n, struct violations *v)
{
    violations_init(v);
    return network_decode(body, strlen(body), cat, p, n, v);
}

/* Asserts that body fails with exactly one violation, code at pointer. */
static void expect_only(const char *body, const char *pointer, const char *code)
{
    struct network n;
    struct violations v;
    char dump[4096];
    cr_assert_eq(decode_for(body, Q2_2026, &n, &v), -1, "%s must be refused", body);
    cr_assert_eq(violations_count(&v), 1, "%s: %s", body, vio_dump(&v, dump, sizeof dump));
    assert_violation(&v, pointer, code);
    violations_clear(&v);
}

/* Decodes a valid body (for Q2_2026 unless p is given) and returns its canonical text. */
static char *canonical(const char *body)
{
    struct network n;
    struct violations v;
    char dump[4096];
    cr_assert_eq(decode_for(body, Q2_2026, &n, &v), 0, "%s: %s", body,
                 vio_dump(&v, dump, sizeof dump));
    violations_clear(&v);
    char *text = network_canonical_json(&n, cat);
    cr_assert_not_null(text);
    return text;
}

/* The steps of an approach object (JSON text) for period p. */
static struct network_steps steps_of(const char *approach, struct period p)
{
    char body[2048];
    snprintf(body, sizeof body, "{\"approach\": %s}", approach);
    struct network n;
    struct violations v;
    char dump[4096];
    cr_assert_eq(decode_for(body, p, &n, &v), 0, "%s: %s", body, vio_dump(&v, dump, sizeof dump));
    violations_clear(&v);
    struct network_steps s;
    network_steps_eval(&n.approach, p, &s);
    return s;
}

static const char full_example[] =
    "{\"partners\": {\"veiligThuis\": \"committed\", \"policeVice\": \"engaged\","
    "                \"stiClinic\": \"absent\"},"
    " \"approach\": {\"socialMapUpdatedOn\": \"2026-03-01\", \"partnerMeetingHeld\": true,"
    "              \"coordinatorAppointed\": true, \"trainingsThisYear\": 2,"
    "              \"networkMeetingsThisYear\": 3, \"newsletterIssuesThisYear\": 4,"
    "              \"aldermanInvolvedOn\": \"2025-11-20\", \"annualReportPublished\": true,"
    "              \"annualPlanPublished\": true, \"expertsByExperienceInvolved\": true},"
    " \"prevention\": {\"problemInsight\": \"done\", \"onlineAttention\": \"inProgress\"}}";

/* ---- decoding and canonical text --------------------------------------------------------------
 */

Test(network_doc, design_example_is_valid_and_canonical)
{
    char *text = canonical(full_example);
    cr_assert_str_eq(
        text, "{\"partners\":{\"policeVice\":\"engaged\",\"veiligThuis\":\"committed\","
              "\"stiClinic\":\"absent\"},\"approach\":{\"socialMapUpdatedOn\":\"2026-03-01\","
              "\"partnerMeetingHeld\":true,\"coordinatorAppointed\":true,\"trainingsThisYear\":2,"
              "\"networkMeetingsThisYear\":3,\"newsletterIssuesThisYear\":4,"
              "\"aldermanInvolvedOn\":\"2025-11-20\",\"annualReportPublished\":true,"
              "\"annualPlanPublished\":true,\"expertsByExperienceInvolved\":true},"
              "\"prevention\":{\"problemInsight\":\"done\",\"onlineAttention\":\"inProgress\"}}");
    free(text);
}

Test(network_doc, empty_document_knows_nothing_and_has_all_sections)
{
    char *a = canonical("{}");
    cr_assert_str_eq(a, "{\"partners\":{},\"approach\":{},\"prevention\":{}}");
    char *b = canonical("{\"partners\": {}, \"approach\": {}, \"prevention\": {}}");
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
}

Test(network_doc, member_order_does_not_change_the_canonical_text)
{
    char *a = canonical("{\"prevention\": {\"onlineAttention\": \"done\", \"problemInsight\": "
                        "\"notStarted\"}, \"partners\": {\"stiClinic\": \"mapped\", "
                        "\"womensShelter\": \"absent\"}, \"approach\": {\"trainingsThisYear\": 0,"
                        " \"partnerMeetingHeld\": false}}");
    char *b = canonical("{\"partners\": {\"womensShelter\": \"absent\", \"stiClinic\": \"mapped\"},"
                        " \"approach\": {\"partnerMeetingHeld\": false, \"trainingsThisYear\": 0},"
                        " \"prevention\": {\"problemInsight\": \"notStarted\", "
                        "\"onlineAttention\": \"done\"}}");
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
}

Test(network_doc, every_violation_code_at_its_pointer)
{
    expect_only("{\"partners\": ", "", "malformed-json");
    expect_only("[]", "", "type");
    expect_only("{\"partners\": {\"veiligThuis\": \"mapped\", \"veiligThuis\": \"engaged\"}}",
                "/partners/veiligThuis", "duplicate-key");
    expect_only("{\"approach\": {}, \"approach\": {}}", "/approach", "duplicate-key");
    expect_only("{\"contactPerson\": \"Jan Jansen\"}", "/contactPerson", "unknown-field");
    expect_only("{\"partners\": []}", "/partners", "type");
    expect_only("{\"approach\": true}", "/approach", "type");
    expect_only("{\"prevention\": \"done\"}", "/prevention", "type");
    expect_only("{\"partners\": {\"dentist\": \"mapped\"}}", "/partners/dentist",
                "unknown-partner-type");
    expect_only("{\"partners\": {\"veiligThuis\": \"friendly\"}}", "/partners/veiligThuis",
                "unknown-partner-status");
    expect_only("{\"partners\": {\"veiligThuis\": 3}}", "/partners/veiligThuis", "type");
    expect_only("{\"partners\": {\"veiligThuis\": null}}", "/partners/veiligThuis", "type");
    expect_only("{\"partners\": {\"veiligThuis\": \"notKnown\"}}", "/partners/veiligThuis",
                "unknown-partner-status");
    expect_only("{\"approach\": {\"coordinatorName\": \"Piet\"}}", "/approach/coordinatorName",
                "unknown-approach-field");
    expect_only("{\"prevention\": {\"schoolVisits\": \"done\"}}", "/prevention/schoolVisits",
                "unknown-prevention-point");
    expect_only("{\"prevention\": {\"problemInsight\": \"finished\"}}",
                "/prevention/problemInsight", "unknown-prevention-state");
    expect_only("{\"approach\": {\"partnerMeetingHeld\": \"yes\"}}", "/approach/partnerMeetingHeld",
                "type");
    expect_only("{\"approach\": {\"partnerMeetingHeld\": 1}}", "/approach/partnerMeetingHeld",
                "type");
    expect_only("{\"approach\": {\"coordinatorAppointed\": null}}",
                "/approach/coordinatorAppointed", "type");
    expect_only("{\"approach\": {\"trainingsThisYear\": \"2\"}}", "/approach/trainingsThisYear",
                "type");
    expect_only("{\"approach\": {\"trainingsThisYear\": 1.5}}", "/approach/trainingsThisYear",
                "not-integer");
    expect_only("{\"approach\": {\"trainingsThisYear\": 2.0}}", "/approach/trainingsThisYear",
                "not-integer");
    expect_only("{\"approach\": {\"networkMeetingsThisYear\": -1}}",
                "/approach/networkMeetingsThisYear", "negative");
    expect_only("{\"approach\": {\"newsletterIssuesThisYear\": 1001}}",
                "/approach/newsletterIssuesThisYear", "too-large");
    expect_only("{\"approach\": {\"socialMapUpdatedOn\": 20260301}}",
                "/approach/socialMapUpdatedOn", "type");
    expect_only("{\"approach\": {\"socialMapUpdatedOn\": \"2026-02-30\"}}",
                "/approach/socialMapUpdatedOn", "malformed-date");
    expect_only("{\"approach\": {\"socialMapUpdatedOn\": \"2025-02-29\"}}",
                "/approach/socialMapUpdatedOn", "malformed-date");
    expect_only("{\"approach\": {\"socialMapUpdatedOn\": \"01-03-2026\"}}",
                "/approach/socialMapUpdatedOn", "malformed-date");
    expect_only("{\"approach\": {\"socialMapUpdatedOn\": \"2026-3-1\"}}",
                "/approach/socialMapUpdatedOn", "malformed-date");
    expect_only("{\"approach\": {\"aldermanInvolvedOn\": \"2026-03-01T10:00:00Z\"}}",
                "/approach/aldermanInvolvedOn", "malformed-date");
    expect_only("{\"approach\": {\"aldermanInvolvedOn\": \"2026-07-01\"}}",
                "/approach/aldermanInvolvedOn", "date-after-period");
    expect_only("{\"approach\": {\"socialMapUpdatedOn\": \"2027-01-01\"}}",
                "/approach/socialMapUpdatedOn", "date-after-period");
}

Test(network_doc, a_nul_escape_is_malformed_json)
{
    expect_only("{\"partners\":{\"veiligThuis\":\"committed\\u0000x\"}}", "", "malformed-json");
    expect_only("{\"approach\":{\"socialMapUpdatedOn\":\"2026-03-01\\u0000\"}}", "",
                "malformed-json");
    expect_only("{\"prevention\\u0000\":{}}", "", "malformed-json");
}

Test(network_doc, pointers_escape_slash_and_tilde)
{
    expect_only("{\"partners\": {\"a/b~c\": \"mapped\"}}", "/partners/a~1b~0c",
                "unknown-partner-type");
    expect_only("{\"x/y\": 1}", "/x~1y", "unknown-field");
}

Test(network_doc, every_violation_is_listed)
{
    const char *body = "{\"partners\": {\"veiligThuis\": \"x\", \"dentist\": \"mapped\"},"
                       " \"approach\": {\"trainingsThisYear\": -2, \"note\": \"Jan\","
                       "              \"aldermanInvolvedOn\": \"2026-07-01\"},"
                       " \"prevention\": {\"problemInsight\": \"ready\"}, \"name\": \"Jan\"}";
    struct network n;
    struct violations v;
    char dump[4096];
    cr_assert_eq(decode_for(body, Q2_2026, &n, &v), -1);
    cr_assert_eq(violations_count(&v), 7, "%s", vio_dump(&v, dump, sizeof dump));
    assert_violation(&v, "/partners/veiligThuis", "unknown-partner-status");
    assert_violation(&v, "/partners/dentist", "unknown-partner-type");
    assert_violation(&v, "/approach/trainingsThisYear", "negative");
    assert_violation(&v, "/approach/note", "unknown-approach-field");
    assert_violation(&v, "/approach/aldermanInvolvedOn", "date-after-period");
    assert_violation(&v, "/prevention/problemInsight", "unknown-prevention-state");
    assert_violation(&v, "/name", "unknown-field");
    violations_clear(&v);
}

Test(network_doc, details_do_not_echo_values)
{
    struct network n;
    struct violations v;
    char dump[4096];
    cr_assert_eq(
        decode_for("{\"partners\": {\"veiligThuis\": \"Jan Jansen 0612345678\"}}", Q2_2026, &n, &v),
        -1);
    cr_assert_null(strstr(vio_dump(&v, dump, sizeof dump), "Jansen"), "%s", dump);
    violations_clear(&v);
}

Test(network_doc, bounds_are_accepted)
{
    char *t = canonical("{\"approach\": {\"trainingsThisYear\": 0, \"networkMeetingsThisYear\": "
                        "1000, \"socialMapUpdatedOn\": \"2026-06-30\", \"aldermanInvolvedOn\": "
                        "\"1999-12-31\"}}");
    cr_assert_not_null(strstr(t, "\"networkMeetingsThisYear\":1000"));
    cr_assert_not_null(strstr(t, "\"socialMapUpdatedOn\":\"2026-06-30\""));
    free(t);
}

/* ---- steps -------------------------------------------------------------------------------------
 */

Test(network_doc, months_before_clamps_to_shorter_months)
{
    int y, m, d;
    network_months_before(2026, 6, 30, 12, &y, &m, &d);
    cr_assert(y == 2025 && m == 6 && d == 30);
    network_months_before(2026, 6, 30, 24, &y, &m, &d);
    cr_assert(y == 2024 && m == 6 && d == 30);
    network_months_before(2024, 2, 29, 12, &y, &m, &d);
    cr_assert(y == 2023 && m == 2 && d == 28);
    network_months_before(2025, 5, 31, 3, &y, &m, &d);
    cr_assert(y == 2025 && m == 2 && d == 28);
    network_months_before(2024, 12, 31, 10, &y, &m, &d);
    cr_assert(y == 2024 && m == 2 && d == 29);
    network_months_before(2025, 1, 15, 1, &y, &m, &d);
    cr_assert(y == 2024 && m == 12 && d == 15);
}

Test(network_doc, social_map_exactly_twelve_months_counts)
{
    /* 2026-Q2 ends 2026-06-30: the window is 2025-06-30 .. 2026-06-30. */
    struct network_steps s;
    s = steps_of("{\"socialMapUpdatedOn\": \"2025-06-30\"}", Q2_2026);
    cr_assert_eq(s.state[STEP_SOCIAL_MAP], STEP_MET);
    s = steps_of("{\"socialMapUpdatedOn\": \"2025-06-29\"}", Q2_2026);
    cr_assert_eq(s.state[STEP_SOCIAL_MAP], STEP_NOT_MET);
    s = steps_of("{\"socialMapUpdatedOn\": \"2026-06-30\"}", Q2_2026);
    cr_assert_eq(s.state[STEP_SOCIAL_MAP], STEP_MET, "the period's last day counts");
    /* 2024-Q1 ends 2024-03-31 (leap year): from 2023-03-31. */
    s = steps_of("{\"socialMapUpdatedOn\": \"2023-03-31\"}", (struct period){2024, 1});
    cr_assert_eq(s.state[STEP_SOCIAL_MAP], STEP_MET);
    s = steps_of("{\"socialMapUpdatedOn\": \"2023-03-30\"}", (struct period){2024, 1});
    cr_assert_eq(s.state[STEP_SOCIAL_MAP], STEP_NOT_MET);
}

Test(network_doc, alderman_exactly_twentyfour_months_counts)
{
    struct network_steps s;
    s = steps_of("{\"aldermanInvolvedOn\": \"2024-06-30\"}", Q2_2026);
    cr_assert_eq(s.state[STEP_ALDERMAN], STEP_MET);
    s = steps_of("{\"aldermanInvolvedOn\": \"2024-06-29\"}", Q2_2026);
    cr_assert_eq(s.state[STEP_ALDERMAN], STEP_NOT_MET);
    s = steps_of("{\"aldermanInvolvedOn\": \"2026-06-30\"}", Q2_2026);
    cr_assert_eq(s.state[STEP_ALDERMAN], STEP_MET);
    s = steps_of("{\"aldermanInvolvedOn\": \"2023-12-31\"}", (struct period){2025, 4});
    cr_assert_eq(s.state[STEP_ALDERMAN], STEP_MET);
    s = steps_of("{\"aldermanInvolvedOn\": \"2023-12-30\"}", (struct period){2025, 4});
    cr_assert_eq(s.state[STEP_ALDERMAN], STEP_NOT_MET);
}

Test(network_doc, one_day_after_the_period_is_refused)
{
    expect_only("{\"approach\": {\"socialMapUpdatedOn\": \"2026-07-01\"}}",
                "/approach/socialMapUpdatedOn", "date-after-period");
    struct network n;
    struct violations v;
    cr_assert_eq(decode_for("{\"approach\": {\"socialMapUpdatedOn\": \"2026-04-01\"}}",
                            (struct period){2026, 1}, &n, &v),
                 -1, "after 2026-Q1's last day, 2026-03-31");
    assert_violation(&v, "/approach/socialMapUpdatedOn", "date-after-period");
    violations_clear(&v);
}

Test(network_doc, count_and_boolean_thresholds)
{
    struct network_steps s;
    s = steps_of("{\"trainingsThisYear\": 0, \"networkMeetingsThisYear\": 1,"
                 " \"newsletterIssuesThisYear\": 0, \"partnerMeetingHeld\": false,"
                 " \"coordinatorAppointed\": false}",
                 Q2_2026);
    cr_assert_eq(s.state[STEP_TRAINING], STEP_NOT_MET);
    cr_assert_eq(s.state[STEP_NETWORK_MEETINGS], STEP_NOT_MET);
    cr_assert_eq(s.state[STEP_NEWSLETTER], STEP_NOT_MET);
    cr_assert_eq(s.state[STEP_PARTNER_MEETING], STEP_NOT_MET);
    cr_assert_eq(s.state[STEP_COORDINATOR], STEP_NOT_MET);
    cr_assert_eq(s.met, 0);
    cr_assert_eq(s.known, 5);
    s = steps_of("{\"trainingsThisYear\": 1, \"networkMeetingsThisYear\": 2,"
                 " \"newsletterIssuesThisYear\": 1, \"partnerMeetingHeld\": true,"
                 " \"coordinatorAppointed\": true}",
                 Q2_2026);
    cr_assert_eq(s.state[STEP_TRAINING], STEP_MET);
    cr_assert_eq(s.state[STEP_NETWORK_MEETINGS], STEP_MET);
    cr_assert_eq(s.state[STEP_NEWSLETTER], STEP_MET);
    cr_assert_eq(s.state[STEP_PARTNER_MEETING], STEP_MET);
    cr_assert_eq(s.state[STEP_COORDINATOR], STEP_MET);
    cr_assert_eq(s.met, 5);
    cr_assert_eq(s.known, 5);
}

Test(network_doc, annual_report_and_plan)
{
    static const struct {
        const char *approach;
        int want;
    } cases[] = {
        {"{\"annualReportPublished\": true, \"annualPlanPublished\": true}", STEP_MET},
        {"{\"annualReportPublished\": true, \"annualPlanPublished\": false}", STEP_NOT_MET},
        {"{\"annualReportPublished\": false}", STEP_NOT_MET},
        {"{\"annualPlanPublished\": false}", STEP_NOT_MET},
        {"{\"annualReportPublished\": true}", STEP_NOT_KNOWN},
        {"{\"annualPlanPublished\": true}", STEP_NOT_KNOWN},
        {"{}", STEP_NOT_KNOWN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct network_steps s = steps_of(cases[i].approach, Q2_2026);
        cr_assert_eq(s.state[STEP_ANNUAL_REPORT_PLAN], cases[i].want, "%s", cases[i].approach);
    }
}

Test(network_doc, unknown_inputs_give_null_steps)
{
    struct network_steps s = steps_of("{\"expertsByExperienceInvolved\": true}", Q2_2026);
    cr_assert_eq(s.met, 0);
    cr_assert_eq(s.known, 0, "experts by experience is not one of the eight steps");
    for (int i = 0; i < NETWORK_STEPS; i++)
        cr_assert_eq(s.state[i], STEP_NOT_KNOWN, "%s", network_step_key(i));
    json_t *j = network_steps_json(&s);
    cr_assert_eq(json_object_size(j), NETWORK_STEPS);
    cr_assert(json_is_null(json_object_get(j, "socialMap")));
    cr_assert(json_is_null(json_object_get(j, "annualReportPlan")));
    json_decref(j);
}

Test(network_doc, design_example_meets_all_eight_steps)
{
    struct network n;
    struct violations v;
    cr_assert_eq(decode_for(full_example, Q2_2026, &n, &v), 0);
    violations_clear(&v);
    struct network_steps s;
    network_steps_eval(&n.approach, Q2_2026, &s);
    cr_assert_eq(s.met, 8);
    cr_assert_eq(s.known, 8);
    /* 2027-Q1 ends 2027-03-31: the social map window starts 2026-03-31, so 2026-03-01 is out;
     * the alderman window starts 2025-03-31, so 2025-11-20 is in. */
    network_steps_eval(&n.approach, (struct period){2027, 1}, &s);
    cr_assert_eq(s.state[STEP_SOCIAL_MAP], STEP_NOT_MET);
    cr_assert_eq(s.state[STEP_ALDERMAN], STEP_MET);
    cr_assert_eq(s.met, 7);
    cr_assert_eq(s.known, 8);
}

Test(network_doc, answer_gets_steps_met_and_known)
{
    json_t *doc = json_loads("{\"partners\": {}, \"approach\": {\"partnerMeetingHeld\": true,"
                             " \"trainingsThisYear\": 0}, \"prevention\": {}, \"revision\": 3}",
                             0, NULL);
    cr_assert_eq(network_answer_add_steps(doc, Q2_2026), 0);
    json_t *steps = json_object_get(doc, "steps");
    cr_assert(json_is_true(json_object_get(steps, "partnerMeeting")));
    cr_assert(json_is_false(json_object_get(steps, "training")));
    cr_assert(json_is_null(json_object_get(steps, "socialMap")));
    cr_assert_eq(json_integer_value(json_object_get(doc, "stepsMet")), 1);
    cr_assert_eq(json_integer_value(json_object_get(doc, "stepsKnown")), 2);
    json_decref(doc);
}

/* ---- regional tally ----------------------------------------------------------------------------
 */

Test(network_doc, tally_counts_municipalities_and_not_known)
{
    struct network_tally *t = malloc(sizeof *t);
    network_tally_reset(t);
    const char *docs[] = {
        "{\"partners\": {\"veiligThuis\": \"committed\", \"stiClinic\": \"absent\"},"
        " \"approach\": {\"partnerMeetingHeld\": true, \"coordinatorAppointed\": true},"
        " \"prevention\": {\"problemInsight\": \"done\"}}",
        "{\"partners\": {\"veiligThuis\": \"mapped\"}, \"approach\": {\"partnerMeetingHeld\": "
        "false}, \"prevention\": {\"problemInsight\": \"inProgress\"}}",
        "{\"partners\": {}, \"approach\": {}, \"prevention\": {}}",
    };
    for (size_t i = 0; i < 3; i++) {
        json_t *d = json_loads(docs[i], 0, NULL);
        network_tally_add(t, d, cat, Q2_2026);
        json_decref(d);
    }
    network_tally_add(t, NULL, cat, Q2_2026);
    json_t *row = network_tally_json(t, cat);
    cr_assert_eq(json_integer_value(json_object_get(row, "reporting")), 3);
    cr_assert_eq(json_integer_value(json_object_get(row, "expected")), 4);
    json_t *met = json_object_get(row, "stepsMet");
    cr_assert_eq(json_object_size(met), 9);
    cr_assert_eq(json_integer_value(json_object_get(met, "2")), 1);
    cr_assert_eq(json_integer_value(json_object_get(met, "0")), 2);
    json_t *vt = json_object_get(json_object_get(row, "partners"), "veiligThuis");
    cr_assert_eq(json_integer_value(json_object_get(vt, "committed")), 1);
    cr_assert_eq(json_integer_value(json_object_get(vt, "mapped")), 1);
    cr_assert_eq(json_integer_value(json_object_get(vt, "absent")), 0);
    cr_assert_eq(json_integer_value(json_object_get(vt, "notKnown")), 1);
    json_t *partners = json_object_get(row, "partners");
    cr_assert_eq(json_object_size(partners), 21);
    const char *key;
    json_t *counts;
    json_object_foreach(partners, key, counts)
    {
        long long sum = 0;
        const char *k2;
        json_t *n;
        json_object_foreach(counts, k2, n) sum += json_integer_value(n);
        cr_assert_eq(sum, 3, "%s sums to reporting", key);
    }
    json_t *pi = json_object_get(json_object_get(row, "prevention"), "problemInsight");
    cr_assert_eq(json_integer_value(json_object_get(pi, "done")), 1);
    cr_assert_eq(json_integer_value(json_object_get(pi, "inProgress")), 1);
    cr_assert_eq(json_integer_value(json_object_get(pi, "notStarted")), 0);
    cr_assert_eq(json_integer_value(json_object_get(pi, "notKnown")), 1);
    json_t *pm = json_object_get(json_object_get(row, "steps"), "partnerMeeting");
    cr_assert_eq(json_integer_value(json_object_get(pm, "met")), 1);
    cr_assert_eq(json_integer_value(json_object_get(pm, "notMet")), 1);
    cr_assert_eq(json_integer_value(json_object_get(pm, "notKnown")), 1);

    /* The CSV: header, then 9 + 8*3 + 21*5 + 8*4 lines for the one row. */
    json_object_set_new(row, "region",
                        json_pack("{s:s, s:s}", "code", "VR25", "name", "Flevoland"));
    json_t *body = json_pack("{s:s, s:[o]}", "period", "2026-Q2", "rows", row);
    char *csv = aggregate_networks_csv(body, false);
    cr_assert_not_null(csv);
    size_t lines = 0;
    for (const char *p = csv; *p; p++)
        lines += *p == '\n';
    cr_assert_eq(lines, 1 + 9 + 24 + 105 + 32, "%zu lines", lines);
    cr_assert_eq(strncmp(csv,
                         "period,region_code,region_name,reporting,expected,section,item,"
                         "category,count\r\n",
                         77),
                 0, "%.100s", csv);
    cr_assert_not_null(strstr(csv, "2026-Q2,VR25,Flevoland,3,4,stepsMet,,2,1\r\n"));
    cr_assert_not_null(
        strstr(csv, "2026-Q2,VR25,Flevoland,3,4,partners,veiligThuis,notKnown,1\r\n"));
    free(csv);
    char *excel = aggregate_networks_csv(body, true);
    cr_assert_eq(strncmp(excel, "\xEF\xBB\xBFperiod;region_code;", 22), 0);
    cr_assert_not_null(
        strstr(excel, "2026-Q2;VR25;Flevoland;3;4;prevention;problemInsight;done;1\r\n"));
    free(excel);
    json_decref(body);
    free(t);
}

Test(network_doc, tally_treats_values_the_catalogue_no_longer_knows_as_not_known)
{
    struct network_tally t;
    network_tally_reset(&t);
    json_t *d = json_loads("{\"partners\": {\"veiligThuis\": \"retired\"}, \"approach\": "
                           "{\"trainingsThisYear\": \"x\"}}",
                           0, NULL);
    network_tally_add(&t, d, cat, Q2_2026);
    json_decref(d);
    json_t *row = network_tally_json(&t, cat);
    json_t *vt = json_object_get(json_object_get(row, "partners"), "veiligThuis");
    cr_assert_eq(json_integer_value(json_object_get(vt, "notKnown")), 1);
    json_t *tr = json_object_get(json_object_get(row, "steps"), "training");
    cr_assert_eq(json_integer_value(json_object_get(tr, "notKnown")), 1);
    json_decref(row);
}
