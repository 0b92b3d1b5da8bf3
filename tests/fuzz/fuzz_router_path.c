/* libFuzzer harness: router_match() over the daemon's route table (api/routes.h). The first byte
 * picks the method, the rest is the raw path evhttp hands over. Checks: a found route has the
 * method asked (or GET for HEAD); its parameters are short, unreserved and, put back into the
 * pattern, give the path exactly; 405 comes with a non-empty Allow list that names only methods
 * some route on the path has, and never the method asked. */
#include "api/router.h"
#include "api/routes.h"

#include "tests/fuzz/fuzz_support.h"

static const enum http_method methods[] = {METHOD_GET,     METHOD_HEAD,   METHOD_POST,
                                           METHOD_PUT,     METHOD_DELETE, METHOD_PATCH,
                                           METHOD_OPTIONS, METHOD_OTHER};

static bool unreserved(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

/* The pattern with every {name} replaced by the parameter's value. */
static void expand(const struct route_match *m, char *out, size_t cap)
{
    const char *p = m->route->pattern;
    size_t o = 0;
    while (*p) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            FUZZ_CHECK(close != NULL);
            char name[32];
            snprintf(name, sizeof name, "%.*s", (int)(close - p - 1), p + 1);
            const char *value = route_param(m, name);
            FUZZ_CHECK(value != NULL, "parameter %s missing", name);
            o += (size_t)snprintf(out + o, cap - o, "%s", value);
            FUZZ_CHECK(o < cap);
            p = close + 1;
        } else {
            FUZZ_CHECK(o + 1 < cap);
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    enum http_method method = methods[data[0] % (sizeof methods / sizeof methods[0])];
    char *path = fuzz_strdup(data + 1, size - 1);

    struct route_match m;
    router_match(api_routes, api_route_count, method, path, &m);
    switch (m.outcome) {
    case ROUTE_FOUND: {
        FUZZ_CHECK(m.route != NULL);
        FUZZ_CHECK(m.route->method == method ||
                       (method == METHOD_HEAD && m.route->method == METHOD_GET),
                   "%s matched a %s route", method_name(method), method_name(m.route->method));
        FUZZ_CHECK(m.nparams >= 0 && m.nparams <= ROUTER_MAX_PARAMS, "%d params", m.nparams);
        for (int i = 0; i < m.nparams; i++) {
            size_t n = strlen(m.params[i].value);
            FUZZ_CHECK(n >= 1 && n <= ROUTER_MAX_PARAM_LEN, "param of %zu bytes", n);
            for (size_t k = 0; k < n; k++)
                FUZZ_CHECK(unreserved(m.params[i].value[k]), "reserved byte in a parameter");
        }
        char back[8192];
        expand(&m, back, sizeof back);
        FUZZ_CHECK(strcmp(back, path) == 0, "'%s' matched %s, which gives '%s'", path,
                   m.route->pattern, back);
        break;
    }
    case ROUTE_METHOD_NOT_ALLOWED: {
        FUZZ_CHECK(m.route == NULL);
        FUZZ_CHECK(m.allow[0] != '\0', "405 without Allow");
        FUZZ_CHECK(strlen(m.allow) < sizeof m.allow);
        /* Every method listed must find the route, and the one asked must not be listed. */
        for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
            const char *name = method_name(methods[i]);
            const char *hit = strstr(m.allow, name);
            bool listed = false;
            while (hit) {
                size_t n = strlen(name);
                if ((hit == m.allow || hit[-1] == ' ') && (hit[n] == ',' || hit[n] == '\0'))
                    listed = true;
                hit = strstr(hit + 1, name);
            }
            struct route_match again;
            router_match(api_routes, api_route_count, methods[i], path, &again);
            FUZZ_CHECK(listed == (again.outcome == ROUTE_FOUND), "Allow '%s' and %s disagree",
                       m.allow, name);
        }
        break;
    }
    case ROUTE_NOT_FOUND:
        FUZZ_CHECK(m.route == NULL);
        /* 404 for one method is 404 for all. */
        for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
            struct route_match again;
            router_match(api_routes, api_route_count, methods[i], path, &again);
            FUZZ_CHECK(again.outcome == ROUTE_NOT_FOUND, "404 for %s but not for %s",
                       method_name(method), method_name(methods[i]));
        }
        break;
    case ROUTE_BAD_PATH:
        break;
    default:
        FUZZ_CHECK(false, "outcome %d", (int)m.outcome);
    }
    free(path);
    return 0;
}
