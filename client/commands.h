/* The commands of trechter: each builds its request, sends it through client/http.c and prints
 * the answer (client/render.c) — results on stdout, messages and problems on stderr. Each returns
 * an exit code (client/exit_code.h). */
#ifndef TRECHTER_CLIENT_COMMANDS_H
#define TRECHTER_CLIENT_COMMANDS_H

#include "client/cli.h"
#include "client/http.h"
#include "client/options.h"

/* Everything a command needs; set up by client/main.c. */
struct run {
    const struct cli *cli;
    struct settings settings; /* borrowed strings */
    struct http_options http; /* http.token borrowed from the owner in main.c */
    int stdout_tty;
    int stderr_tty;
};

int cmd_push(struct run *r);
int cmd_get(struct run *r);
int cmd_revisions(struct run *r);
int cmd_import(struct run *r);
int cmd_template(struct run *r);
int cmd_funnels(struct run *r);
int cmd_compare(struct run *r);
int cmd_networks(struct run *r);
int cmd_completeness(struct run *r);
int cmd_me(struct run *r);

/* Appends "name=value" (percent-encoded, '&' between parameters) to a query string buffer
 * (pure). *q is malloc'd/realloc'd; NULL values are skipped. Returns 0 or -1. */
int query_append(char **q, const char *name, const char *value);

/* Percent-encodes everything but RFC 3986 unreserved characters (malloc'd; pure). */
char *url_escape(const char *s);

/* A random UUID (version 4) from OpenSSL's RAND_bytes, for Idempotency-Key: out has room for
 * 37 bytes. Returns 0 or -1 when the random generator fails. */
int idempotency_key_new(char out[37]);

#endif
