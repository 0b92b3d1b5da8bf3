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
    i = inspect("PUT /v1/x HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    cr_assert_eq(i.verdict, GUARD_OK);
    cr_assert_eq(i.body_mode, BODY_NONE);
}

Test(inspect, content_length_within_the_cap)
{
    struct http_head_info i = inspect("PUT /v1/municipalities/GM0599/funnels/2026-Q1 HTTP/1.1\r\n"
                                      "content-length:   1000  \r\n\r\n");
    cr_assert_eq(i.verdict, GUARD_OK);
    cr_assert_eq(i.body_mode, BODY_LENGTH);
    cr_assert_eq(i.content_length, 1000);
    cr_assert_eq(i.body_cap, 1000);
}

Test(inspect, content_length_over_max_body_is_413)
{
    struct http_head_info i = inspect("PUT /v1/municipalities/GM0599/funnels/2026-Q1 HTTP/1.1\r\n"
                                      "Content-Length: 1001\r\n\r\n");
    cr_assert_eq(i.verdict, GUARD_BODY_TOO_LARGE);
    cr_assert_eq(i.body_cap, 1000);
}

Test(inspect, imports_get_the_import_cap)
{
    struct http_head_info i = inspect("POST /v1/imports HTTP/1.1\r\nContent-Length: 5000\r\n\r\n");
    cr_assert_eq(i.verdict, GUARD_OK);
    cr_assert_eq(i.body_cap, 5000);
    i = inspect("POST /v1/imports?dryRun=true HTTP/1.1\r\nContent-Length: 4000\r\n\r\n");
    cr_assert_eq(i.verdict, GUARD_OK);
    cr_assert_eq(i.body_cap, 5000);
    i = inspect("POST /v1/imports HTTP/1.1\r\nContent-Length: 5001\r\n\r\n");
    cr_assert_eq(i.verdict, GUARD_BODY_TOO_LARGE);
}

Test(inspect, only_post_to_exactly_imports_gets_the_import_cap)
{
    static const char *heads[] = {
        "PUT /v1/imports HTTP/1.1\r\nContent-Length: 2000\r\n\r\n",
        "POST /v1/importsx HTTP/1.1\r\nContent-Length: 2000\r\n\r\n",
        "POST /v1/imports/1 HTTP/1.1\r\nContent-Length: 2000\r\n\r\n",
        "POST /v1/municipalities HTTP/1.1\r\nContent-Length: 2000\r\n\r\n",
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
        inspect("PUT /v1/x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n");
    cr_assert_eq(i.verdict, GUARD_BAD_FRAMING);
    i = inspect("PUT /v1/x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n");
    cr_assert_eq(i.verdict, GUARD_BAD_FRAMING);
}

Test(inspect, malformed_content_length_is_bad_framing)
{
    static const char *values[] = {
        "", "abc", "-1", "+5", "5,5", "0x10", "1 2", "12a", "99999999999999999999999"};
    char head[256];
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        snprintf(head, sizeof head, "PUT /v1/x HTTP/1.1\r\nContent-Length: %s\r\n\r\n", values[i]);
        cr_assert_eq(inspect(head).verdict, GUARD_BAD_FRAMING, "Content-Length: '%s'", values[i]);
    }
}

Test(inspect, transfer_encoding_with_content_length_is_bad_framing)
{
    struct http_head_info i = inspect("POST /v1/imports HTTP/1.1\r\nContent-Length: 10\r\n"
                                      "Transfer-Encoding: chunked\r\n\r\n");
    cr_assert_eq(i.verdict, GUARD_BAD_FRAMING);
    i = inspect("POST /v1/imports HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                "Content-Length: 10\r\n\r\n");
    cr_assert_eq(i.verdict, GUARD_BAD_FRAMING, "order does not matter");
}

Test(inspect, transfer_codings_other_than_chunked_are_bad_framing)
{
    cr_assert_eq(inspect("POST /v1/imports HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n").verdict,
                 GUARD_BAD_FRAMING);
    cr_assert_eq(
        inspect("POST /v1/imports HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").verdict,
        GUARD_BAD_FRAMING);
    cr_assert_eq(inspect("POST /v1/imports HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n")
                     .verdict,
                 GUARD_BAD_FRAMING, "chunked twice");
}

Test(inspect, chunked_is_accepted_case_insensitively)
{
    struct http_head_info i =
        inspect("POST /v1/imports HTTP/1.1\r\ntransfer-encoding:  Chunked \r\n\r\n");
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

Test(chunked, hex_sizes_and_extensions)
{
    const char *body = "A;name=value\r\n0123456789\r\n1f \r\n0123456789abcdefghijklmnopqrstu\r\n"
                       "0\r\n\r\n";
    both_ways(1000, body, CHUNK_DONE, strlen(body), false);
    struct chunk_scanner s;
    feed_whole(&s, 1000, body, strlen(body));
    cr_assert_eq(s.body_total, 10 + 31);
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
