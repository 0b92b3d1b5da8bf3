/* RFC 9457 problem details: building the `application/problem+json` body of every error answer,
 * with the `errors` array of invalid-input violations (design §3). Pure: no I/O. */
#ifndef TRECHTER_PROBLEM_H
#define TRECHTER_PROBLEM_H
#include <jansson.h>
#include <stddef.h>

/* Where a violation was found, the `in` member of an `errors` item. */
enum problem_in { IN_BODY, IN_PATH, IN_QUERY, IN_HEADER };

/* A growing list of violations. Owns its JSON array. */
struct violations {
    json_t *items; /* owned: array of {in, pointer|name, code, detail} */
};

void violations_init(struct violations *v);
void violations_clear(struct violations *v);
size_t violations_count(const struct violations *v);

/* Adds one violation. For IN_BODY `where` is a JSON pointer ("/stages/reported/total") or a CSV
 * place ("row 14/count"); for the others it is the parameter or header name. Formats detail with
 * printf-style arguments; capped at 300 bytes. */
void violations_add(struct violations *v, enum problem_in in, const char *where, const char *code,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Builds a problem object: `type` is the problem-type URI for `type_slug` (an identifier listed in
 * the OpenAPI document, e.g. "invalid-input"), `title` the fixed text of the status, `detail` the
 * specific explanation. When `errors` holds violations they are moved into the problem's `errors`
 * member and `errors` is left empty. Returns a new reference. */
json_t *problem_new(int status, const char *type_slug, const char *detail,
                    struct violations *errors);

/* The reason phrase and default title for a status ("Not Found"). */
const char *problem_title(int status);

#endif
