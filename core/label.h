/* The shape of a human-readable label (a region's name, a token's organisation): never personal
 * data by design, only checked for form here. */
#ifndef TRECHTER_LABEL_H
#define TRECHTER_LABEL_H
#include <stdbool.h>

/* 1..200 bytes, something besides spaces, no control characters. */
bool label_valid(const char *s);

#endif
