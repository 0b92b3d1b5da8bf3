/* Unit tests of daemon/http_guard: finding where a request head ends, choosing the body cap by
 * route, refusing ambiguous framing (request smuggling), and scanning chunked bodies incrementally
 * so a too-large upload is cut off before its offending chunk. */
#include "daemon/http_guard.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static const struct http_guard_limits limits = {
    .max_head = 16384, .max_body = 1000, .max_import_body = 5000};

static struct http_head_info inspect(const char *head)
{
    return http_guard_inspect_head(head, strlen(head), &limits);
}

TestSuite(head_end, .timeout = 60);

Test(head_end, crlf_crlf)
{
    const char *h = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nNEXT";
    cr_assert_eq(http_guard_head_end(h, strlen(h)), strlen(h) - 4);
}

Test(head_end, lf_lf)
{
    const char *h = "GET /healthz HTTP/1.1\nHost: x\n\nbody";
    cr_assert_eq(http_guard_head_end(h, strlen(h)), strlen(h) - 4);
}

Test(head_end, incomplete_heads_give_zero)
{
    static const char *heads[] = {
        "",
        "GET /healthz HTTP/1.1",
        "GET /healthz HTTP/1.1\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\n\r",
    };
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++)
        cr_assert_eq(http_guard_head_end(heads[i], strlen(heads[i])), 0, "[%zu]", i);
}

Test(head_end, leading_empty_lines_belong_to_the_head)
{
    const char *h = "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n";
    cr_assert_eq(http_guard_head_end(h, strlen(h)), strlen(h));
    cr_assert_eq(http_guard_head_end("\r\n\r\n", 4), 0, "only blank lines: no head yet");
}

Test(head_end, found_when_fed_growing_prefixes)
{
    const char *h = "PUT /v1/x HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}";
    size_t want = strlen(h) - 2;
    for (size_t n = 0; n <= strlen(h); n++) {
        size_t got = http_guard_head_end(h, n);
        cr_assert_eq(got, n >= want ? want : 0, "prefix of %zu bytes", n);
    }
}

TestSuite(inspect, .timeout = 60);

Test(inspect, no_body)
{
    struct http_head_info i = inspect("GET /v1/stages HTTP/1.1\r\nHost: x\r\n\r\n");
    cr_assert_eq(i.verdict, GUARD_OK);
    cr_assert_eq(i.body_mode, BODY_NONE);
    i = inspect("PUT /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    cr_assert_eq(i.verdict, GUARD_OK);
    cr_assert_eq(i.body_mode, BODY_NONE);
}

Test(inspect, content_length_within_the_cap)
{
    struct http_head_info i =
        inspect("PUT /v1/municipalities/GM0599/funnels/2026-Q1 HTTP/1.1\r\nHost: x\r\n"
                "content-length:   1000  \r\n\r\n");
    cr_assert_eq(i.verdict, GUARD_OK);
    cr_assert_eq(i.body_mode, BODY_LENGTH);
    cr_assert_eq(i.content_length, 1000);
    cr_assert_eq(i.body_cap, 1000);
}

Test(inspect, content_length_over_max_body_is_413)
{
    struct http_head_info i =
        inspect("PUT /v1/municipalities/GM0599/funnels/2026-Q1 HTTP/1.1\r\nHost: x\r\n"
                "Content-Length: 1001\r\n\r\n");
    cr_assert_eq(i.verdict, GUARD_BODY_TOO_LARGE);
    cr_assert_eq(i.body_cap, 1000);
}

Test(inspect, imports_get_the_import_cap)
{
    struct http_head_info i =
        inspect("POST /v1/imports HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
    cr_assert_eq(i.verdict, GUARD_OK);
    cr_assert_eq(i.body_cap, 5000);
    i = inspect("POST /v1/imports?dryRun=true HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n");
    cr_assert_eq(i.verdict, GUARD_OK);
    cr_assert_eq(i.body_cap, 5000);
    i = inspect("POST /v1/imports HTTP/1.1\r\nHost: x\r\nContent-Length: 5001\r\n\r\n");
    cr_assert_eq(i.verdict, GUARD_BODY_TOO_LARGE);
}

Test(inspect, only_post_to_exactly_imports_gets_the_import_cap)
{
    static const char *heads[] = {
        "PUT /v1/imports HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n",
        "POST /v1/importsx HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n",
        "POST /v1/imports/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n",
        "POST /v1/municipalities HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
        struct http_head_info info = inspect(heads[i]);
        cr_assert_eq(info.body_cap, 1000, "%s", heads[i]);
        cr_assert_eq(info.verdict, GUARD_BODY_TOO_LARGE, "%s", heads[i]);
    }
}

Test(inspect, duplicate_content_length_is_bad_framing)
{
    struct http_head_info i =
        inspect("PUT /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n");
    cr_assert_eq(i.verdict, GUARD_BAD_FRAMING);
    i = inspect("PUT /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n");
    cr_assert_eq(i.verdict, GUARD_BAD_FRAMING);
}

Test(inspect, malformed_content_length_is_bad_framing)
{
    static const char *values[] = {
        "", "abc", "-1", "+5", "5,5", "0x10", "1 2", "12a", "99999999999999999999999"};
    char head[256];
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        snprintf(head, sizeof head, "PUT /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: %s\r\n\r\n",
                 values[i]);
        cr_assert_eq(inspect(head).verdict, GUARD_BAD_FRAMING, "Content-Length: '%s'", values[i]);
    }
}

Test(inspect, transfer_encoding_with_content_length_is_bad_framing)
{
    struct http_head_info i =
        inspect("POST /v1/imports HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n"
                "Transfer-Encoding: chunked\r\n\r\n");
    cr_assert_eq(i.verdict, GUARD_BAD_FRAMING);
    i = inspect("POST /v1/imports HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                "Content-Length: 10\r\n\r\n");
    cr_assert_eq(i.verdict, GUARD_BAD_FRAMING, "order does not matter");
}

Test(inspect, transfer_codings_other_than_chunked_are_bad_framing)
{
    cr_assert_eq(
        inspect("POST /v1/imports HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n").verdict,
        GUARD_BAD_FRAMING);
    cr_assert_eq(
        inspect("POST /v1/imports HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")
            .verdict,
        GUARD_BAD_FRAMING);
    cr_assert_eq(inspect("POST /v1/imports HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n")
                     .verdict,
                 GUARD_BAD_FRAMING, "chunked twice");
}

Test(inspect, chunked_is_accepted_case_insensitively)
{
    struct http_head_info i =
        inspect("POST /v1/imports HTTP/1.1\r\nHost: x\r\ntransfer-encoding:  Chunked \r\n\r\n");
    cr_assert_eq(i.verdict, GUARD_OK);
    cr_assert_eq(i.body_mode, BODY_CHUNKED);
    cr_assert_eq(i.body_cap, 5000);
}

TestSuite(chunked, .timeout = 60);

/* Feeds the whole body at once; returns bytes passed on. */
static size_t feed_whole(struct chunk_scanner *s, size_t cap, const char *body, size_t len)
{
    chunk_scanner_init(s, cap);
    return chunk_scanner_feed(s, body, len);
}

/* Feeds one byte more at a time, as a slow client would, re-feeding what the scanner hands back
 * (a size line is only passed on whole). Returns the total passed on. */
static size_t feed_bytewise(struct chunk_scanner *s, size_t cap, const char *body, size_t len)
{
    chunk_scanner_init(s, cap);
    size_t passed = 0;
    for (size_t avail = 1; avail <= len; avail++) {
        passed += chunk_scanner_feed(s, body + passed, avail - passed);
        if (s->state == CHUNK_DONE || s->state == CHUNK_ERROR)
            break;
    }
    return passed;
}

static void both_ways(size_t cap, const char *body, enum chunk_state want_state, size_t want_passed,
                      bool want_over_cap)
{
    struct chunk_scanner a, b;
    size_t len = strlen(body);
    size_t pa = feed_whole(&a, cap, body, len);
    size_t pb = feed_bytewise(&b, cap, body, len);
    cr_assert_eq(a.state, want_state, "whole: state %d, want %d", a.state, want_state);
    cr_assert_eq(b.state, want_state, "bytewise: state %d, want %d", b.state, want_state);
    cr_assert_eq(pa, want_passed, "whole: passed %zu, want %zu", pa, want_passed);
    cr_assert_eq(pb, want_passed, "bytewise: passed %zu, want %zu", pb, want_passed);
    cr_assert_eq(a.over_cap, want_over_cap);
    cr_assert_eq(b.over_cap, want_over_cap);
    cr_assert_eq(a.body_total, b.body_total);
}

Test(chunked, a_complete_body_stops_before_the_next_request)
{
    const char *body = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    char buf[128];
    snprintf(buf, sizeof buf, "%sGET /next HTTP/1.1\r\n\r\n", body);
    both_ways(1000, buf, CHUNK_DONE, strlen(body), false);
    struct chunk_scanner s;
    feed_whole(&s, 1000, buf, strlen(buf));
    cr_assert_eq(s.body_total, 11);
}

Test(chunked, hex_sizes_of_either_case)
{
    const char *body = "A\r\n0123456789\r\n1f\r\n0123456789abcdefghijklmnopqrstu\r\n"
                       "0\r\n\r\n";
    both_ways(1000, body, CHUNK_DONE, strlen(body), false);
    struct chunk_scanner s;
    feed_whole(&s, 1000, body, strlen(body));
    cr_assert_eq(s.body_total, 10 + 31);
}

Test(chunked, extensions_and_whitespace_after_the_size_are_refused)
{
    /* evhttp 2.1.12 fails on "A;name=value" and on "A\t" without answering: the guard refuses
     * them first, and passes on only the chunks before the bad size line. */
    static const char *bodies[] = {"3\r\nabc\r\nA;name=value\r\n0123456789\r\n0\r\n\r\n",
                                   "3\r\nabc\r\nA \r\n0123456789\r\n0\r\n\r\n",
                                   "3\r\nabc\r\nA\t\r\n0123456789\r\n0\r\n\r\n"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct chunk_scanner a, b;
        size_t len = strlen(bodies[i]);
        size_t pa = feed_whole(&a, 1000, bodies[i], len);
        size_t pb = feed_bytewise(&b, 1000, bodies[i], len);
        cr_assert_eq(a.state, CHUNK_ERROR, "[%zu]", i);
        cr_assert_eq(b.state, CHUNK_ERROR, "[%zu]", i);
        cr_assert_eq(pa, strlen("3\r\nabc\r\n"), "[%zu] whole passed %zu", i, pa);
        cr_assert_eq(pb, pa, "[%zu] bytewise passed %zu", i, pb);
        cr_assert_str_eq(chunk_scanner_ending(&a), "0\r\n\r\n");
    }
}

Test(chunked, lf_only_line_ends_are_tolerated)
{
    const char *body = "3\nabc\n0\n\n";
    both_ways(1000, body, CHUNK_DONE, strlen(body), false);
}

Test(chunked, trailers_are_skipped)
{
    const char *body = "3\r\nabc\r\n0\r\nX-Checksum: 1234\r\nX-Other: y\r\n\r\n";
    both_ways(1000, body, CHUNK_DONE, strlen(body), false);
}

Test(chunked, malformed_trailers_are_refused_after_the_last_whole_line)
{
    static const char *bad[] = {"no colon here", "X-Space : y", " folded", ":no-name",
                                "X-Ctl: a\x01b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char body[128];
        snprintf(body, sizeof body, "3\r\nabc\r\n0\r\nX-Good: 1\r\n%s\r\n\r\n", bad[i]);
        size_t good = strlen("3\r\nabc\r\n0\r\nX-Good: 1\r\n");
        both_ways(1000, body, CHUNK_ERROR, good, false);
        struct chunk_scanner s;
        feed_whole(&s, 1000, body, strlen(body));
        cr_assert_str_eq(chunk_scanner_ending(&s), "\r\n", "[%zu]", i);
    }
}

Test(chunked, a_trailer_line_cut_off_is_handed_back_whole)
{
    struct chunk_scanner s;
    chunk_scanner_init(&s, 1000);
    const char *part = "1\r\na\r\n0\r\nX-Tr";
    size_t n = chunk_scanner_feed(&s, part, strlen(part));
    cr_assert_eq(n, strlen("1\r\na\r\n0\r\n"));
    cr_assert_eq(s.state, CHUNK_TRAILER_START);
    const char *rest = "X-Trailer: 1\r\n\r\n";
    n = chunk_scanner_feed(&s, rest, strlen(rest));
    cr_assert_eq(n, strlen(rest));
    cr_assert_eq(s.state, CHUNK_DONE);
    cr_assert_eq(s.trailer_len, strlen(rest), "handed-back bytes are not counted twice");
}

Test(chunked, the_ending_completes_what_was_passed_on)
{
    /* Data not followed by CRLF: the data is passed on, the bad byte is not. */
    struct chunk_scanner s;
    const char *body = "3\r\nabcX0\r\n\r\n";
    size_t n = feed_whole(&s, 1000, body, strlen(body));
    cr_assert_eq(s.state, CHUNK_ERROR);
    cr_assert_eq(n, strlen("3\r\nabc"));
    cr_assert_str_eq(chunk_scanner_ending(&s), "\r\n0\r\n\r\n");
    /* CR then something else: the CR is passed on, the ending supplies the LF. */
    body = "3\r\nabc\rX";
    n = feed_whole(&s, 1000, body, strlen(body));
    cr_assert_eq(n, strlen("3\r\nabc\r"));
    cr_assert_str_eq(chunk_scanner_ending(&s), "\n0\r\n\r\n");
    /* Over the cap: before the offending size line. */
    body = "5\r\nhello\r\n6\r\n";
    n = feed_whole(&s, 8, body, strlen(body));
    cr_assert(s.over_cap);
    cr_assert_eq(n, strlen("5\r\nhello\r\n"));
    cr_assert_str_eq(chunk_scanner_ending(&s), "0\r\n\r\n");
}

Test(chunked, a_body_exactly_at_the_cap_is_accepted)
{
    const char *body = "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n";
    both_ways(10, body, CHUNK_DONE, strlen(body), false);
}

Test(chunked, over_cap_stops_just_before_the_offending_size_line)
{
    const char *body = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    size_t before = strlen("5\r\nhello\r\n");
    both_ways(10, body, CHUNK_ERROR, before, true);
    struct chunk_scanner s;
    feed_whole(&s, 10, body, strlen(body));
    cr_assert_eq(s.body_total, 5, "the refused chunk is not counted");
}

Test(chunked, a_huge_declared_chunk_is_refused_before_its_data)
{
    const char *body = "fffffff\r\nabc";
    both_ways(5000, body, CHUNK_ERROR, 0, true);
}

Test(chunked, malformed_chunk_sizes_are_errors_not_over_cap)
{
    static const char *bodies[] = {
        "\r\nabc\r\n0\r\n\r\n",   /* no digits */
        "zz\r\nabc\r\n0\r\n\r\n", /* not hex */
        "3\r\nabcX0\r\n\r\n",     /* data not followed by CRLF */
        "1234567890abcdef0\r\n",  /* too many digits to be sane */
        "-3\r\nabc\r\n0\r\n\r\n", /* sign */
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct chunk_scanner a, b;
        size_t len = strlen(bodies[i]);
        feed_whole(&a, 1000, bodies[i], len);
        feed_bytewise(&b, 1000, bodies[i], len);
        cr_assert_eq(a.state, CHUNK_ERROR, "whole [%zu]", i);
        cr_assert_eq(b.state, CHUNK_ERROR, "bytewise [%zu]", i);
        cr_assert_not(a.over_cap, "[%zu]", i);
        cr_assert_not(b.over_cap, "[%zu]", i);
    }
}

Test(chunked, a_size_line_cut_off_is_handed_back_whole)
{
    struct chunk_scanner s;
    chunk_scanner_init(&s, 1000);
    /* The first call ends inside the second size line: only the first chunk is passed on. */
    const char *part = "3\r\nabc\r\n1";
    size_t n = chunk_scanner_feed(&s, part, strlen(part));
    cr_assert_eq(n, strlen("3\r\nabc\r\n"));
    cr_assert_eq(s.state, CHUNK_SIZE);
    const char *rest = "10\r\n0123456789abcdef\r\n0\r\n\r\n";
    n = chunk_scanner_feed(&s, rest, strlen(rest));
    cr_assert_eq(n, strlen(rest));
    cr_assert_eq(s.state, CHUNK_DONE);
    cr_assert_eq(s.body_total, 3 + 16);
}

Test(chunked, an_incomplete_body_is_not_done)
{
    struct chunk_scanner s;
    const char *body = "5\r\nhel";
    size_t n = feed_whole(&s, 1000, body, strlen(body));
    cr_assert_eq(n, strlen(body), "data bytes pass on as they come");
    cr_assert_eq(s.state, CHUNK_DATA);
    cr_assert_eq(s.chunk_left, 2);
}

/* ---- head syntax (RFC 9112) and what the fields say ----------------------------------------- */

/* Inspects head[0..len) (NULs allowed) and checks the verdict, that its detail is a sentence
 * naming `names` (a substring, case-sensitive), and that the lines, checked as they might arrive
 * one more byte at a time, give the same verdict as soon as the faulty line is whole. */
static void expect_verdict_n(const char *head, size_t len, enum http_guard_verdict want,
                             const char *names)
{
    struct http_head_info i = http_guard_inspect_head(head, len, &limits);
    cr_assert_eq(i.verdict, want, "%.*s: verdict %d (%s), want %d", (int)len, head, i.verdict,
                 i.detail, want);
    if (want == GUARD_OK) {
        cr_assert_str_empty(i.detail);
        return;
    }
    cr_assert(strlen(i.detail) > 10 && i.detail[strlen(i.detail) - 1] == '.',
              "detail is not a sentence: '%s'", i.detail);
    if (names)
        cr_assert(strstr(i.detail, names), "detail '%s' does not name '%s'", i.detail, names);
    /* Syntax faults are found line by line before the head ends; the others only at its end. */
    bool syntax = want == GUARD_BAD_REQUEST_LINE || want == GUARD_BAD_FIELD ||
                  want == GUARD_VERSION_NOT_SUPPORTED;
    struct http_head_info p = {.verdict = GUARD_OK};
    size_t checked = 0;
    for (size_t n = 1; n + 1 < len && p.verdict == GUARD_OK; n++)
        checked = http_guard_check_partial(head, n, checked, &p);
    if (syntax) {
        cr_assert_eq(p.verdict, want, "%.*s: partial verdict %d, want %d", (int)len, head,
                     p.verdict, want);
        cr_assert_str_eq(p.detail, i.detail);
    } else {
        cr_assert_eq(p.verdict, GUARD_OK, "%.*s: partial verdict %d (%s)", (int)len, head,
                     p.verdict, p.detail);
    }
}

static void expect_verdict(const char *head, enum http_guard_verdict want, const char *names)
{
    expect_verdict_n(head, strlen(head), want, names);
}

TestSuite(head_syntax, .timeout = 60);

Test(head_syntax, statuses)
{
    cr_assert_eq(http_guard_status(GUARD_OK), 0);
    cr_assert_eq(http_guard_status(GUARD_HEAD_TOO_LARGE), 431);
    cr_assert_eq(http_guard_status(GUARD_BODY_TOO_LARGE), 413);
    cr_assert_eq(http_guard_status(GUARD_BAD_FRAMING), 400);
    cr_assert_eq(http_guard_status(GUARD_BAD_REQUEST_LINE), 400);
    cr_assert_eq(http_guard_status(GUARD_BAD_FIELD), 400);
    cr_assert_eq(http_guard_status(GUARD_BAD_HOST), 400);
    cr_assert_eq(http_guard_status(GUARD_DUPLICATE_FIELD), 400);
    cr_assert_eq(http_guard_status(GUARD_EXPECTATION_FAILED), 417);
    cr_assert_eq(http_guard_status(GUARD_VERSION_NOT_SUPPORTED), 505);
    cr_assert_eq(http_guard_status(GUARD_OVER_CAPACITY), 503);
}

Test(head_syntax, well_formed_heads_pass)
{
    static const char *heads[] = {
        "GET /v1/stages HTTP/1.1\r\nHost: localhost:8443\r\nAccept: */*\r\n\r\n",
        "GET /v1/funnels?period=2026-Q1&region=VR01 HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /healthz HTTP/1.0\r\n\r\n",
        "GET /healthz HTTP/1.1\nHost: x\n\n",
        "GET / HTTP/1.1\r\nHost:\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: [::1]:8443\r\nX-Empty:\r\nX-Tab:\tv\t\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nX-Latin: caf\xe9\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET http://localhost:8443/v1/stages HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET https://example.org/v1/stages?x=1 HTTP/1.1\r\nHost: example.org\r\n\r\n",
        "CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n\r\n",
        "CONNECT /v1/municipalities HTTP/1.1\r\nHost: x\r\n\r\n",
        "TRACE /v1/municipalities HTTP/1.1\r\nHost: x\r\n\r\n",
        "BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n",
        "PUT /v1/x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\nContent-Type: a/b\r\n\r\n",
        "HEAD / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        "OPTIONS /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++)
        expect_verdict(heads[i], GUARD_OK, NULL);
}

Test(head_syntax, leading_empty_lines_are_counted_for_the_caller_to_drop)
{
    const char *h = "\r\n\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n";
    struct http_head_info i = inspect(h);
    cr_assert_eq(i.verdict, GUARD_OK);
    cr_assert_eq(i.head_start, 5);
    /* A bare CR before the request line is not an empty line. */
    expect_verdict("\r\rGET / HTTP/1.1\r\nHost: x\r\n\r\n", GUARD_BAD_REQUEST_LINE, "bare CR");
}

Test(head_syntax, malformed_request_lines_are_400)
{
    static const struct {
        const char *head, *names;
    } cases[] = {
        {"GET /\r\n\r\n", "no HTTP version"},
        {"GET\r\nHost: x\r\n\r\n", "'GET'"},
        {" GET / HTTP/1.1\r\nHost: x\r\n\r\n", "METHOD SP"},
        {"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", "one space"},
        {"GET / HTTP/1.1 \r\nHost: x\r\n\r\n", "one space"},
        {"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", "one space"},
        {"GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n", "method"},
        {"GE(T / HTTP/1.1\r\nHost: x\r\n\r\n", "'GE(T'"},
        {"GET / http/1.1\r\nHost: x\r\n\r\n", "'http/1.1'"},
        {"GET / HTTP/1.10\r\nHost: x\r\n\r\n", "malformed"},
        {"GET / HTTP/1\r\nHost: x\r\n\r\n", "malformed"},
        {"GET / HTTP/x.y\r\nHost: x\r\n\r\n", "malformed"},
        {"GET / HTTPS/1.1\r\nHost: x\r\n\r\n", "malformed"},
        {"GET /a\x7f HTTP/1.1\r\nHost: x\r\n\r\n", "request target"},
        {"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", "non-ASCII"},
        {"GET /a#frag HTTP/1.1\r\nHost: x\r\n\r\n", "'#'"},
        {"GET //evil/x HTTP/1.1\r\nHost: x\r\n\r\n", "'//'"},
        {"GET * HTTP/1.1\r\nHost: x\r\n\r\n", "OPTIONS"},
        {"GET v1/stages HTTP/1.1\r\nHost: x\r\n\r\n", "'v1/stages'"},
        {"GET 1a:b HTTP/1.1\r\nHost: x\r\n\r\n", "'1a:b'"},
        {"GET http://us@er/ HTTP/1.1\r\nHost: x\r\n\r\n", "malformed host"},
        {"GET http://[::1/ HTTP/1.1\r\nHost: x\r\n\r\n", "malformed host"},
        {"GET http://h:99999/ HTTP/1.1\r\nHost: x\r\n\r\n", "malformed host"},
        {"CONNECT [::1 HTTP/1.1\r\nHost: x\r\n\r\n", "'[::1'"},
        {"GE / HTTP/1.1\r\nHost: x\r\n\r\n", "too short"},
        {"GET / HTTP/1.1\rHost: x\r\n\r\n", "bare CR"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_verdict(cases[i].head, GUARD_BAD_REQUEST_LINE, cases[i].names);
    /* NUL in the method, in the target. */
    static const char nul_method[] = "G\0T / HTTP/1.1\r\nHost: x\r\n\r\n";
    expect_verdict_n(nul_method, sizeof nul_method - 1, GUARD_BAD_REQUEST_LINE, "NUL");
    static const char nul_target[] = "GET /\0 HTTP/1.1\r\nHost: x\r\n\r\n";
    expect_verdict_n(nul_target, sizeof nul_target - 1, GUARD_BAD_REQUEST_LINE, "NUL");
}

Test(head_syntax, versions_other_than_1_0_and_1_1_are_505)
{
    expect_verdict("GET / HTTP/2.0\r\nHost: x\r\n\r\n", GUARD_VERSION_NOT_SUPPORTED, "HTTP/2.0");
    expect_verdict("GET / HTTP/3.0\r\nHost: x\r\n\r\n", GUARD_VERSION_NOT_SUPPORTED, "HTTP/3.0");
    expect_verdict("GET / HTTP/0.9\r\n\r\n", GUARD_VERSION_NOT_SUPPORTED, "HTTP/0.9");
    expect_verdict("GET / HTTP/1.2\r\nHost: x\r\n\r\n", GUARD_VERSION_NOT_SUPPORTED, "HTTP/1.2");
    /* The version is judged before the target: "PRI *" is the HTTP/2 preface, not a bad target. */
    expect_verdict("PRI * HTTP/2.0\r\n\r\n", GUARD_VERSION_NOT_SUPPORTED, "HTTP/2 connection");
}

Test(head_syntax, the_http2_preface_ends_a_head_and_gets_505)
{
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    size_t end = http_guard_head_end(preface, sizeof preface - 1);
    cr_assert_eq(end, strlen("PRI * HTTP/2.0\r\n\r\n"));
    expect_verdict_n(preface, end, GUARD_VERSION_NOT_SUPPORTED, "preface");
}

Test(head_syntax, malformed_field_lines_are_400)
{
    static const struct {
        const char *head, *names;
    } cases[] = {
        {"POST /v1/imports HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n",
         "'Transfer-Encoding'"},
        {"GET / HTTP/1.1\r\nHost\t: x\r\n\r\n", "'Host'"},
        {"GET / HTTP/1.1\r\nHost: x\r\nX-No-Colon\r\n\r\n", "'X-No-Colon' has no colon"},
        {"GET / HTTP/1.1\r\nHost: x\r\n: empty name\r\n\r\n", "no field name"},
        {"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n", "folding"},
        {"GET / HTTP/1.1\r\nHost: x\r\n\tfolded: 1\r\n\r\n", "folding"},
        {"GET / HTTP/1.1\r\nHost: x\r\nX(Y): 1\r\n\r\n", "'X(Y)'"},
        {"GET / HTTP/1.1\r\nHost: x\r\nX Y: 1\r\n\r\n", "'X Y'"},
        {"GET / HTTP/1.1\r\nHost: x\r\nX-Esc: a\x1b[0m\r\n\r\n", "'X-Esc'"},
        {"GET / HTTP/1.1\r\nHost: x\r\nX-Del: a\x7f\r\n\r\n", "'X-Del'"},
        {"GET / HTTP/1.1\r\nHost: x\r\nX-Cr: a\rb\r\n\r\n", "bare CR"},
        {"GET / HTTP/1.1\r\nHost: x\r\nX-Cr: ab\r\r\n\r\n", "bare CR"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_verdict(cases[i].head, GUARD_BAD_FIELD, cases[i].names);
    static const char nul_value[] = "GET / HTTP/1.1\r\nHost: x\r\nX-Nul: a\0b\r\n\r\n";
    expect_verdict_n(nul_value, sizeof nul_value - 1, GUARD_BAD_FIELD, "NUL");
    static const char nul_name[] = "GET / HTTP/1.1\r\nHost: x\r\nX\0Y: 1\r\n\r\n";
    expect_verdict_n(nul_name, sizeof nul_name - 1, GUARD_BAD_FIELD, "NUL");
}

Test(head_syntax, a_tab_before_a_framing_value_is_400)
{
    /* evhttp skips only spaces before a value: it would read no chunked body here. */
    expect_verdict("POST /v1/imports HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\tchunked\r\n\r\n",
                   GUARD_BAD_FIELD, "Transfer-Encoding");
    expect_verdict("PUT /v1/x HTTP/1.1\r\nHost: x\r\nExpect: \t100-continue\r\n\r\n",
                   GUARD_BAD_FIELD, "Expect");
    expect_verdict("POST /v1/imports HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\t\r\n\r\n",
                   GUARD_OK, NULL);
}

Test(head_syntax, the_first_fault_in_line_order_wins)
{
    /* A malformed field line before a duplicate Content-Length: the syntax pass sees it first,
     * as it does while lines arrive. */
    expect_verdict("PUT /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n"
                   "Bad\r\n\r\n",
                   GUARD_BAD_FIELD, "'Bad'");
    expect_verdict("GET / HTTP/2.0\r\nBad\r\n\r\n", GUARD_VERSION_NOT_SUPPORTED, NULL);
}

Test(head_syntax, host_exactly_once_in_http_1_1)
{
    expect_verdict("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", GUARD_BAD_HOST, "needs a Host");
    expect_verdict("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", GUARD_BAD_HOST,
                   "more than one Host");
    expect_verdict("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", GUARD_BAD_HOST,
                   "more than one Host");
    expect_verdict("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", GUARD_BAD_HOST, "'a b'");
    expect_verdict("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", GUARD_BAD_HOST, "'a/b'");
    expect_verdict("GET / HTTP/1.0\r\n\r\n", GUARD_OK, NULL);
}

Test(head_syntax, single_fields_given_twice_are_400)
{
    expect_verdict("GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\n"
                   "Authorization: Bearer b\r\n\r\n",
                   GUARD_DUPLICATE_FIELD, "Authorization");
    expect_verdict("GET /v1/me HTTP/1.1\r\nHost: x\r\nauthorization: Bearer a\r\n"
                   "AUTHORIZATION: Bearer a\r\n\r\n",
                   GUARD_DUPLICATE_FIELD, "Authorization");
    expect_verdict("POST /v1/imports HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
                   "Content-Type: application/json\r\n\r\n",
                   GUARD_DUPLICATE_FIELD, "Content-Type");
    expect_verdict("POST /v1/imports HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\r\n"
                   "Idempotency-Key: b\r\n\r\n",
                   GUARD_DUPLICATE_FIELD, "Idempotency-Key");
    /* List fields may repeat. */
    expect_verdict("GET / HTTP/1.1\r\nHost: x\r\nAccept: a/b\r\nAccept: c/d\r\n\r\n", GUARD_OK,
                   NULL);
}

Test(head_syntax, expect_other_than_100_continue_is_417)
{
    expect_verdict("PUT /v1/x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n", GUARD_OK, NULL);
    expect_verdict("PUT /v1/x HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n",
                   GUARD_EXPECTATION_FAILED, "'200-ok'");
}

Test(head_syntax, bodies_evhttp_would_not_read_are_400)
{
    /* evhttp reads no body for HEAD, TRACE and methods it does not know: the body's bytes would
     * be taken for the next request, one the guard never saw. */
    expect_verdict("HEAD / HTTP/1.1\r\nHost: x\r\nContent-Length: 30\r\n\r\n", GUARD_BAD_FRAMING,
                   "HEAD");
    expect_verdict("TRACE / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
                   GUARD_BAD_FRAMING, "TRACE");
    expect_verdict("BREW /pot HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n", GUARD_BAD_FRAMING,
                   "BREW");
    expect_verdict("get / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n", GUARD_BAD_FRAMING,
                   "get");
}

Test(head_syntax, transfer_encoding_in_http_1_0_is_bad_framing)
{
    expect_verdict("POST /v1/imports HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
                   GUARD_BAD_FRAMING, "HTTP/1.0");
}

Test(head_syntax, framing_details_name_the_field)
{
    expect_verdict(
        "PUT /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
        GUARD_BAD_FRAMING, "Content-Length is given more than once");
    expect_verdict("PUT /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5x\r\n\r\n", GUARD_BAD_FRAMING,
                   "'5x'");
    expect_verdict("PUT /v1/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
                   GUARD_BAD_FRAMING, "'gzip'");
    expect_verdict("PUT /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n",
                   GUARD_BODY_TOO_LARGE, "1001 bytes");
}

TestSuite(partial, .timeout = 60);

Test(partial, a_request_line_is_judged_as_soon_as_it_ends)
{
    struct http_head_info i = {.verdict = GUARD_OK};
    /* An HTTP/0.9 client sends its one line and waits. */
    size_t at = http_guard_check_partial("GET /\r\n", 7, 0, &i);
    cr_assert_eq(i.verdict, GUARD_BAD_REQUEST_LINE);
    cr_assert_eq(at, 7);
    i = (struct http_head_info){.verdict = GUARD_OK};
    at = http_guard_check_partial("GET / HTTP/1.1", 14, 0, &i);
    cr_assert_eq(i.verdict, GUARD_OK, "not a whole line yet");
    cr_assert_eq(at, 0);
    at = http_guard_check_partial("\r\n\r\n", 4, 0, &i);
    cr_assert_eq(at, 0, "empty lines only: the request line is still to come");
}

Test(partial, checking_resumes_where_it_stopped)
{
    const char *h = "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nX-B";
    struct http_head_info i = {.verdict = GUARD_OK};
    size_t at = http_guard_check_partial(h, strlen(h), 0, &i);
    cr_assert_eq(i.verdict, GUARD_OK);
    cr_assert_eq(at, strlen("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n"));
    const char *more = "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nX-B no colon\r\n";
    at = http_guard_check_partial(more, strlen(more), at, &i);
    cr_assert_eq(i.verdict, GUARD_BAD_FIELD);
    cr_assert(strstr(i.detail, "'X-B no colon'"), "%s", i.detail);
}
