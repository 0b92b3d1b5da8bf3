/* The table of every route the daemon serves; the OpenAPI document must describe exactly these
 * (tests/unit/test_openapi.c compares the two). */
#ifndef TRECHTER_ROUTES_H
#define TRECHTER_ROUTES_H
#include <stddef.h>

#include "api/router.h"

extern const struct route api_routes[];
extern const size_t api_route_count;

#endif
