/* The dashboard (issue 8): static files built into the binary (dashboard/ via cmake/embed.cmake),
 * served without a token at GET / (index.html) and GET /dashboard/{file}. The page then calls the
 * API same-origin with the token the user enters. Every answer carries a strict
 * Content-Security-Policy: nothing but this origin may be loaded, framed, posted to or connected
 * to. */
#include <stdio.h>
#include <string.h>

#include "api/handlers.h"
#include "api/request.h"
#include "daemon/embedded.h"

static const char dashboard_csp[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

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

static void serve(struct request *r, const char *file)
{
    char name[96];
    const struct embedded_file *f = NULL;
    const char *type = dashboard_content_type(file);
    /* One path segment (the router allows only unreserved characters); no hidden files. */
    if (type && file[0] != '.' &&
        snprintf(name, sizeof name, "dashboard/%s", file) < (int)sizeof name)
        f = embedded_find(name);
    if (!f) {
        reply_problem(r, 404, "not-found", "There is no dashboard file at this path.", NULL);
        return;
    }
    request_add_header(r, "Content-Security-Policy", dashboard_csp);
    request_add_header(r, "X-Frame-Options", "DENY");
    request_add_header(r, "Referrer-Policy", "no-referrer");
    request_add_header(r, "Cross-Origin-Opener-Policy", "same-origin");
    request_add_header(r, "Cross-Origin-Resource-Policy", "same-origin");
    /* Small files, revalidated on every load so a new daemon's dashboard is used at once. */
    request_add_header(r, "Cache-Control", "no-cache");
    reply_body(r, 200, type, (const char *)f->data, f->len);
}

void handle_dashboard_index(struct request *r)
{
    serve(r, "index.html");
}

void handle_dashboard_file(struct request *r)
{
    serve(r, request_param(r, "file"));
}
