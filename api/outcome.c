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
    {"idempotency-running", 409, "idempotency-conflict",
     "An import with this Idempotency-Key is still running."},
    {"idempotency-other-body", 409, "idempotency-conflict",
     "This Idempotency-Key was used with another body."},
};

const struct sql_outcome *sql_outcome(const char *word)
{
    for (size_t i = 0; word && i < sizeof outcomes / sizeof outcomes[0]; i++)
        if (strcmp(outcomes[i].word, word) == 0)
            return &outcomes[i];
    return NULL;
}
