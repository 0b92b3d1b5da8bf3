/* Turning a validated funnel into what is stored: canonical document, cells with their keys
 * (design §5.1) and order warnings. Shared by PUT .../funnels/{period} and POST /v1/imports. */
#ifndef TRECHTER_FUNNEL_PREPARE_H
#define TRECHTER_FUNNEL_PREPARE_H

#include "api/funnel_doc.h"
#include "api/submission.h"

struct server;

/* Fills out (malloc'd strings). Returns 0, or -1 when out of memory. */
int funnel_prepare_stored(const struct funnel *f, const struct catalog *cat, const struct server *s,
                          const char *code, const char *period, struct prepared_submission *out);

#endif
