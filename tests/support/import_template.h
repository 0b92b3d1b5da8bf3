/* Test support: the CSV import template the unit tests and the fuzzer start from. The client
 * writes its own (client/template.c); production code never needs this one. */
#ifndef TRECHTER_TEST_IMPORT_TEMPLATE_H
#define TRECHTER_TEST_IMPORT_TEMPLATE_H

#include "core/catalog.h"

/* The CSV template for one municipality and period: the header, then one row per stage total and
 * per stage x allowed dimension x category in canonical order, every count empty; LF line ends, ','
 * separated. import_decode() accepts it unchanged (as one item with no stage known) and with counts
 * filled in. malloc'd; NULL when code or period is malformed or memory runs out. The period is
 * written in canonical form. */
char *import_template_csv(const struct catalog *cat, const char *code, const char *period);

#endif
