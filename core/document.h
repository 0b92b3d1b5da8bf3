/* What every kind of submitted document shares (funnels, networks, imports; design §3.1): the
 * capped report of violations a decoder fills, RFC 6901 pointers, client text made safe to echo in
 * a detail, loading a JSON body (malformed JSON, duplicate keys, the root's type) and walking an
 * object's members against the table of those it may have. A new kind of submission brings its own
 * codec and reuses these. Pure: no I/O, no globals; jansson only. */
#ifndef TRECHTER_DOCUMENT_H
#define TRECHTER_DOCUMENT_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/problem.h"

/* Violations listed per document; one more, "too-many-errors", says the list was cut. */
#define DOC_MAX_VIOLATIONS 1000

/* The violations of one document being decoded, and how many were found (those the cap dropped
 * included): what every decoder (funnel, network, import) reports into. Zero `found` and point `v`
 * at the caller's list to start. */
struct doc_report {
    struct violations *v; /* borrowed */
    size_t found;
};

/* violations_add(v, IN_BODY, ...) capped at DOC_MAX_VIOLATIONS: the first add beyond adds one
 * "too-many-errors" (pointer "") instead, later ones add nothing. Returns false when the violation
 * was dropped. The formatted detail (cut at 255 bytes) is made valid UTF-8 without control
 * characters by doc_safe_text(). */
bool doc_violation(struct violations *v, const char *pointer, const char *code, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

/* Counts one violation in rep->found and adds it through doc_violation() (capped, detail made
 * safe). A NULL pointer is reported as "". */
void doc_report(struct doc_report *rep, const char *pointer, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* True once v holds DOC_MAX_VIOLATIONS or more violations (further ones would be dropped). */
bool doc_violations_full(const struct violations *v);

/* base + "/" + token, the token escaped as RFC 6901 says ("~" as "~0", "/" as "~1"); a NULL base
 * is "". malloc'd; NULL when out of memory. */
char *doc_pointer_join(const char *base, const char *token);

/* Copies at most cap-1 bytes of src[0..len) into dst, NUL-terminated, replacing each byte of
 * invalid UTF-8 (overlong forms, surrogates and code points past U+10FFFF included) and each
 * control character with '?', and cutting only at a character boundary. For echoing client text
 * in a detail. cap 0 writes nothing. */
void doc_safe_text(char *dst, size_t cap, const char *src, size_t len);

/* Reports the json_loadb() failure err on text[0..len): "duplicate-key" pointing at the repeated
 * member when jansson found one (pointer "" when it cannot be located), else "malformed-json" with
 * pointer "". The detail names line and column. */
void doc_json_error(struct doc_report *rep, const char *text, size_t len, const json_error_t *err);

/* The JSON type a document's root must have. */
enum doc_root { DOC_ROOT_OBJECT, DOC_ROOT_ARRAY };

/* Loads body[0..len) as one JSON document with duplicate keys refused. A NUL byte anywhere, raw or
 * written \u0000 in a string, is malformed JSON (JSON_ALLOW_NUL is never given), so no string a
 * decoder sees is cut short. On a load failure reports through doc_json_error(); when the root is
 * not of type `root`, reports "type" at pointer "" with type_detail. Returns the root (a new
 * reference), or NULL after reporting exactly one violation. */
json_t *doc_load(struct doc_report *rep, const char *body, size_t len, enum doc_root root,
                 const char *type_detail);

/* A member an object may have and what decodes its value. `ctx` is the walker's, `pointer` the
 * member's RFC 6901 pointer (NULL only when out of memory; doc_report() and doc_pointer_join()
 * take NULL as ""), valid during the call. */
typedef void (*doc_member_fn)(void *ctx, const json_t *value, const char *pointer);
struct doc_member {
    const char *name;
    doc_member_fn fn;
};

/* Most entries a member table may have (one bit each in doc_walk_members()' result). */
#define DOC_MAX_MEMBERS 32

/* Walks the members of obj, found at `pointer`, in document order: a member named in
 * table[0..n) is handed to its fn; any other is reported as "unknown-field" at its own pointer
 * with unknown_detail ("a stage has only total and breakdowns"). Returns the members present, bit i
 * for table[i], so the caller can report those required. n <= DOC_MAX_MEMBERS. A non-object has no
 * members: 0, nothing reported (its "type" is the caller's to report). */
uint32_t doc_walk_members(struct doc_report *rep, const json_t *obj, const char *pointer,
                          const struct doc_member *table, size_t n, const char *unknown_detail,
                          void *ctx);

#endif
