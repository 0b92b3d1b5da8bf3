/* Retry policy of the client (pure): which failures are worth another attempt and how long to
 * wait before it — exponential backoff with full jitter, never shorter than the server's
 * Retry-After. The loop that applies it lives in client/http.c. */
#ifndef TRECHTER_CLIENT_RETRY_H
#define TRECHTER_CLIENT_RETRY_H

#include <stdint.h>
#include <time.h>

#define RETRY_BASE_MS 500L  /* the ceiling of the first wait */
#define RETRY_CAP_MS 30000L /* no jittered wait is longer (Retry-After may be) */

/* True when a transfer that failed with this CURLcode (as int) may succeed if tried again:
 * could not connect or resolve, timed out, connection reset while sending or receiving, nothing
 * answered, the TLS handshake broke off. Certificate verification failures, bad options and local
 * errors are not transient. */
int retry_transient_curl(int curl_code);

/* True for HTTP statuses that say "try again later": 429, 502, 503, 504. */
int retry_transient_status(long status);

/* True for an answer worth another attempt: a status of retry_transient_status, or a 409 that
 * carries a Retry-After header (`retry_after`, the header's value or NULL) — the server's word
 * that the first attempt of this keyed write is still running, so that asking again with the same
 * Idempotency-Key soon gets its answer. Any other 409 is final. */
int retry_transient_answer(long status, const char *retry_after);

/* The wait before retry number `attempt` (0 = the first retry), in milliseconds.
 * Full jitter: uniform in [0, min(cap_ms, base_ms * 2^attempt)], using `jitter` (a uniformly
 * random 32-bit value) as the random source; then at least retry_after_s seconds when the server
 * sent a Retry-After (pass 0 or less for none). Never negative; does not overflow for any input. */
long retry_delay_ms(unsigned attempt, long retry_after_s, uint32_t jitter, long base_ms,
                    long cap_ms);

/* The number of seconds a Retry-After header value asks for: delta-seconds ("120") or an
 * HTTP-date (relative to `now`; a date in the past gives 0). -1 when absent or unparsable. */
long retry_after_seconds(const char *value, time_t now);

#endif
