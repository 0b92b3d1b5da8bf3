/* The dashboard (issues 8 and 19): static files built into the binary (dashboard/ via
 * cmake/embed.cmake), served without a token at GET / (index.html) and GET /dashboard/{file}. The
 * page then calls the API same-origin with the token the user enters. Every answer carries a strict
 * Content-Security-Policy: nothing but this origin may be loaded, framed, posted to or connected
 * to.
 *
 * Each file is revalidated on every load (Cache-Control: no-cache) against a strong ETag, the
 * first 32 hex digits of the SHA-256 of the bytes sent, computed at build time: an unchanged file
 * costs a 304 without a body. Where the build embedded a gzip copy ("<name>.gz", gzip -9 -n) and
 * the request's Accept-Encoding allows gzip, that copy is sent with Content-Encoding: gzip; either
 * way the answer says Vary: Accept-Encoding. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/handlers.h"
#include "api/request.h"
#include "daemon/embedded.h"

static const char dashboard_csp[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/* Hex digits of the SHA-256 that make up an ETag: 128 bits, plenty to tell builds apart. */
enum { ETAG_HEX = 32 };

/* The Content-Type for a dashboard file name, or NULL for a kind the dashboard does not serve. */
const char *dashboard_content_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},    {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},      {".json", "application/json"},
        {".svg", "image/svg+xml; charset=utf-8"},
    };
    const char *dot = name ? strrchr(name, '.') : NULL;
    if (!dot)
        return NULL;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return NULL;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* True when the q-value text at `q` (after "q=") is zero: "0", "0.", "0.0", ... "0.000". */
static bool qvalue_is_zero(const char *q)
{
    if (*q != '0')
        return false;
    q++;
    if (*q == '.')
        for (q++; *q == '0'; q++)
            ;
    return *q < '0' || *q > '9';
}

/* Whether an Accept-Encoding header (RFC 9110 §12.5.3) allows gzip: a "gzip" or "x-gzip" coding,
 * or "*", with a q-value above zero; an explicit gzip;q=0 wins over "*". No header: no gzip. */
static bool accepts_gzip(const char *header)
{
    bool named = false, named_ok = false, star_ok = false;
    for (const char *p = header; p && *p;) {
        while (*p == ',' || is_space(*p))
            p++;
        const char *name = p;
        while (*p && *p != ',' && *p != ';' && !is_space(*p))
            p++;
        size_t name_len = (size_t)(p - name);
        bool zero = false;
        /* parameters up to the next comma; only q matters */
        while (*p && *p != ',') {
            if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=' &&
                (p == name || p[-1] == ';' || is_space(p[-1])))
                zero = qvalue_is_zero(p + 2);
            p++;
        }
        if ((name_len == 4 && strncasecmp(name, "gzip", 4) == 0) ||
            (name_len == 6 && strncasecmp(name, "x-gzip", 6) == 0)) {
            named = true;
            named_ok = named_ok || !zero;
        } else if (name_len == 1 && name[0] == '*') {
            star_ok = !zero;
        }
    }
    return named ? named_ok : star_ok;
}

static void serve(struct request *r, const char *file)
{
    char name[96], gz_name[100], etag[ETAG_HEX + 3];
    const struct embedded_file *f = NULL, *gz = NULL;
    const char *type = dashboard_content_type(file);
    /* One path segment (the router allows only unreserved characters); no hidden files. */
    if (type && file[0] != '.' &&
        snprintf(name, sizeof name, "dashboard/%s", file) < (int)sizeof name)
        f = embedded_find(name);
    if (!f) {
        reply_problem(r, 404, "not-found", "There is no dashboard file at this path.", NULL);
        return;
    }
    if (snprintf(gz_name, sizeof gz_name, "%s.gz", name) < (int)sizeof gz_name)
        gz = embedded_find(gz_name);
    const struct embedded_file *sent =
        gz && accepts_gzip(request_header(r, "Accept-Encoding")) ? gz : f;
    snprintf(etag, sizeof etag, "\"%.*s\"", ETAG_HEX, sent->sha256);

    request_add_header(r, "Content-Security-Policy", dashboard_csp);
    request_add_header(r, "X-Frame-Options", "DENY");
    request_add_header(r, "Referrer-Policy", "no-referrer");
    request_add_header(r, "Cross-Origin-Opener-Policy", "same-origin");
    request_add_header(r, "Cross-Origin-Resource-Policy", "same-origin");
    /* Small files, revalidated on every load (a 304 when unchanged) so that a new daemon's
     * dashboard is used at once. */
    request_add_header(r, "Cache-Control", "no-cache");
    if (gz)
        request_add_header(r, "Vary", "Accept-Encoding");
    if (request_not_modified(r, etag))
        return;
    if (sent == gz)
        request_add_header(r, "Content-Encoding", "gzip");
    reply_body(r, 200, type, (const char *)sent->data, sent->len);
}

void handle_dashboard_index(struct request *r)
{
    serve(r, "index.html");
}

void handle_dashboard_file(struct request *r)
{
    serve(r, request_param(r, "file"));
}
