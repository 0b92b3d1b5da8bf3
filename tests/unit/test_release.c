/* Unit tests of core/release: release ids, the release= choice of a read, the POST /v1/releases
 * body, and the row shown for a period that has no release. */
#include "core/release.h"

#include <criterion/criterion.h>
#include <string.h>

#include "core/catalog.h"

static const char *code_of(const struct violations *v, size_t i)
{
    return json_string_value(json_object_get(json_array_get(v->items, i), "code"));
}

static const char *pointer_of(const struct violations *v, size_t i)
{
    return json_string_value(json_object_get(json_array_get(v->items, i), "pointer"));
}

Test(release_id, parses_period_and_number)
{
    struct period p;
    int n = 0;
    cr_assert_eq(release_id_parse("2026-Q3-r1", &p, &n), 0);
    cr_assert_eq(p.year, 2026);
    cr_assert_eq(p.quarter, 3);
    cr_assert_eq(n, 1);
    cr_assert_eq(release_id_parse("2015-Q1-r99999", &p, &n), 0);
    cr_assert_eq(n, 99999);
}

Test(release_id, refuses_every_other_spelling)
{
    static const char *const bad[] = {"",
                                      "2026-Q3",
                                      "2026-Q3-r",
                                      "2026-Q3-r0",
                                      "2026-Q3-r01",
                                      "2026Q3-r1",
                                      "2026-q3-r1",
                                      "2026-Q5-r1",
                                      "2026-Q3-R1",
                                      "2026-Q3-r1 ",
                                      "2026-Q3-r-1",
                                      "2026-Q3-r123456",
                                      "2026-Q3-r1x",
                                      "latest",
                                      "../2026-Q3-r1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(release_id_parse(bad[i], NULL, NULL), -1, "'%s' was accepted", bad[i]);
    cr_expect_eq(release_id_parse(NULL, NULL, NULL), -1);
}

Test(release_choice, live_latest_or_an_id)
{
    enum release_choice c;
    char id[RELEASE_ID_MAX];
    cr_assert_eq(release_choice_parse("live", &c, id), 0);
    cr_assert_eq(c, RELEASE_LIVE);
    cr_assert_eq(release_choice_parse("latest", &c, id), 0);
    cr_assert_eq(c, RELEASE_LATEST);
    cr_assert_eq(release_choice_parse("2026-Q2-r3", &c, id), 0);
    cr_assert_eq(c, RELEASE_ID);
    cr_assert_str_eq(id, "2026-Q2-r3");
    cr_assert_str_eq(release_choice_name(c, id), "2026-Q2-r3");
    cr_assert_eq(release_choice_parse("Latest", &c, id), -1);
    cr_assert_eq(release_choice_parse("", &c, id), -1);
}

/* 2026-11-01 12:00 UTC: 2026-Q3 has ended, 2026-Q4 has not. */
static const time_t now = 1793534400;

Test(release_request, decodes_a_valid_body)
{
    struct violations v;
    violations_init(&v);
    struct release_request req;
    const char *body = "{\"period\": \"2026Q3\", \"status\": \"final\", \"open\": true}";
    cr_assert_eq(release_request_decode(body, strlen(body), now, &req, &v), 0);
    cr_assert_str_eq(req.period, "2026-Q3", "the period is made canonical");
    cr_assert(req.final);
    cr_assert(req.open);
    cr_assert_eq(violations_count(&v), 0);
    body = "{\"status\": \"provisional\", \"period\": \"2026-Q2\"}";
    cr_assert_eq(release_request_decode(body, strlen(body), now, &req, &v), 0);
    cr_assert(!req.final);
    cr_assert(!req.open, "open defaults to false");
    violations_clear(&v);
}

Test(release_request, lists_every_violation_with_its_pointer)
{
    struct violations v;
    violations_init(&v);
    struct release_request req;
    const char *body = "{\"period\": \"2026-Q4\", \"status\": \"draft\", \"open\": \"yes\", "
                       "\"a/b\": 1}";
    cr_assert_eq(release_request_decode(body, strlen(body), now, &req, &v), -1);
    cr_assert_eq(violations_count(&v), 4);
    cr_expect_str_eq(code_of(&v, 0), "period-not-ended");
    cr_expect_str_eq(pointer_of(&v, 0), "/period");
    cr_expect_str_eq(code_of(&v, 1), "invalid");
    cr_expect_str_eq(pointer_of(&v, 1), "/status");
    cr_expect_str_eq(code_of(&v, 2), "type");
    cr_expect_str_eq(pointer_of(&v, 2), "/open");
    cr_expect_str_eq(code_of(&v, 3), "unknown-field");
    cr_expect_str_eq(pointer_of(&v, 3), "/a~1b");
    violations_clear(&v);
}

Test(release_request, requires_period_and_status)
{
    struct violations v;
    violations_init(&v);
    struct release_request req;
    cr_assert_eq(release_request_decode("{}", 2, now, &req, &v), -1);
    cr_assert_eq(violations_count(&v), 2);
    cr_expect_str_eq(code_of(&v, 0), "required");
    cr_expect_str_eq(pointer_of(&v, 0), "/period");
    cr_expect_str_eq(pointer_of(&v, 1), "/status");
    violations_clear(&v);
}

Test(release_request, refuses_what_is_not_one_json_object)
{
    static const char *const bad[] = {"", "[]",
                                      "{\"period\": \"2026-Q3\", \"period\": \"2026-Q2\"}",
                                      "{\"period\": \"2014-Q4\", \"status\": \"final\"}"};
    static const char *const codes[] = {"malformed-json", "type", "duplicate-key",
                                        "period-too-early"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct violations v;
        violations_init(&v);
        struct release_request req;
        cr_expect_eq(release_request_decode(bad[i], strlen(bad[i]), now, &req, &v), -1, "%s",
                     bad[i]);
        cr_expect_str_eq(code_of(&v, 0), codes[i], "%s", bad[i]);
        violations_clear(&v);
    }
}

Test(release_missing_row, every_stage_not_released)
{
    struct catalog cat;
    memset(&cat, 0, sizeof cat);
    cat.nstages = 2;
    char disclosed[] = "disclosed", helped_key[] = "helped";
    cat.stages[0] = disclosed; /* borrowed: the catalogue is not freed here */
    cat.stages[1] = helped_key;
    json_t *row = release_missing_row("2026-Q3", "PV24", "Flevoland", &cat);
    cr_assert_str_eq(json_string_value(json_object_get(row, "period")), "2026-Q3");
    cr_assert(json_is_true(json_object_get(row, "protected")));
    cr_assert(json_is_null(json_object_get(row, "release")));
    json_t *helped = json_object_get(json_object_get(row, "stages"), "helped");
    cr_assert_str_eq(json_string_value(json_object_get(helped, "state")), "notReleased");
    cr_assert(json_is_null(json_object_get(helped, "count")));
    json_decref(row);
}
