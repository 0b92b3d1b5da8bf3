/* The funnel resource (design §3.1): how a funnel body becomes a canonical document, cells with
 * their keys, and order warnings; everything else is the shared submission code. */
#include <stdlib.h>

#include "core/prepared.h"
#include "api/handlers.h"
#include "api/request.h"
#include "api/submission.h"
#include "daemon/server.h"

static int funnel_prepare(struct request *r, const struct catalog *cat, const char *code,
                          struct period period, const char *body, size_t len,
                          struct prepared_submission *out, struct violations *v)
{
    struct funnel *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    int rc = -1;
    if (funnel_decode(body, len, cat, f, v) == 0) {
        char period_text[8];
        period_format(period, period_text);
        const struct server *srv = r->worker->server;
        rc = funnel_prepare_stored(f, cat, srv->sdc_secret, srv->sdc_secret_len, code, period_text,
                                   out);
    }
    free(f);
    return rc;
}

static const struct submission_kind funnel_kind = {.name = "funnel", .prepare = funnel_prepare};

void handle_funnel_put(struct request *r)
{
    submission_put(r, &funnel_kind);
}

void handle_funnel_get(struct request *r)
{
    submission_get(r, &funnel_kind);
}

void handle_funnel_revisions(struct request *r)
{
    submission_revisions(r, &funnel_kind);
}

void handle_funnel_delete(struct request *r)
{
    submission_delete(r, &funnel_kind);
}
