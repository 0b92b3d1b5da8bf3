/* Routing: matching a method and path against a table of routes with `{name}` segments, and telling
 * 404 (no such path) from 405 (path exists, method does not, with the `Allow` list). Pure. */
#ifndef TRECHTER_ROUTER_H
#define TRECHTER_ROUTER_H
#include <stdbool.h>
#include <stddef.h>

enum http_method {
    METHOD_GET = 1 << 0,
    METHOD_HEAD = 1 << 1,
    METHOD_POST = 1 << 2,
    METHOD_PUT = 1 << 3,
    METHOD_DELETE = 1 << 4,
    METHOD_PATCH = 1 << 5,
    METHOD_OPTIONS = 1 << 6,
    METHOD_OTHER = 1 << 7, /* TRACE, CONNECT and any method evhttp does not know */
};

struct request;
typedef void (*route_handler)(struct request *r);

enum route_flags {
    ROUTE_PUBLIC = 1 << 0,      /* no token needed, and the answer is the same for everyone */
    ROUTE_CORS = 1 << 1,        /* Access-Control-Allow-Origin: * */
    ROUTE_UNVERSIONED = 1 << 2, /* operational path outside /v1 (health) */
    ROUTE_AGGREGATE = 1 << 3,   /* aggregate read: protected for every caller but the rapporteur */
    ROUTE_WRITES_FUNNEL = 1 << 4,  /* a 200/201 answer committed a funnel */
    ROUTE_WRITES_NETWORK = 1 << 5, /* a 200/201 answer committed a network */
    ROUTE_WRITES_IMPORT = 1 << 6,  /* a 200/201 answer committed an import (unless dryRun) */
};

struct route {
    enum http_method method; /* one method; GET routes answer HEAD too */
    const char *pattern;     /* "/v1/municipalities/{code}"; no trailing slash */
    route_handler handler;
    unsigned flags;   /* enum route_flags */
    const char *name; /* stable label for logs and metrics, e.g. "municipality.get" */
};

#define ROUTER_MAX_PARAMS 4
#define ROUTER_MAX_PARAM_LEN 64

enum route_outcome { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_METHOD_NOT_ALLOWED, ROUTE_BAD_PATH };

struct route_match {
    enum route_outcome outcome;
    const struct route *route; /* ROUTE_FOUND only; borrowed from the table */
    int nparams;
    struct {
        char name[24];
        char value[ROUTER_MAX_PARAM_LEN + 1];
    } params[ROUTER_MAX_PARAMS];
    char allow[96]; /* ROUTE_METHOD_NOT_ALLOWED: "GET, HEAD, PUT" */
};

/* Matches `path` (without query string) against table[0..n). A path segment longer than
 * ROUTER_MAX_PARAM_LEN in a parameter position, or one holding a NUL, `%`-escape or other byte
 * outside the URI's unreserved set, matches nothing (404): parameters are codes, keys and periods.
 */
void router_match(const struct route *table, size_t n, enum http_method method, const char *path,
                  struct route_match *out);

/* The value of parameter `name`, or NULL. */
const char *route_param(const struct route_match *m, const char *name);

/* "GET", "PUT", ...; "OTHER" for METHOD_OTHER. */
const char *method_name(enum http_method m);

#endif
