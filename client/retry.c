/* Retry policy (pure): transient failures and backoff with full jitter; see retry.h. */
#include "client/retry.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>

int retry_transient_curl(int curl_code)
{
    switch ((CURLcode)curl_code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

int retry_transient_status(long status)
{
    return status == 429 || status == 502 || status == 503 || status == 504;
}

int retry_transient_answer(long status, const char *retry_after)
{
    return retry_transient_status(status) || (status == 409 && retry_after != NULL);
}

long retry_delay_ms(unsigned attempt, long retry_after_s, uint32_t jitter, long base_ms,
                    long cap_ms)
{
    if (base_ms < 0)
        base_ms = 0;
    if (cap_ms < 0)
        cap_ms = 0;
    /* ceiling = min(cap, base * 2^attempt), computed without overflow */
    long ceiling = base_ms;
    for (unsigned i = 0; i < attempt && ceiling < cap_ms; i++)
        ceiling = ceiling > cap_ms / 2 ? cap_ms : ceiling * 2;
    if (ceiling > cap_ms)
        ceiling = cap_ms;
    long delay = (long)(((uint64_t)jitter * (uint64_t)(ceiling + 1)) >> 32);
    if (retry_after_s > 0) {
        const long max_s = 24L * 3600; /* a day: anything longer is not worth waiting for */
        long ra_ms = (retry_after_s > max_s ? max_s : retry_after_s) * 1000L;
        if (ra_ms > delay)
            delay = ra_ms;
    }
    return delay;
}

long retry_after_seconds(const char *value, time_t now)
{
    if (value == NULL)
        return -1;
    while (isspace((unsigned char)*value))
        value++;
    if (*value == '\0')
        return -1;
    if (isdigit((unsigned char)*value)) {
        char *end;
        errno = 0;
        long long s = strtoll(value, &end, 10);
        while (isspace((unsigned char)*end))
            end++;
        if (errno != 0 || *end != '\0' || s < 0)
            return -1;
        return s > 86400 * 365 ? 86400L * 365 : (long)s;
    }
    time_t when = curl_getdate(value, NULL);
    if (when == (time_t)-1)
        return -1;
    return when <= now ? 0 : (long)(when - now);
}
