/* Routing: matching a method and path against a table of routes with `{name}` segments, telling
 * 404 (no such path) from 405 (path exists, method does not, with the `Allow` list), and checking a
 * query string against the parameters the matched route declares. Pure. */
#ifndef TRECHTER_ROUTER_H
#define TRECHTER_ROUTER_H
#include <stdbool.h>
#include <stddef.h>

#include "core/problem.h"

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
    ROUTE_TOKEN_OPTIONAL = 1 << 7, /* without a token (and certificate) the handler still runs, for
                                      an anonymous caller: open releases (design §8) */
};

/* A query parameter a route accepts (api/openapi.json documents the same ones). */
struct query_param {
    const char *name; /* as written in the query, case-sensitive; NULL ends a list */
    bool repeatable;  /* a list that may be given more than once (region=VR01&region=VR17) */
};

struct route {
    enum http_method method; /* one method; GET routes answer HEAD too */
    const char *pattern;     /* "/v1/municipalities/{code}"; no trailing slash */
    route_handler handler;
    unsigned flags;                   /* enum route_flags */
    const char *name;                 /* stable label for logs and metrics, "municipality.get" */
    const struct query_param *params; /* the query parameters it accepts; NULL for none */
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

/* Checks a raw query string (what follows '?' in the request target, not decoded; NULL or "" for
 * none) against the parameters `route` declares, the same way for every route: each parameter must
 * be declared, given once unless it is repeatable, with a value that is not empty and holds no
 * percent-encoded control character (%00-%1F, %7F). Adds one violation (in: query) per fault, at
 * most ROUTER_MAX_QUERY_FAULTS; the codes are unknown-parameter, duplicate-parameter, empty and
 * invalid. Keys are compared as written: evhttp does not decode them either. */
#define ROUTER_MAX_QUERY_FAULTS 20
void route_check_query(const struct route *route, const char *query, struct violations *v);

/* The value of parameter `name`, or NULL. */
const char *route_param(const struct route_match *m, const char *name);

/* "GET", "PUT", ...; "OTHER" for METHOD_OTHER. */
const char *method_name(enum http_method m);

#endif
