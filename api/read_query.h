/* What the read endpoints (/v1/funnels, /v1/comparisons, /v1/completeness, /v1/networks) share:
 * parsing their query — periods, region set, regions, boundaries, format and CSV profile — with
 * every violation listed, telling an unknown region set from unknown regions, and answering CSV. */
#ifndef TRECHTER_READ_QUERY_H
#define TRECHTER_READ_QUERY_H
#include <stdbool.h>

#include "core/period.h"
#include "core/problem.h"

struct request;
struct db_pool;

enum read_query_flags {
    RQ_SERIES = 1 << 0,     /* from/to may replace period (a series of quarters) */
    RQ_BOUNDARIES = 1 << 1, /* boundaries=current|historical is accepted */
};

struct read_query {
    char region_set[64]; /* default "nation" */
    struct period first; /* the period, or the first of a series */
    char first_period[8];
    char *periods;           /* owned: PostgreSQL array literal {2026-Q1,2026-Q2} */
    char *regions;           /* owned: array literal {VR01,VR17}, NULL for all */
    bool current_boundaries; /* boundaries=current */
    bool csv, excel;         /* format=csv or Accept: text/csv; delimiter=semicolon */
};

/* Fills q from the request's query; adds a violation for every problem of the values. Which
 * parameters an endpoint takes is declared once, in the route table (api/routes.c), and request.c
 * refuses undeclared, repeated and empty ones before any handler runs, so a misspelt filter never
 * silently widens an answer. An empty item in a region list is refused here. */
void read_query_parse(struct request *r, unsigned flags, struct read_query *q,
                      struct violations *v);
void read_query_clear(struct read_query *q);

/* read_query_parse, answering 400 with every violation itself (then false: the request is gone). */
bool read_query_accept(struct request *r, unsigned flags, struct read_query *q);

/* The pool for aggregate reads: the hot standby (--db-read) while it may serve them, else the
 * primary. Singular resources and everything a writer must see at once stay on the primary. */
struct db_pool *aggregate_pool(const struct request *r);

/* For an answer without a single region: 404, saying whether the region set is unknown or only the
 * regions asked for (one lookup). */
void reply_no_regions(struct request *r, const char *region_set);

/* Answers 200 with CSV text (taken and freed) as an attachment named name.csv; 503 when text is
 * NULL (out of memory). */
void reply_csv(struct request *r, char *text, const char *name);

#endif
