/* What the write functions of sql/ answer — a word, never an HTTP status — and what each word
 * means over HTTP: the one table that maps them (STYLE: SQL does not speak HTTP). */
#ifndef TRECHTER_OUTCOME_H
#define TRECHTER_OUTCOME_H

struct sql_outcome {
    const char *word;    /* as SQL says it: "created", "precondition-failed", "import-invalid" */
    int status;          /* the HTTP status it is answered with */
    const char *problem; /* problem type slug for an error status; NULL for a success */
    const char *detail;  /* the problem's detail unless the handler says more */
};

/* The entry for `word`, or NULL for a word the table does not know (answered as 500 by callers:
 * a SQL function and the daemon out of step). */
const struct sql_outcome *sql_outcome(const char *word);

#endif
