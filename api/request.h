/* One HTTP request from arrival to reply: its context (one owner, freed in one place when the reply
 * is sent), the common response headers of design §3, and the reply helpers handlers use. */
#ifndef TRECHTER_REQUEST_H
#define TRECHTER_REQUEST_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/access.h"
#include "core/problem.h"
#include "api/router.h"

struct evhttp_request;
struct evkeyvalq;
struct worker;
struct conn;

#define API_VERSION "1.0.0"

struct request {
    struct evhttp_request *ev; /* borrowed from evhttp; valid until the reply is sent */
    struct worker *worker;     /* borrowed */
    enum http_method method;
    const char *method_text; /* static */
    char *path;              /* owned: decoded-free path without query */
    struct evkeyvalq *query; /* owned: parsed query parameters */
    struct route_match match;
    char request_id[65];
    char client_address[64];
    struct principal principal;
    char credential_key[80];   /* "t:<token hash>" or "c:<certificate OIN>", for the cache */
    uint64_t changes_at_start; /* worker->changes when the request arrived */
    struct timespec started;
    int status; /* set when replied */
    size_t bytes_out;
    void (*resume)(struct request *r); /* where a shared asynchronous step (authentication,
                                          catalogue load) continues */
    char *cache_key;                   /* owned: set when a 200 answer may be cached under it */
    void *handler_state;               /* owned by the handler: freed with handler_state_free */
    void (*handler_state_free)(void *);
};

/* Entry point from evhttp (registered with evhttp_set_gencb); `arg` is the worker. */
void request_dispatch(struct evhttp_request *ev, void *arg);

/* Significant digits of a real number in every JSON answer (rates, conversions, z-scores). */
#define ANSWER_REAL_PRECISION 12

/* The text of a JSON answer exactly as reply_json() sends it: compact, reals to
 * ANSWER_REAL_PRECISION digits, one newline at the end. malloc'd; NULL when out of memory. For
 * answers that are kept (releases) or hashed (ETags) before they are sent. */
char *json_answer_text(const json_t *body);

/* Replies. Each sends the answer, logs it, and frees the request: `r` must not be used after. */
void reply_json(struct request *r, int status, json_t *body); /* steals body */
void reply_json_text(struct request *r, int status, const char *json, size_t len);
void reply_body(struct request *r, int status, const char *content_type, const char *body,
                size_t len);
void reply_empty(struct request *r, int status);
void reply_problem(struct request *r, int status, const char *slug, const char *detail,
                   struct violations *errors);
/* reply_problem with one more member `name` (its value is taken by reference, not stolen). */
void reply_problem_with(struct request *r, int status, const char *slug, const char *detail,
                        struct violations *errors, const char *name, json_t *value);
/* 503 with Retry-After for a database that cannot be reached or is overloaded. */
void reply_unavailable(struct request *r, const char *detail);

/* For read endpoints: answers from the worker's cache and returns true, or arranges for the
 * answer about to be made to be cached (when change notifications are being received) and returns
 * false. The key holds the path, the query, the format asked for and the kind of caller. */
bool request_cached_reply(struct request *r);

/* Takes one request from the bucket `key` ("a:<address>" or "p:<principal id>"); when it is empty
 * answers 429 with Retry-After itself and returns false. */
bool request_rate_ok(struct request *r, const char *key, double rate, double burst);

/* Conditional GET (RFC 9110 §13.1.2): adds `etag` (quoted, strong) as the answer's ETag and, when
 * the request's If-None-Match names it ("*", or any listed tag, W/ or not), answers 304 without a
 * body itself and returns true (r is then gone). */
bool request_not_modified(struct request *r, const char *etag);

/* request_not_modified() with the ETag of an answer's text: the first 32 hex digits of its
 * SHA-256, quoted. */
bool request_not_modified_text(struct request *r, const char *text);

/* Adds a response header before the reply (e.g. ETag, Location). */
void request_add_header(struct request *r, const char *name, const char *value);
/* A request header, or NULL. */
const char *request_header(const struct request *r, const char *name);
/* A query parameter, or NULL. */
const char *request_query(const struct request *r, const char *name);
/* The path parameter of the matched route. */
const char *request_param(const struct request *r, const char *name);

#endif
