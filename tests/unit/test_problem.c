/* Unit tests of core/problem: the RFC 9457 body every error answer carries, and the `errors` array
 * that lists every invalid-input violation with where it was found (design §3). */
#include "core/problem.h"

#include <criterion/criterion.h>
#include <string.h>

TestSuite(problem, .timeout = 60);

Test(problem, has_type_title_status_and_detail)
{
    json_t *p = problem_new(404, "not-found", "no municipality GM9999", NULL);
    cr_assert_not_null(p);
    cr_assert_str_eq(json_string_value(json_object_get(p, "type")),
                     "https://trechter.nl/problems/not-found");
    cr_assert_str_eq(json_string_value(json_object_get(p, "title")), "Not Found");
    cr_assert_eq(json_integer_value(json_object_get(p, "status")), 404);
    cr_assert(json_is_integer(json_object_get(p, "status")), "status is a number, not a string");
    cr_assert_str_eq(json_string_value(json_object_get(p, "detail")), "no municipality GM9999");
    cr_assert_null(json_object_get(p, "errors"), "no errors member without violations");
    json_decref(p);
}

Test(problem, missing_detail_falls_back_to_the_title)
{
    json_t *p = problem_new(503, "database-unavailable", NULL, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(p, "detail")), "Service Unavailable");
    json_decref(p);
}

Test(problem, an_empty_violation_list_adds_no_errors_member)
{
    struct violations v;
    violations_init(&v);
    json_t *p = problem_new(400, "invalid-input", "bad", &v);
    cr_assert_null(json_object_get(p, "errors"));
    json_decref(p);
    violations_clear(&v);
}

Test(problem, violations_are_moved_into_errors_in_order)
{
    struct violations v;
    violations_init(&v);
    violations_add(&v, IN_BODY, "/stages/reported/total", "negative", "must be 0 or more, got %d",
                   -3);
    violations_add(&v, IN_PATH, "period", "future-period", "2099-Q1 has not ended");
    violations_add(&v, IN_QUERY, "regionSet", "unknown", "no region set '%s'", "nope");
    violations_add(&v, IN_HEADER, "If-Match", "malformed", "not a revision");
    cr_assert_eq(violations_count(&v), 4);

    json_t *p = problem_new(400, "invalid-input", "4 problems", &v);
    cr_assert_eq(violations_count(&v), 0, "the list is emptied: the problem owns them now");
    json_t *errors = json_object_get(p, "errors");
    cr_assert(json_is_array(errors));
    cr_assert_eq(json_array_size(errors), 4, "every violation, not just the first");

    json_t *e0 = json_array_get(errors, 0);
    cr_assert_str_eq(json_string_value(json_object_get(e0, "in")), "body");
    cr_assert_str_eq(json_string_value(json_object_get(e0, "pointer")), "/stages/reported/total");
    cr_assert_null(json_object_get(e0, "name"), "a body violation has a pointer, not a name");
    cr_assert_str_eq(json_string_value(json_object_get(e0, "code")), "negative");
    cr_assert_str_eq(json_string_value(json_object_get(e0, "detail")), "must be 0 or more, got -3");

    static const char *ins[] = {NULL, "path", "query", "header"};
    static const char *names[] = {NULL, "period", "regionSet", "If-Match"};
    for (size_t i = 1; i < 4; i++) {
        json_t *e = json_array_get(errors, i);
        cr_assert_str_eq(json_string_value(json_object_get(e, "in")), ins[i]);
        cr_assert_str_eq(json_string_value(json_object_get(e, "name")), names[i]);
        cr_assert_null(json_object_get(e, "pointer"), "%s violation has a name, not a pointer",
                       ins[i]);
    }
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(errors, 2), "detail")),
                     "no region set 'nope'");

    /* The list can be reused after the move. */
    violations_add(&v, IN_BODY, "row 14/count", "not-a-number", "x");
    cr_assert_eq(violations_count(&v), 1);
    json_decref(p);
    violations_clear(&v);
    cr_assert_eq(violations_count(&v), 0);
}

Test(problem, csv_places_are_body_pointers)
{
    struct violations v;
    violations_init(&v);
    violations_add(&v, IN_BODY, "row 14/count", "not-a-number", "'abc' is not a count");
    json_t *p = problem_new(400, "invalid-input", "bad CSV", &v);
    json_t *e = json_array_get(json_object_get(p, "errors"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(e, "pointer")), "row 14/count");
    json_decref(p);
    violations_clear(&v);
}

Test(problem, long_details_are_capped)
{
    struct violations v;
    violations_init(&v);
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    violations_add(&v, IN_BODY, "/a", "too-long", "%s", big);
    const char *d = json_string_value(json_object_get(json_array_get(v.items, 0), "detail"));
    cr_assert_lt(strlen(d), 300);
    violations_clear(&v);
}

Test(problem, titles_of_every_status_the_api_answers)
{
    static const struct {
        int status;
        const char *title;
    } want[] = {
        {400, "Bad Request"},         {401, "Unauthorized"},
        {403, "Forbidden"},           {404, "Not Found"},
        {405, "Method Not Allowed"},  {409, "Conflict"},
        {412, "Precondition Failed"}, {413, "Content Too Large"},
        {429, "Too Many Requests"},   {431, "Request Header Fields Too Large"},
        {503, "Service Unavailable"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        cr_assert_str_eq(problem_title(want[i].status), want[i].title, "%d", want[i].status);
        json_t *p = problem_new(want[i].status, "x", "d", NULL);
        cr_assert_str_eq(json_string_value(json_object_get(p, "title")), want[i].title);
        json_decref(p);
    }
}

Test(problem, unknown_statuses_get_a_generic_title)
{
    cr_assert_str_eq(problem_title(418), "Client Error");
    cr_assert_str_eq(problem_title(599), "Server Error");
}
