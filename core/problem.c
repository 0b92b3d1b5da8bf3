/* Builds RFC 9457 problem details objects with the project's `errors` array. */
#include "core/problem.h"

#include "core/http_status.h"

#include <stdarg.h>
#include <stdio.h>

/* Problem types are documented in the OpenAPI document under this base; they are identifiers, not
 * pages the daemon fetches. */
#define PROBLEM_TYPE_BASE "https://trechter.nl/problems/"

void violations_init(struct violations *v)
{
    v->items = json_array();
}

void violations_clear(struct violations *v)
{
    json_decref(v->items);
    v->items = NULL;
}

size_t violations_count(const struct violations *v)
{
    return v->items ? json_array_size(v->items) : 0;
}

static const char *in_name(enum problem_in in)
{
    switch (in) {
    case IN_BODY:
        return "body";
    case IN_PATH:
        return "path";
    case IN_QUERY:
        return "query";
    case IN_HEADER:
        return "header";
    }
    return "body";
}

void violations_add(struct violations *v, enum problem_in in, const char *where, const char *code,
                    const char *fmt, ...)
{
    char detail[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    if (!v->items)
        v->items = json_array();
    json_t *item =
        json_pack("{s:s, s:s, s:s, s:s}", "in", in_name(in), in == IN_BODY ? "pointer" : "name",
                  where ? where : "", "code", code, "detail", detail);
    json_array_append_new(v->items, item);
}

const char *problem_title(int status)
{
    const char *reason = http_reason(status);
    if (reason)
        return reason;
    return status < 500 ? "Client Error" : "Server Error";
}

json_t *problem_new(int status, const char *type_slug, const char *detail,
                    struct violations *errors)
{
    char type[128];
    snprintf(type, sizeof type, PROBLEM_TYPE_BASE "%s", type_slug ? type_slug : "error");
    json_t *p = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", problem_title(status),
                          "status", status, "detail", detail ? detail : problem_title(status));
    if (errors && violations_count(errors) > 0) {
        json_object_set_new(p, "errors", errors->items);
        errors->items = json_array();
    }
    return p;
}
