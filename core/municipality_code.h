/* The shape of a municipality code (CBS): "GM" and four digits, e.g. "GM0599". Whether such a
 * municipality exists is the database's to say; this is the cheap check before any lookup. */
#ifndef TRECHTER_MUNICIPALITY_CODE_H
#define TRECHTER_MUNICIPALITY_CODE_H
#include <stdbool.h>

/* True when code is "GM" followed by exactly four ASCII digits; false for NULL. */
bool municipality_code_valid(const char *code);

#endif
