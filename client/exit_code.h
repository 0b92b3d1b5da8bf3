/* The exit codes of trechter (documented in --help, man/trechter.1 and docs/client.md) and what an
 * HTTP answer maps to. */
#ifndef TRECHTER_CLIENT_EXIT_CODE_H
#define TRECHTER_CLIENT_EXIT_CODE_H

enum client_exit {
    CLIENT_EXIT_OK = 0,       /* success (a dry run that validated included) */
    CLIENT_EXIT_USAGE = 1,    /* bad command line, unreadable local file, bad configuration */
    CLIENT_EXIT_REJECTED = 2, /* the server refused the request as it stands: 400, 404, 405, 409,
                                 412, 413, 415, 422, 431 and every other 4xx not below */
    CLIENT_EXIT_AUTH = 3,     /* 401 (no, wrong, expired or revoked token), 403 (not allowed) */
    CLIENT_EXIT_FAILURE = 4,  /* 5xx, 429 after the retries, network or TLS failure */
};

/* The exit code for a final HTTP status (0 = no answer arrived). 2xx → 0; 401, 403 → 3;
 * 429 and 5xx → 4; every other 4xx → 2 (404 included: the code, period or revision asked for
 * does not exist, which is the request's fault); anything else (1xx, 3xx, 0) → 4. */
int exit_code_for_status(long status);

#endif
