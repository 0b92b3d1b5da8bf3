/* Token-bucket rate limits per principal and per client address (design §6), shared by all worker
 * threads. A bucket holds at most `burst` tokens and refills at `rate` per second; a request takes
 * one. The bucket arithmetic is pure; the table around it is bounded and locked. */
#ifndef TRECHTER_RATE_LIMIT_H
#define TRECHTER_RATE_LIMIT_H
#include <stdbool.h>
#include <stddef.h>

struct token_bucket {
    double tokens; /* available now (as of `last`) */
    double last;   /* seconds, monotonic */
};

/* Refills b to `now` and takes one token. Returns true when allowed; otherwise false with the
 * seconds until a token is there in *retry_after. A new bucket (last == 0) starts full. */
bool token_bucket_take(struct token_bucket *b, double rate, double burst, double now,
                       double *retry_after);

struct rate_limiter;

/* A table of up to `slots` buckets. When a key finds no room (every candidate slot holds a bucket
 * in use), the request is allowed: a flood of distinct keys must not lock out everyone else, and
 * per-address limits plus connection caps bound what one client can do. */
struct rate_limiter *rate_limiter_new(size_t slots);
void rate_limiter_free(struct rate_limiter *l);
bool rate_limiter_take(struct rate_limiter *l, const char *key, double rate, double burst,
                       double now, double *retry_after);

#endif
