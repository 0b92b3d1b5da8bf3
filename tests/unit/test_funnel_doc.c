/* Unit tests of core/catalog and core/funnel_doc: every violation code at its exact pointer, all
 * violations of a body listed, canonical text, cells, and stage-order warnings. */
#include "core/funnel_doc.h"

#include <criterion/criterion.h>

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

TestSuite(funnel_doc, .init = setup, .fini = teardown, .timeout = 30);

/* Decodes body; returns funnel_decode's result with violations in *v (caller clears). */
static int decode(const char *body, struct funnel *f, struct violations *v)
{
    violations_init(v);
    return funnel_decode(body, strlen(body), cat, f, v);
}

/* Asserts that body fails with exactly one violation, code at pointer. */
static void expect_only(const char *body, const char *pointer, const char *code)
{
    struct funnel f;
    struct violations v;
    char dump[4096];
    cr_assert_eq(decode(body, &f, &v), -1, "%s must be refused", body);
    cr_assert_eq(violations_count(&v), 1, "%s: %s", body, vio_dump(&v, dump, sizeof dump));
    assert_violation(&v, pointer, code);
    violations_clear(&v);
}

Test(funnel_doc, catalog_fixture_holds_the_reference_data)
{
    cr_assert_eq(cat->nstages, 6);
    cr_assert_eq(catalog_stage_index(cat, "occurred"), 0);
    cr_assert_eq(catalog_stage_index(cat, "helped"), 5);
    cr_assert_eq(catalog_stage_index(cat, "Helped"), -1);
    cr_assert_eq(cat->ndimensions, 5);
    int care = catalog_dimension_index(cat, "care");
    cr_assert_eq(care, 4);
    cr_assert_eq(catalog_category_index(cat, catalog_dimension_index(cat, "ageBand"), "16-17"), 3);
    cr_assert_eq(catalog_category_index(cat, care, "girl"), -1);
    cr_assert(catalog_stage_allows(cat, 5, care));
    cr_assert_not(catalog_stage_allows(cat, 2, care), "care is for helped only");
    cr_assert(catalog_stage_allows(cat, 2, 0));
    cr_assert_eq(cat->partner_types.n, 21);
    cr_assert_eq(catalog_list_index(&cat->partner_statuses, "committed"), 3);
    cr_assert_eq(cat->prevention_points.n, 8);
    cr_assert_eq(cat->prevention_states.n, 3);
}

Test(funnel_doc, catalog_refuses_bad_reference_data)
{
    struct catalog *c = NULL;
    char err[200];
    static const char *const bad[] = {
        "{\"stages\":[\"a\",\"a\"],\"dimensions\":{},\"stageDimensions\":{},\"partnerTypes\":[],"
        "\"partnerStatuses\":[],\"preventionPoints\":[],\"preventionStates\":[]}",
        "{\"stages\":[\"a\"],\"dimensions\":{\"d\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\","
        "\"8\","
        "\"9\"]},\"stageDimensions\":{},\"partnerTypes\":[],\"partnerStatuses\":[],"
        "\"preventionPoints\":[],\"preventionStates\":[]}",
        "{\"stages\":[\"a|b\"],\"dimensions\":{},\"stageDimensions\":{},\"partnerTypes\":[],"
        "\"partnerStatuses\":[],\"preventionPoints\":[],\"preventionStates\":[]}",
        "{\"stages\":[\"a\"],\"dimensions\":{},\"stageDimensions\":{\"b\":[]},\"partnerTypes\":[],"
        "\"partnerStatuses\":[],\"preventionPoints\":[],\"preventionStates\":[]}",
        "{\"stages\":[\"a\"],\"stages\":[\"b\"]}",
        "{\"stages\":[\"a\"],\"dimensions\":{}}",
        "[]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        cr_assert_eq(catalog_from_json(bad[i], strlen(bad[i]), &c, err, sizeof err), -1, "%zu", i);
        cr_assert_null(c);
        cr_assert_neq(err[0], '\0', "an explanation is given");
    }
}

Test(funnel_doc, the_design_example_is_valid)
{
    struct funnel f;
    struct violations v;
    const char *body = "{\"stages\": {\"signalled\": {\"total\": 41, \"breakdowns\": {\"gender\": "
                       "{\"girl\": 27, \"boy\": 13, \"unknown\": 1}}}, \"reported\": {\"total\": "
                       "30}}}";
    char dump[2048];
    cr_assert_eq(decode(body, &f, &v), 0, "%s", vio_dump(&v, dump, sizeof dump));
    cr_assert_eq(violations_count(&v), 0);
    int s = catalog_stage_index(cat, "signalled");
    cr_assert(f.stages[s].known);
    cr_assert_eq(f.stages[s].total, 41);
    cr_assert(f.stages[s].breakdowns[0].given);
    cr_assert_eq(f.stages[s].breakdowns[0].counts[0], 27);
    cr_assert_eq(f.stages[s].breakdowns[0].counts[2], 0, "other left out counts 0");
    cr_assert_not(f.stages[s].breakdowns[1].given);
    cr_assert_not(f.stages[0].known, "occurred left out is not known");
    violations_clear(&v);
}

Test(funnel_doc, an_empty_stages_object_knows_nothing_and_is_valid)
{
    struct funnel f;
    struct violations v;
    cr_assert_eq(decode("{\"stages\":{}}", &f, &v), 0);
    for (size_t s = 0; s < cat->nstages; s++)
        cr_assert_not(f.stages[s].known);
    char *text = funnel_canonical_json(&f, cat);
    cr_assert_str_eq(text, "{\"stages\":{}}");
    free(text);
    violations_clear(&v);
}

Test(funnel_doc, malformed_json_names_line_and_column)
{
    struct funnel f;
    struct violations v;
    cr_assert_eq(decode("{\"stages\": {\n  \"reported\": {\"total\": 3,}}}", &f, &v), -1);
    cr_assert_eq(violations_count(&v), 1);
    assert_violation(&v, "", "malformed-json");
    cr_assert(strstr(vio_field(&v, 0, "detail"), "line 2") != NULL, "%s",
              vio_field(&v, 0, "detail"));
    violations_clear(&v);
    expect_only("", "", "malformed-json");
    expect_only("{\"stages\":{}} trailing", "", "malformed-json");
    expect_only("{\"stages\":{\"reported\":{\"total\":\"\xff\"}}}", "", "malformed-json");
}

/* A NUL would cut a key or value short for C code after the decoder ("reported\0x" read as
 * "reported"): escaped or raw, it is malformed JSON. */
Test(funnel_doc, a_nul_byte_is_malformed_json)
{
    expect_only("{\"stages\":{\"reported\\u0000x\":{\"total\":1}}}", "", "malformed-json");
    expect_only("{\"stages\\u0000\":{}}", "", "malformed-json");
    static const char raw[] = "{\"stages\":{\"reported\0x\":{\"total\":1}}}";
    struct funnel f;
    struct violations v;
    violations_init(&v);
    cr_assert_eq(funnel_decode(raw, sizeof raw - 1, cat, &f, &v), -1);
    cr_assert_eq(violations_count(&v), 1);
    assert_violation(&v, "", "malformed-json");
    violations_clear(&v);
}

Test(funnel_doc, duplicate_keys_are_refused_and_pointed_at)
{
    expect_only("{\"stages\":{\"reported\":{\"total\":5,\"total\":50}}}", "/stages/reported/total",
                "duplicate-key");
    expect_only("{\"stages\":{},\"stages\":{}}", "/stages", "duplicate-key");
    expect_only("{\"stages\":{\"helped\":{\"total\":2,\"breakdowns\":{\"gender\":{\"girl\":1,"
                "\"boy\":1,\"girl\":1}}}}}",
                "/stages/helped/breakdowns/gender/girl", "duplicate-key");
    expect_only("{\"stages\":{\"reported\":{\"total\":1},\"reported\":{\"total\":2}}}",
                "/stages/reported", "duplicate-key");
    /* Escapes in keys are decoded before pointing (and ~ / are escaped per RFC 6901). */
    expect_only("{\"stages\":{},\"a/b~\":1,\"a\\/b~\":2}", "/a~1b~0", "duplicate-key");
}

Test(funnel_doc, counts_must_be_json_integers_in_range)
{
    expect_only("{\"stages\":{\"reported\":{\"total\":2.0}}}", "/stages/reported/total",
                "not-integer");
    expect_only("{\"stages\":{\"reported\":{\"total\":1e2}}}", "/stages/reported/total",
                "not-integer");
    expect_only("{\"stages\":{\"reported\":{\"total\":\"30\"}}}", "/stages/reported/total", "type");
    expect_only("{\"stages\":{\"reported\":{\"total\":null}}}", "/stages/reported/total", "type");
    expect_only("{\"stages\":{\"reported\":{\"total\":true}}}", "/stages/reported/total", "type");
    expect_only("{\"stages\":{\"reported\":{\"total\":-1}}}", "/stages/reported/total", "negative");
    expect_only("{\"stages\":{\"reported\":{\"total\":1000001}}}", "/stages/reported/total",
                "too-large");
    struct funnel f;
    struct violations v;
    cr_assert_eq(
        decode("{\"stages\":{\"reported\":{\"total\":1000000},\"helped\":{\"total\":0}}}", &f, &v),
        0, "0 and 1000000 are the bounds");
    cr_assert_eq(f.stages[5].total, 0);
    cr_assert(f.stages[5].known, "a stage given as 0 is known");
    violations_clear(&v);
}

Test(funnel_doc, structure_violations_at_every_level)
{
    expect_only("{}", "/stages", "required");
    expect_only("[]", "", "type");
    expect_only("{\"stages\":[]}", "/stages", "type");
    expect_only("{\"stages\":{},\"name\":\"Jan\"}", "/name", "unknown-field");
    expect_only("{\"stages\":{\"reported\":{\"total\":3,\"note\":\"x\"}}}", "/stages/reported/note",
                "unknown-field");
    expect_only("{\"stages\":{\"reported\":{}}}", "/stages/reported/total", "required");
    expect_only("{\"stages\":{\"reported\":7}}", "/stages/reported", "type");
    expect_only("{\"stages\":{\"gemeld\":{\"total\":3}}}", "/stages/gemeld", "unknown-stage");
    expect_only("{\"stages\":{\"reported\":{\"total\":3,\"breakdowns\":{\"hair\":{}}}}}",
                "/stages/reported/breakdowns/hair", "unknown-dimension");
    expect_only("{\"stages\":{\"reported\":{\"total\":3,\"breakdowns\":{\"gender\":{\"girl\":3,"
                "\"name\":0}}}}}",
                "/stages/reported/breakdowns/gender/name", "unknown-category");
    expect_only("{\"stages\":{\"reported\":{\"total\":3,\"breakdowns\":[]}}}",
                "/stages/reported/breakdowns", "type");
    expect_only("{\"stages\":{\"reported\":{\"total\":3,\"breakdowns\":{\"gender\":3}}}}",
                "/stages/reported/breakdowns/gender", "type");
}

Test(funnel_doc, care_is_not_allowed_on_signalled)
{
    expect_only(
        "{\"stages\":{\"signalled\":{\"total\":3,\"breakdowns\":{\"care\":{\"secure\":3}}}}}",
        "/stages/signalled/breakdowns/care", "dimension-not-allowed");
    struct funnel f;
    struct violations v;
    cr_assert_eq(decode("{\"stages\":{\"helped\":{\"total\":3,\"breakdowns\":{\"care\":"
                        "{\"secure\":3}}}}}",
                        &f, &v),
                 0, "care on helped is fine");
    violations_clear(&v);
}

Test(funnel_doc, categories_must_sum_to_the_total)
{
    struct funnel f;
    struct violations v;
    cr_assert_eq(decode("{\"stages\":{\"signalled\":{\"total\":41,\"breakdowns\":{\"gender\":"
                        "{\"girl\":27,\"boy\":13}}}}}",
                        &f, &v),
                 -1);
    cr_assert_eq(violations_count(&v), 1);
    assert_violation(&v, "/stages/signalled/breakdowns/gender", "sum-mismatch");
    cr_assert_str_eq(vio_field(&v, 0, "detail"), "categories sum to 40, total is 41");
    violations_clear(&v);
    expect_only(
        "{\"stages\":{\"reported\":{\"total\":0,\"breakdowns\":{\"ageBand\":{\"0-5\":1}}}}}",
        "/stages/reported/breakdowns/ageBand", "sum-mismatch");
}

Test(funnel_doc, every_violation_of_a_body_is_listed)
{
    struct funnel f;
    struct violations v;
    const char *body = "{\"stages\":{\"occurred\":{\"total\":2.0},"
                       "\"disclosed\":{\"total\":-4,\"extra\":1},"
                       "\"signalled\":{\"total\":10,\"breakdowns\":{\"gender\":{\"girl\":3},"
                       "\"care\":{\"secure\":10},\"ageBand\":{\"0-5\":\"x\",\"old\":1}}},"
                       "\"nope\":{},\"helped\":{\"breakdowns\":{}}},\"who\":1}";
    char dump[4096];
    cr_assert_eq(decode(body, &f, &v), -1);
    assert_violation(&v, "/stages/occurred/total", "not-integer");
    assert_violation(&v, "/stages/disclosed/total", "negative");
    assert_violation(&v, "/stages/disclosed/extra", "unknown-field");
    assert_violation(&v, "/stages/signalled/breakdowns/gender", "sum-mismatch");
    assert_violation(&v, "/stages/signalled/breakdowns/care", "dimension-not-allowed");
    assert_violation(&v, "/stages/signalled/breakdowns/ageBand/0-5", "type");
    assert_violation(&v, "/stages/signalled/breakdowns/ageBand/old", "unknown-category");
    assert_violation(&v, "/stages/nope", "unknown-stage");
    assert_violation(&v, "/stages/helped/total", "required");
    assert_violation(&v, "/who", "unknown-field");
    cr_assert_eq(violations_count(&v), 10, "%s", vio_dump(&v, dump, sizeof dump));
    violations_clear(&v);
}

Test(funnel_doc, pointers_escape_tilde_and_slash)
{
    expect_only("{\"stages\":{\"a/b~c\":{}}}", "/stages/a~1b~0c", "unknown-stage");
}

Test(funnel_doc, violations_are_capped_with_one_marker)
{
    /* 1500 unknown stages: 1000 listed, then one too-many-errors. */
    size_t cap = 1500 * 16 + 64, o = 0;
    char *body = malloc(cap);
    o += (size_t)snprintf(body + o, cap - o, "{\"stages\":{");
    for (int i = 0; i < 1500; i++)
        o += (size_t)snprintf(body + o, cap - o, "%s\"s%d\":{}", i ? "," : "", i);
    snprintf(body + o, cap - o, "}}");
    struct funnel f;
    struct violations v;
    cr_assert_eq(decode(body, &f, &v), -1);
    cr_assert_eq(violations_count(&v), DOC_MAX_VIOLATIONS + 1);
    cr_assert_str_eq(vio_field(&v, DOC_MAX_VIOLATIONS, "code"), "too-many-errors");
    violations_clear(&v);
    free(body);
}

static char *canonical(const char *body)
{
    struct funnel f;
    struct violations v;
    char dump[2048];
    cr_assert_eq(decode(body, &f, &v), 0, "%s: %s", body, vio_dump(&v, dump, sizeof dump));
    violations_clear(&v);
    return funnel_canonical_json(&f, cat);
}

Test(funnel_doc, equal_content_gives_identical_canonical_text)
{
    char *a = canonical("{\"stages\": {\"signalled\": {\"total\": 41, \"breakdowns\": {\"gender\": "
                        "{\"girl\": 27, \"boy\": 13, \"unknown\": 1}}}, \"reported\": {\"total\": "
                        "30}}}");
    char *b = canonical("{\n \"stages\" : {\"reported\":{\"total\":30},\n\t\"signalled\":{"
                        "\"breakdowns\":{\"gender\":{\"unknown\":1,\"other\":0,\"boy\":13,"
                        "\"girl\":27}},\"total\":41}}}");
    char *c = canonical("{\"stages\":{\"signalled\":{\"total\":41,\"breakdowns\":{\"gender\":"
                        "{\"girl\":27,\"boy\":13,\"unknown\":1}}},\"reported\":{\"total\":30,"
                        "\"breakdowns\":{}}}}");
    char *changed =
        canonical("{\"stages\":{\"signalled\":{\"total\":41,\"breakdowns\":{\"gender\":"
                  "{\"girl\":26,\"boy\":14,\"unknown\":1}}},\"reported\":{\"total\":30}}}");
    cr_assert_str_eq(a, "{\"stages\":{\"signalled\":{\"total\":41,\"breakdowns\":{\"gender\":"
                        "{\"girl\":27,\"boy\":13,\"other\":0,\"unknown\":1}}},\"reported\":"
                        "{\"total\":30}}}");
    cr_assert_str_eq(a, b, "member order, whitespace and an omitted zero do not matter");
    cr_assert_str_eq(a, c, "an empty breakdowns object is no content");
    cr_assert_str_neq(a, changed, "a changed count is a change");
    /* The canonical text decodes back to the same text. */
    char *again = canonical(a);
    cr_assert_str_eq(a, again);
    free(a);
    free(b);
    free(c);
    free(changed);
    free(again);
}

Test(funnel_doc, cells_list_totals_and_every_category_in_canonical_order)
{
    struct funnel f;
    struct violations v;
    cr_assert_eq(decode("{\"stages\":{\"reported\":{\"total\":30},\"signalled\":{\"total\":41,"
                        "\"breakdowns\":{\"offence\":{\"handsOff\":1,\"handsOn\":40},"
                        "\"gender\":{\"girl\":41}}}}}",
                        &f, &v),
                 0);
    struct funnel_cell cells[FUNNEL_MAX_CELLS];
    size_t n = funnel_cells(&f, cat, cells, FUNNEL_MAX_CELLS);
    cr_assert_eq(n, 1 + 4 + 3 + 1);
    static const char *const expect[][4] = {
        {"signalled", "total", "", "41"},          {"signalled", "gender", "girl", "41"},
        {"signalled", "gender", "boy", "0"},       {"signalled", "gender", "other", "0"},
        {"signalled", "gender", "unknown", "0"},   {"signalled", "offence", "handsOn", "40"},
        {"signalled", "offence", "handsOff", "1"}, {"signalled", "offence", "unknown", "0"},
        {"reported", "total", "", "30"},
    };
    for (size_t i = 0; i < n; i++) {
        cr_assert_str_eq(cells[i].stage, expect[i][0], "cell %zu", i);
        cr_assert_str_eq(cells[i].dimension, expect[i][1], "cell %zu", i);
        cr_assert_str_eq(cells[i].category, expect[i][2], "cell %zu", i);
        cr_assert_eq(cells[i].count, atoi(expect[i][3]), "cell %zu", i);
        cr_assert_eq(cells[i].key, 0);
    }
    cr_assert_eq(funnel_cells(&f, cat, cells, 3), 9,
                 "the full count is returned when max is small");
    violations_clear(&v);
}

Test(funnel_doc, a_stage_larger_than_the_nearest_earlier_one_given_warns)
{
    struct funnel f;
    struct violations v, w;
    cr_assert_eq(decode("{\"stages\":{\"occurred\":{\"total\":100},\"signalled\":{\"total\":25},"
                        "\"reported\":{\"total\":30},\"helped\":{\"total\":31}}}",
                        &f, &v),
                 0, "warnings never block");
    violations_init(&w);
    funnel_order_warnings(&f, cat, &w);
    char dump[2048];
    cr_assert_eq(violations_count(&w), 2, "%s", vio_dump(&w, dump, sizeof dump));
    assert_violation(&w, "/stages/reported/total", "stage-order");
    assert_violation(&w, "/stages/helped/total", "stage-order");
    cr_assert_str_eq(
        vio_field(&w, 0, "detail"),
        "reported (30) is larger than signalled (25), the nearest earlier stage given");
    cr_assert(strstr(vio_field(&w, 1, "detail"), "than reported (30)") != NULL,
              "investigated is not given, so helped compares with reported");
    violations_clear(&w);
    violations_clear(&v);
}
