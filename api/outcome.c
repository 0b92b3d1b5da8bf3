/* SQL outcome words and their HTTP meaning. */
#include "api/outcome.h"

#include <stddef.h>
#include <string.h>

static const struct sql_outcome outcomes[] = {
    /* put_submission, delete_submission */
    {"created", 201, NULL, NULL},
    {"updated", 200, NULL, NULL},
    {"unchanged", 200, NULL, NULL},
    {"deleted", 204, NULL, NULL},
    {"unknown-municipality", 404, "not-found", "There is no municipality with this code."},
    {"precondition-failed", 412, "precondition-failed",
     "If-Match does not name the current revision."},
    {"not-found", 404, "not-found", "Nothing is submitted here (or it was deleted)."},
    /* import_funnels */
    {"imported", 200, NULL, NULL},
    {"validated", 200, NULL, NULL},
    {"replayed", 200, NULL, NULL},
    {"import-invalid", 400, "invalid-input",
     "The import is invalid; nothing was imported. Every violation is listed in errors."},
    {"import-forbidden", 403, "forbidden",
     "This token may not write some of these figures; nothing was imported."},
    /* the revision cap (sql/010): put_submission_once, import_funnels */
    {"revision-cap", 429, "too-many-revisions",
     "This funnel or network had max-revisions-per-day revisions in the last 24 hours; write it "
     "again tomorrow, or ask the rapporteur to correct it."},
    {"import-revision-cap", 429, "too-many-revisions",
     "Some of these funnels had max-revisions-per-day revisions in the last 24 hours; nothing was "
     "imported. They are listed in errors."},
    /* every keyed write: import_funnels, put_submission_once, delete_submission_once */
    {"idempotency-running", 409, "idempotency-conflict",
     "A request with this Idempotency-Key is still running; ask again when it has been answered."},
    {"idempotency-other-body", 409, "idempotency-conflict",
     "This Idempotency-Key was used with another request (method, path or body)."},
};

const struct sql_outcome *sql_outcome(const char *word)
{
    for (size_t i = 0; word && i < sizeof outcomes / sizeof outcomes[0]; i++)
        if (strcmp(outcomes[i].word, word) == 0)
            return &outcomes[i];
    return NULL;
}
