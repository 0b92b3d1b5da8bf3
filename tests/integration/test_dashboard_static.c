/* Black-box tests of the dashboard's static files (issue 19, api/h_dashboard.c): a strong ETag per
 * representation with 304 on If-None-Match, the gzip copy built in at compile time sent with
 * Content-Encoding: gzip only where Accept-Encoding allows it, Vary: Accept-Encoding, and
 * Cache-Control: no-cache. Runs against the daemon of the CTest fixture "main"; reads only. */
#include "harness.h"

#include <criterion/criterion.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int matches(const char *re, const char *s)
{
    regex_t rx;
    if (s == NULL || regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
        return 0;
    int ok = regexec(&rx, s, 0, NULL, 0) == 0;
    regfree(&rx);
    return ok;
}

/* GET path with one optional extra header line ("Name: value"). */
static struct http_response *get_with(const char *path, const char *header)
{
    const char *const extra[] = {header, NULL};
    return http_do("GET", path, NULL, NULL, NULL, 0, header ? extra : NULL);
}

static char *dup_header(struct http_response *r, const char *name)
{
    const char *v = http_header(r, name);
    return v ? strdup(v) : NULL;
}

static int is_gzip(const struct http_response *r)
{
    return r->body_len > 2 && (unsigned char)r->body[0] == 0x1f &&
           (unsigned char)r->body[1] == 0x8b;
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f, "cannot write %s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

Test(dashboard_static, identity_answer_has_strong_etag_and_revalidates, .timeout = 30)
{
    struct http_response *r = get_with("/dashboard/app.js", NULL);
    cr_assert_eq(r->status, 200, "GET app.js: %ld", r->status);
    cr_assert_null(http_header(r, "Content-Encoding"), "no Accept-Encoding, yet encoded");
    cr_assert(matches("^\"[0-9a-f]{32}\"$", http_header(r, "ETag")), "ETag: %s",
              http_header(r, "ETag") ? http_header(r, "ETag") : "(none)");
    cr_assert_str_eq(http_header(r, "Cache-Control"), "no-cache");
    cr_assert_str_eq(http_header(r, "Vary"), "Accept-Encoding");
    cr_assert(matches("^text/javascript", http_header(r, "Content-Type")));
    cr_assert(r->body_len > 100 && strncmp(r->body, "//", 2) == 0, "not the script itself");
    http_response_free(r);
}

Test(dashboard_static, gzip_when_accepted_and_equal_to_the_file, .timeout = 30)
{
    struct http_response *plain = get_with("/dashboard/app.js", NULL);
    struct http_response *gz = get_with("/dashboard/app.js", "Accept-Encoding: gzip, deflate, br");
    cr_assert_eq(gz->status, 200);
    cr_assert_str_eq(http_header(gz, "Content-Encoding"), "gzip");
    cr_assert_str_eq(http_header(gz, "Vary"), "Accept-Encoding");
    cr_assert(is_gzip(gz), "body is not gzip");
    cr_assert_lt(gz->body_len, plain->body_len, "the gzip copy is not smaller");
    char *etag_plain = dup_header(plain, "ETag");
    cr_assert(matches("^\"[0-9a-f]{32}\"$", http_header(gz, "ETag")));
    cr_assert_str_neq(http_header(gz, "ETag"), etag_plain, "one ETag for two representations");
    /* the compressed answer decompresses to exactly the file served uncompressed */
    char dir[] = "/tmp/trechter-dash-XXXXXX";
    cr_assert(mkdtemp(dir));
    char a[96], b[96];
    snprintf(a, sizeof a, "%s/plain", dir);
    snprintf(b, sizeof b, "%s/app.js.gz", dir);
    write_file(a, plain->body, plain->body_len);
    write_file(b, gz->body, gz->body_len);
    cr_assert_eq(itest_run("gzip -dc '%s' | cmp -s - '%s'", b, a), 0, "gunzip differs from file");
    itest_run("rm -rf '%s'", dir);
    free(etag_plain);
    http_response_free(plain);
    http_response_free(gz);
}

Test(dashboard_static, accept_encoding_is_honoured, .timeout = 30)
{
    static const struct {
        const char *header;
        int gzip;
    } cases[] = {
        {"Accept-Encoding: gzip", 1},
        {"Accept-Encoding: GZIP;Q=0.5", 1},
        {"Accept-Encoding: x-gzip", 1},
        {"Accept-Encoding: *", 1},
        {"Accept-Encoding: br;q=1.0, gzip;q=0.8, *;q=0.1", 1},
        {"Accept-Encoding: identity", 0},
        {"Accept-Encoding: gzip;q=0", 0},
        {"Accept-Encoding: gzip; q=0.000", 0},
        {"Accept-Encoding: gzip;q=0, *", 0},
        {"Accept-Encoding: *;q=0", 0},
        {"Accept-Encoding: br, deflate", 0},
        {"Accept-Encoding: gzipx", 0},
        {"Accept-Encoding: ", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct http_response *r = get_with("/dashboard/style.css", cases[i].header);
        cr_assert_eq(r->status, 200, "%s: %ld", cases[i].header, r->status);
        const char *ce = http_header(r, "Content-Encoding");
        if (cases[i].gzip)
            cr_assert(ce && strcmp(ce, "gzip") == 0 && is_gzip(r), "%s: not gzip", cases[i].header);
        else
            cr_assert(!ce && !is_gzip(r), "%s: gzip sent", cases[i].header);
        http_response_free(r);
    }
}

Test(dashboard_static, if_none_match_gives_304, .timeout = 30)
{
    static const char *const paths[] = {"/", "/dashboard/index.html", "/dashboard/style.css",
                                        "/dashboard/nl-2023.topo.json", "/dashboard/icon.svg"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        for (int enc = 0; enc < 2; enc++) {
            const char *ae = enc ? "Accept-Encoding: gzip" : NULL;
            const char *const first_headers[] = {ae, NULL};
            struct http_response *r =
                http_do("GET", paths[i], NULL, NULL, NULL, 0, ae ? first_headers : NULL);
            cr_assert_eq(r->status, 200, "%s", paths[i]);
            char *etag = dup_header(r, "ETag");
            cr_assert(etag, "%s: no ETag", paths[i]);
            char inm[160], weak[160], list[200];
            snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
            snprintf(weak, sizeof weak, "If-None-Match: W/%s", etag);
            snprintf(list, sizeof list, "If-None-Match: \"0123\", %s", etag);
            const char *const hits[] = {inm, weak, list, "If-None-Match: *"};
            for (size_t k = 0; k < sizeof hits / sizeof hits[0]; k++) {
                const char *const h[] = {hits[k], ae, NULL};
                struct http_response *n = http_do("GET", paths[i], NULL, NULL, NULL, 0, h);
                cr_assert_eq(n->status, 304, "%s %s: %ld", paths[i], hits[k], n->status);
                cr_assert_eq(n->body_len, 0, "%s: a 304 with a body", paths[i]);
                cr_assert_str_eq(http_header(n, "ETag"), etag);
                cr_assert_str_eq(http_header(n, "Cache-Control"), "no-cache");
                cr_assert(http_header(n, "Content-Security-Policy"), "304 without CSP");
                http_response_free(n);
            }
            const char *const miss[] = {"If-None-Match: \"0123456789abcdef0123456789abcdef\"", ae,
                                        NULL};
            struct http_response *m = http_do("GET", paths[i], NULL, NULL, NULL, 0, miss);
            cr_assert_eq(m->status, 200, "%s: another ETag must get the file", paths[i]);
            cr_assert_gt(m->body_len, 0);
            http_response_free(m);
            free(etag);
            http_response_free(r);
        }
    }
}

Test(dashboard_static, the_identity_etag_does_not_match_the_gzip_answer, .timeout = 30)
{
    struct http_response *plain = get_with("/dashboard/app.js", NULL);
    char inm[160];
    snprintf(inm, sizeof inm, "If-None-Match: %s", http_header(plain, "ETag"));
    const char *const h[] = {inm, "Accept-Encoding: gzip", NULL};
    struct http_response *r = http_do("GET", "/dashboard/app.js", NULL, NULL, NULL, 0, h);
    cr_assert_eq(r->status, 200, "the gzip answer has its own ETag: %ld", r->status);
    cr_assert(is_gzip(r));
    http_response_free(r);
    http_response_free(plain);
}

Test(dashboard_static, unknown_files_stay_404, .timeout = 30)
{
    static const char *const paths[] = {"/dashboard/app.js.gz", "/dashboard/missing.js",
                                        "/dashboard/.app.js"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct http_response *r = get_with(paths[i], "Accept-Encoding: gzip");
        cr_assert_eq(r->status, 404, "%s: %ld", paths[i], r->status);
        cr_assert(http_is_problem(r), "%s: not a problem", paths[i]);
        http_response_free(r);
    }
}
