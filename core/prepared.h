/* What is stored for one valid submission, whatever its kind: the canonical document, its cells
 * with their keys (design §5.1) and the warnings found without the database. Pure. */
#ifndef TRECHTER_PREPARED_H
#define TRECHTER_PREPARED_H
#include <stddef.h>

#include "core/funnel_doc.h"
#include "core/problem.h"

/* All strings malloc'd and owned; prepared_clear() frees them. */
struct prepared_submission {
    char *content;  /* canonical JSON document, compared as content for "unchanged" */
    char *cells;    /* JSON array of {stage, dimension, category, count, key}, or NULL */
    char *warnings; /* JSON array of {code, pointer, detail} found without the database */
};

void prepared_clear(struct prepared_submission *p);

/* Turns violations into the JSON array stored and returned as `warnings`. malloc'd. */
char *warnings_json(struct violations *w);

/* A validated funnel as it is stored for municipality `code` and period `period` (its text, e.g.
 * "2026-Q1"): canonical document, cells keyed with the protection secret, order warnings. Fills out
 * (every string malloc'd). Returns 0, or -1 when out of memory: no cell is ever stored without its
 * key. */
int funnel_prepare_stored(const struct funnel *f, const struct catalog *cat,
                          const unsigned char *secret, size_t secret_len, const char *code,
                          const char *period, struct prepared_submission *out);

#endif
