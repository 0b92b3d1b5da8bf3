/* Matches request paths against the route table; computes 404 versus 405 and the Allow header;
 * checks query strings against the parameters routes declare. */
#include "api/router.h"
#include "core/digest.h"

#include <stdio.h>
#include <string.h>

const char *method_name(enum http_method m)
{
    switch (m) {
    case METHOD_GET:
        return "GET";
    case METHOD_HEAD:
        return "HEAD";
    case METHOD_POST:
        return "POST";
    case METHOD_PUT:
        return "PUT";
    case METHOD_DELETE:
        return "DELETE";
    case METHOD_PATCH:
        return "PATCH";
    case METHOD_OPTIONS:
        return "OPTIONS";
    case METHOD_OTHER:
        break;
    }
    return "OTHER";
}

static bool segment_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

/* Matches one pattern; fills params on success. Both start with '/'. */
static bool pattern_match(const char *pattern, const char *path, struct route_match *m)
{
    int nparams = 0;
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p != '/' || *s != '/')
            return false;
        p++, s++;
        const char *pend = strchr(p, '/');
        size_t plen = pend ? (size_t)(pend - p) : strlen(p);
        const char *send = strchr(s, '/');
        size_t slen = send ? (size_t)(send - s) : strlen(s);
        if (plen > 2 && p[0] == '{' && p[plen - 1] == '}') {
            if (slen == 0 || slen > ROUTER_MAX_PARAM_LEN || nparams >= ROUTER_MAX_PARAMS)
                return false;
            for (size_t i = 0; i < slen; i++)
                if (!segment_char_ok(s[i]))
                    return false;
            snprintf(m->params[nparams].name, sizeof m->params[nparams].name, "%.*s",
                     (int)(plen - 2), p + 1);
            memcpy(m->params[nparams].value, s, slen);
            m->params[nparams].value[slen] = '\0';
            nparams++;
        } else if (plen != slen || memcmp(p, s, plen) != 0) {
            return false;
        }
        p += plen, s += slen;
    }
    if (*p || *s)
        return false;
    m->nparams = nparams;
    return true;
}

void router_match(const struct route *table, size_t n, enum http_method method, const char *path,
                  struct route_match *out)
{
    memset(out, 0, sizeof *out);
    out->outcome = ROUTE_NOT_FOUND;
    if (!path || path[0] != '/')
        return;
    unsigned allowed = 0;
    struct route_match tmp;
    for (size_t i = 0; i < n; i++) {
        memset(&tmp, 0, sizeof tmp);
        if (!pattern_match(table[i].pattern, path, &tmp))
            continue;
        allowed |= table[i].method;
        if (table[i].method == METHOD_GET)
            allowed |= METHOD_HEAD;
        bool hit =
            table[i].method == method || (method == METHOD_HEAD && table[i].method == METHOD_GET);
        if (hit && out->outcome != ROUTE_FOUND) {
            *out = tmp;
            out->outcome = ROUTE_FOUND;
            out->route = &table[i];
        }
    }
    if (out->outcome == ROUTE_FOUND || allowed == 0)
        return;
    out->outcome = ROUTE_METHOD_NOT_ALLOWED;
    static const enum http_method order[] = {METHOD_GET,   METHOD_HEAD,   METHOD_POST,   METHOD_PUT,
                                             METHOD_PATCH, METHOD_DELETE, METHOD_OPTIONS};
    size_t used = 0;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (!(allowed & order[i]))
            continue;
        int w = snprintf(out->allow + used, sizeof out->allow - used, "%s%s", used ? ", " : "",
                         method_name(order[i]));
        if (w < 0 || (size_t)w >= sizeof out->allow - used)
            break;
        used += (size_t)w;
    }
}

/* True when value[0..n) holds %00-%1F or %7F, which evhttp would decode into a control character
 * (a NUL cuts the value short, so "true%00junk" would read as "true"). */
static bool encodes_control(const char *value, size_t n)
{
    for (size_t i = 0; i + 2 < n; i++) {
        if (value[i] != '%')
            continue;
        int hi = hex_digit_value(value[i + 1]), lo = hex_digit_value(value[i + 2]);
        if (hi >= 0 && lo >= 0 && (hi * 16 + lo < 0x20 || hi * 16 + lo == 0x7f))
            return true;
    }
    return false;
}

/* True when a pair with key[0..klen) comes before `at` in the query. */
static bool given_before(const char *query, const char *at, const char *key, size_t klen)
{
    for (const char *p = query; p < at;) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        size_t plen = eq ? (size_t)(eq - p) : n;
        if (plen == klen && memcmp(p, key, klen) == 0)
            return true;
        if (!amp)
            break;
        p = amp + 1;
    }
    return false;
}

void route_check_query(const struct route *route, const char *query, struct violations *v)
{
    size_t faults = 0;
    for (const char *p = query; p && *p && faults < ROUTER_MAX_QUERY_FAULTS;) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        size_t klen = eq ? (size_t)(eq - p) : n;
        const char *value = eq ? eq + 1 : p + n;
        size_t vlen = (size_t)(p + n - value);
        const struct query_param *decl = NULL;
        for (const struct query_param *q = route->params; q && q->name && !decl; q++)
            if (strlen(q->name) == klen && memcmp(q->name, p, klen) == 0)
                decl = q;
        faults++;
        if (!decl) {
            char key[61];
            size_t k = klen < sizeof key - 1 ? klen : sizeof key - 1;
            for (size_t i = 0; i < k; i++)
                key[i] = p[i] > 0x20 && p[i] < 0x7f ? p[i] : '?';
            key[k] = '\0';
            violations_add(v, IN_QUERY, key, "unknown-parameter",
                           "This endpoint has no query parameter '%s'.", key);
        } else if (!decl->repeatable && given_before(query, p, p, klen)) {
            violations_add(v, IN_QUERY, decl->name, "duplicate-parameter",
                           "'%s' is given more than once; give it once.", decl->name);
        } else if (vlen == 0) {
            violations_add(v, IN_QUERY, decl->name, "empty", "'%s' is given without a value.",
                           decl->name);
        } else if (encodes_control(value, vlen)) {
            violations_add(v, IN_QUERY, decl->name, "invalid",
                           "'%s' holds a percent-encoded control character.", decl->name);
        } else {
            faults--;
        }
        p = amp ? amp + 1 : p + n;
    }
}

const char *route_param(const struct route_match *m, const char *name)
{
    for (int i = 0; i < m->nparams; i++)
        if (strcmp(m->params[i].name, name) == 0)
            return m->params[i].value;
    return NULL;
}
