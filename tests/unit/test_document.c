/* Unit tests of core/document: the capped report, RFC 6901 pointers, safe echoes of client text,
 * loading a JSON body (malformed, duplicate keys, NUL bytes, the root's type) and the member
 * walker. */
#include "core/document.h"

#include <criterion/criterion.h>

#include "tests/unit/fixtures/unit_support.h"

TestSuite(document, .timeout = 30);

/* ---- the capped report ------------------------------------------------------------------------
 */

Test(document, report_is_capped_with_one_too_many_errors_marker)
{
    struct violations v;
    violations_init(&v);
    struct doc_report rep = {.v = &v};
    for (int i = 0; i < DOC_MAX_VIOLATIONS - 1; i++)
        doc_report(&rep, "/x", "type", "number %d", i);
    cr_assert_not(doc_violations_full(&v));
    doc_report(&rep, NULL, "type", "the last one listed");
    cr_assert(doc_violations_full(&v));
    cr_assert_str_eq(vio_field(&v, DOC_MAX_VIOLATIONS - 1, "pointer"), "",
                     "NULL is reported as \"\"");
    for (int i = 0; i < 5; i++)
        doc_report(&rep, "/y", "type", "dropped %d", i);
    cr_assert_eq(violations_count(&v), DOC_MAX_VIOLATIONS + 1);
    cr_assert_eq(rep.found, DOC_MAX_VIOLATIONS + 5, "found counts the dropped ones too");
    cr_assert_str_eq(vio_field(&v, DOC_MAX_VIOLATIONS, "code"), "too-many-errors");
    cr_assert_str_eq(vio_field(&v, DOC_MAX_VIOLATIONS, "pointer"), "");
    cr_assert_str_eq(vio_field(&v, DOC_MAX_VIOLATIONS, "detail"),
                     "more than 1000 violations; the rest are not listed");
    cr_assert_str_eq(vio_field(&v, 7, "detail"), "number 7");
    cr_assert_not(doc_violation(&v, "/z", "type", "after the cap"), "nothing is added past it");
    cr_assert_eq(violations_count(&v), DOC_MAX_VIOLATIONS + 1);
    violations_clear(&v);
}

Test(document, violation_detail_is_made_safe)
{
    struct violations v;
    violations_init(&v);
    cr_assert(doc_violation(&v, "/a", "type", "x%sy", "\n\x01\xff"));
    cr_assert_str_eq(vio_field(&v, 0, "detail"), "x???y");
    cr_assert_str_eq(vio_field(&v, 0, "in"), "body");
    violations_clear(&v);
}

/* ---- pointers -------------------------------------------------------------------------------- */

Test(document, pointer_join_escapes_tilde_and_slash)
{
    char *p = doc_pointer_join("/stages", "a~b/c");
    cr_assert_str_eq(p, "/stages/a~0b~1c");
    free(p);
    p = doc_pointer_join("", "~1");
    cr_assert_str_eq(p, "/~01", "an escape in the token is escaped again");
    free(p);
    p = doc_pointer_join(NULL, "x");
    cr_assert_str_eq(p, "/x", "a NULL base is \"\"");
    free(p);
    p = doc_pointer_join("/a", "");
    cr_assert_str_eq(p, "/a/", "an empty key is a token too");
    free(p);
}

/* ---- safe text --------------------------------------------------------------------------------
 */

Test(document, safe_text_cuts_only_at_a_character_boundary)
{
    char out[16];
    const char *euros = "\xE2\x82\xAC\xE2\x82\xAC"; /* two 3-byte characters */
    doc_safe_text(out, 5, euros, strlen(euros));
    cr_assert_str_eq(out, "\xE2\x82\xAC",
                     "the second euro does not fit in 4 bytes: left out whole");
    doc_safe_text(out, 7, euros, strlen(euros));
    cr_assert_str_eq(out, euros);
    doc_safe_text(out, 3, euros, strlen(euros));
    cr_assert_str_eq(out, "", "no half character");
    const char *emoji = "a\xF0\x9F\x98\x80"; /* "a" + U+1F600, 4 bytes */
    doc_safe_text(out, 5, emoji, strlen(emoji));
    cr_assert_str_eq(out, "a");
    doc_safe_text(out, 6, emoji, strlen(emoji));
    cr_assert_str_eq(out, emoji);
    /* A character cut off by len is invalid, byte by byte. */
    doc_safe_text(out, sizeof out, euros, 4);
    cr_assert_str_eq(out, "\xE2\x82\xAC?");
}

Test(document, safe_text_replaces_invalid_utf8_and_control_characters)
{
    char out[32];
    struct {
        const char *in;
        size_t len;
        const char *out;
    } cases[] = {
        {"ok \xC3\xA9", 5, "ok \xC3\xA9"}, /* é stays */
        {"\xC0\x80", 2, "??"},             /* overlong NUL */
        {"\xE0\x80\xAF", 3, "???"},        /* overlong '/' */
        {"\xED\xA0\x80", 3, "???"},        /* a surrogate */
        {"\xF4\x90\x80\x80", 4, "????"},   /* past U+10FFFF */
        {"\x80x", 2, "?x"},                /* a lone continuation byte */
        {"a\tb\r\n\x7F", 6, "a?b???"},     /* control characters */
        {"GM0599\0Jan", 10, "GM0599?Jan"}, /* a NUL is shown, not an end */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        doc_safe_text(out, sizeof out, cases[i].in, cases[i].len);
        cr_assert_str_eq(out, cases[i].out, "case %zu", i);
    }
    out[0] = 'x';
    doc_safe_text(out, 0, "abc", 3);
    cr_assert_eq(out[0], 'x', "cap 0 writes nothing");
    doc_safe_text(out, 1, "abc", 3);
    cr_assert_str_eq(out, "");
}

/* ---- loading --------------------------------------------------------------------------------- */

/* doc_load() of body[0..len); the violations stay in *v (caller clears). */
static json_t *load(const char *body, size_t len, enum doc_root root, struct violations *v,
                    struct doc_report *rep)
{
    violations_init(v);
    *rep = (struct doc_report){.v = v};
    return doc_load(rep, body, len, root, "the body is what the test wants");
}

Test(document, load_checks_the_root_type)
{
    struct violations v;
    struct doc_report rep;
    json_t *j = load("{\"a\":1}", 7, DOC_ROOT_OBJECT, &v, &rep);
    cr_assert(json_is_object(j));
    cr_assert_eq(violations_count(&v), 0);
    json_decref(j);
    violations_clear(&v);

    cr_assert_null(load("[1]", 3, DOC_ROOT_OBJECT, &v, &rep));
    cr_assert_eq(violations_count(&v), 1);
    cr_assert_eq(rep.found, 1);
    assert_violation(&v, "", "type");
    cr_assert_str_eq(vio_field(&v, 0, "detail"), "the body is what the test wants");
    violations_clear(&v);

    j = load("[1]", 3, DOC_ROOT_ARRAY, &v, &rep);
    cr_assert(json_is_array(j));
    json_decref(j);
    violations_clear(&v);

    cr_assert_null(load("{}", 2, DOC_ROOT_ARRAY, &v, &rep));
    assert_violation(&v, "", "type");
    violations_clear(&v);

    cr_assert_null(load("7", 1, DOC_ROOT_OBJECT, &v, &rep), "a bare scalar is not a document");
    assert_violation(&v, "", "malformed-json");
    violations_clear(&v);
}

Test(document, load_reports_malformed_json_with_line_and_column)
{
    struct violations v;
    struct doc_report rep;
    cr_assert_null(load("{\n\"a\":}", 7, DOC_ROOT_OBJECT, &v, &rep));
    cr_assert_eq(violations_count(&v), 1);
    cr_assert_eq(rep.found, 1);
    assert_violation(&v, "", "malformed-json");
    cr_assert(strstr(vio_field(&v, 0, "detail"), "line 2, column ") != NULL, "%s",
              vio_field(&v, 0, "detail"));
    violations_clear(&v);
}

Test(document, load_points_at_a_duplicate_key)
{
    struct violations v;
    struct doc_report rep;
    const char *body = "[{\"a\":1},{\"b~/\":{\"c\":1,\"c\":2}}]";
    cr_assert_null(load(body, strlen(body), DOC_ROOT_ARRAY, &v, &rep));
    cr_assert_eq(violations_count(&v), 1);
    assert_violation(&v, "/1/b~0~1/c", "duplicate-key");
    cr_assert(strstr(vio_field(&v, 0, "detail"), "every member may appear only once") != NULL);
    violations_clear(&v);
}

/* A NUL would cut a string short for every C reader after the decoder ("reported\0x" read as
 * "reported"): raw or escaped, it is malformed JSON. */
Test(document, load_refuses_nul_bytes)
{
    struct violations v;
    struct doc_report rep;
    const char escaped[] = "{\"stages\":{\"reported\\u0000x\":{\"total\":1}}}";
    cr_assert_null(load(escaped, sizeof escaped - 1, DOC_ROOT_OBJECT, &v, &rep));
    assert_violation(&v, "", "malformed-json");
    cr_assert_eq(violations_count(&v), 1);
    violations_clear(&v);

    const char in_value[] = "{\"municipality\":\"GM0599\\u0000Jan\"}";
    cr_assert_null(load(in_value, sizeof in_value - 1, DOC_ROOT_OBJECT, &v, &rep));
    assert_violation(&v, "", "malformed-json");
    violations_clear(&v);

    const char raw_in_string[] = "{\"municipality\":\"GM0599\0Jan\"}";
    cr_assert_null(load(raw_in_string, sizeof raw_in_string - 1, DOC_ROOT_OBJECT, &v, &rep));
    assert_violation(&v, "", "malformed-json");
    violations_clear(&v);

    const char raw_after[] = "{\"a\":1}\0{\"b\":2}";
    cr_assert_null(load(raw_after, sizeof raw_after - 1, DOC_ROOT_OBJECT, &v, &rep));
    assert_violation(&v, "", "malformed-json");
    violations_clear(&v);

    const char raw_between[] = "{\"a\":\0 1}";
    cr_assert_null(load(raw_between, sizeof raw_between - 1, DOC_ROOT_OBJECT, &v, &rep));
    assert_violation(&v, "", "malformed-json");
    violations_clear(&v);
}

/* ---- walking members --------------------------------------------------------------------------
 */

struct walk_log {
    char calls[8][64];
    size_t n;
};

static void record(void *ctx, const json_t *value, const char *pointer)
{
    struct walk_log *log = ctx;
    cr_assert_lt(log->n, 8);
    snprintf(log->calls[log->n++], sizeof log->calls[0], "%s=%lld", pointer,
             (long long)json_integer_value(value));
}

static const struct doc_member members[] = {{"total", record}, {"a/b", record}, {"x", record}};

Test(document, walker_hands_known_members_over_and_reports_unknown_ones)
{
    struct violations v;
    violations_init(&v);
    struct doc_report rep = {.v = &v};
    json_t *obj = json_loads("{\"x\":3,\"Total\":9,\"total\":1,\"t~/\":8,\"a/b\":2}", 0, NULL);
    cr_assert_not_null(obj);
    struct walk_log log = {0};
    uint32_t seen = doc_walk_members(&rep, obj, "/stages/reported", members, 3,
                                     "a stage has only total, a/b and x", &log);
    cr_assert_eq(seen, 7u, "all three table entries were present");
    cr_assert_eq(log.n, 3);
    cr_assert_str_eq(log.calls[0], "/stages/reported/x=3", "document order");
    cr_assert_str_eq(log.calls[1], "/stages/reported/total=1");
    cr_assert_str_eq(log.calls[2], "/stages/reported/a~1b=2", "the handler's pointer is escaped");
    cr_assert_eq(violations_count(&v), 2);
    cr_assert_eq(rep.found, 2);
    cr_assert_str_eq(vio_field(&v, 0, "pointer"), "/stages/reported/Total", "names are exact");
    cr_assert_str_eq(vio_field(&v, 0, "code"), "unknown-field");
    cr_assert_str_eq(vio_field(&v, 0, "detail"), "a stage has only total, a/b and x");
    cr_assert_str_eq(vio_field(&v, 1, "pointer"), "/stages/reported/t~0~1");
    json_decref(obj);
    violations_clear(&v);
}

Test(document, walker_returns_which_members_were_present)
{
    struct violations v;
    violations_init(&v);
    struct doc_report rep = {.v = &v};
    struct walk_log log = {0};
    json_t *obj = json_loads("{\"x\":1}", 0, NULL);
    cr_assert_eq(doc_walk_members(&rep, obj, "", members, 3, "-", &log), 1u << 2);
    cr_assert_str_eq(log.calls[0], "/x=1");
    json_decref(obj);
    obj = json_loads("{}", 0, NULL);
    cr_assert_eq(doc_walk_members(&rep, obj, "", members, 3, "-", &log), 0);
    json_decref(obj);
    obj = json_loads("[1,2]", 0, NULL);
    cr_assert_eq(doc_walk_members(&rep, obj, "", members, 3, "-", &log), 0,
                 "a non-object has no members");
    json_decref(obj);
    cr_assert_eq(violations_count(&v), 0, "the caller reports a wrong type");
    cr_assert_eq(log.n, 1);
    violations_clear(&v);
}
