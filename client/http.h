/* HTTPS transport of the client on libcurl: one request with its retries (client/retry.h),
 * TLS settings (CA, client certificate), the bearer token, the progress line and a verbose log in
 * which the Authorization header is always redacted. */
#ifndef TRECHTER_CLIENT_HTTP_H
#define TRECHTER_CLIENT_HTTP_H

#include "client/options.h"

#include <stddef.h>

#define HTTP_MAX_RESPONSE (512u * 1024 * 1024) /* a larger answer is refused */

struct http_options {
    const char *token;      /* borrowed; NULL = send no Authorization */
    long retries;           /* retries after the first attempt */
    long retry_max_time_s;  /* no retry starts after this many seconds since the first attempt */
    long connect_timeout_s; /* TCP + TLS handshake */
    long max_time_s;        /* one attempt, whole */
    int verbose;            /* request/response lines on stderr (Authorization redacted) */
    int quiet;              /* no retry notices */
    int progress;           /* a progress line on stderr while uploading */
};

struct http_request {
    const char *method;       /* GET, PUT, POST */
    const char *path;         /* path and query, starting with '/', already escaped */
    const char *content_type; /* NULL without a body */
    const char *body;         /* borrowed; may hold NULs */
    size_t body_len;
    const char *const *headers; /* extra "Name: value" lines, NULL-terminated, or NULL */
    int authenticate;           /* send the token */
    int retryable;              /* safe to repeat: GET, and writes with an Idempotency-Key */
};

struct http_response {
    long status;     /* 0 when no answer arrived */
    int curl_code;   /* CURLcode of the last attempt */
    char error[256]; /* readable transport error of the last attempt, "" when none */
    char *body;      /* NUL-terminated, never NULL after http_perform; owned */
    size_t body_len;
    char *content_type; /* owned, or NULL */
    char *retry_after;  /* owned, or NULL */
    char *etag;         /* owned, or NULL */
    char *request_id;   /* owned, or NULL */
    unsigned attempts;  /* how many attempts were made */
};

/* Global libcurl set-up; call once before any http_perform. */
int http_global_init(void);
void http_global_cleanup(void);

/* Sends the request to s->url + rq->path, retrying transient failures (connection errors, 429,
 * 502, 503, 504, and a 409 with Retry-After: retry_transient_answer) when rq->retryable, with
 * exponential backoff, full jitter and Retry-After, at most o->retries times and not past
 * o->retry_max_time_s. Fills rs with the final attempt's answer. Returns 0 when an HTTP answer
 * arrived (any status), -1 when none did (rs->error says why). Notices about retries go to stderr
 * unless o->quiet. */
int http_perform(const struct settings *s, const struct http_options *o,
                 const struct http_request *rq, struct http_response *rs);

void http_response_clear(struct http_response *rs);

/* Copies one header line for a log, replacing the credentials of an Authorization or
 * Proxy-Authorization header with "[redacted]" (pure). out always ends with NUL. */
void http_redact_line(const char *line, size_t len, char *out, size_t outlen);

/* True when the Content-Type is application/json, application/problem+json or another
 * +json type. */
int http_is_json_type(const char *content_type);

#endif
