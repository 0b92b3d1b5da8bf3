/* Unit tests of the client's retry policy (client/retry.c) and exit codes (client/exit_code.c):
 * which failures are retried, how long each wait is (full jitter within the exponential ceiling,
 * never shorter than Retry-After) and what each final answer exits with. */
#include "client/exit_code.h"
#include "client/retry.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdint.h>

TestSuite(client_retry, .timeout = 60);

Test(client_retry, transient_transport_errors_are_retried)
{
    cr_assert(retry_transient_curl(CURLE_COULDNT_CONNECT));
    cr_assert(retry_transient_curl(CURLE_OPERATION_TIMEDOUT));
    cr_assert(retry_transient_curl(CURLE_RECV_ERROR));
    cr_assert(retry_transient_curl(CURLE_SEND_ERROR));
    cr_assert(retry_transient_curl(CURLE_GOT_NOTHING));
    cr_assert(retry_transient_curl(CURLE_SSL_CONNECT_ERROR));
    cr_assert_not(retry_transient_curl(CURLE_OK));
    cr_assert_not(retry_transient_curl(CURLE_PEER_FAILED_VERIFICATION),
                  "a certificate that does not verify will not verify next time");
    cr_assert_not(retry_transient_curl(CURLE_SSL_CACERT_BADFILE));
    cr_assert_not(retry_transient_curl(CURLE_URL_MALFORMAT));
}

Test(client_retry, statuses_that_say_try_later)
{
    cr_assert(retry_transient_status(429));
    cr_assert(retry_transient_status(503));
    cr_assert(retry_transient_status(502));
    cr_assert(retry_transient_status(504));
    cr_assert_not(retry_transient_status(500));
    cr_assert_not(retry_transient_status(400));
    cr_assert_not(retry_transient_status(409));
    cr_assert_not(retry_transient_status(200));
}

Test(client_retry, full_jitter_stays_within_the_exponential_ceiling)
{
    /* jitter 0 → 0; jitter max → the ceiling itself */
    for (unsigned attempt = 0; attempt < 10; attempt++) {
        long ceiling = 500L << attempt;
        if (ceiling > 30000)
            ceiling = 30000;
        cr_assert_eq(retry_delay_ms(attempt, -1, 0, 500, 30000), 0);
        cr_assert_eq(retry_delay_ms(attempt, -1, UINT32_MAX, 500, 30000), ceiling,
                     "attempt %u: %ld", attempt,
                     retry_delay_ms(attempt, -1, UINT32_MAX, 500, 30000));
        long mid = retry_delay_ms(attempt, -1, UINT32_MAX / 2, 500, 30000);
        cr_assert(mid >= ceiling / 2 - 1 && mid <= ceiling / 2 + 1, "attempt %u: %ld", attempt,
                  mid);
    }
}

Test(client_retry, the_ceiling_is_capped_and_never_overflows)
{
    cr_assert_eq(retry_delay_ms(1000, -1, UINT32_MAX, 500, 30000), 30000);
    cr_assert_eq(retry_delay_ms(63, -1, UINT32_MAX, 500, 30000), 30000);
    cr_assert_eq(retry_delay_ms(4000000000u, 0, UINT32_MAX, 500, 30000), 30000);
    cr_assert_eq(retry_delay_ms(3, -1, UINT32_MAX, -5, -5), 0, "negative settings give 0");
}

Test(client_retry, retry_after_is_honoured_when_larger)
{
    cr_assert_eq(retry_delay_ms(0, 7, UINT32_MAX, 500, 30000), 7000,
                 "the server's 7 s beat the jittered 0.5 s");
    cr_assert_eq(retry_delay_ms(6, 1, UINT32_MAX, 500, 30000), 30000,
                 "a shorter Retry-After does not shorten the backoff");
    cr_assert_eq(retry_delay_ms(0, 120, 0, 500, 30000), 120000, "and it may pass the cap");
    cr_assert_eq(retry_delay_ms(0, 0, 0, 500, 30000), 0);
    cr_assert(retry_delay_ms(0, 9000000000L / 1000, 0, 500, 30000) <= 86400L * 1000,
              "an absurd Retry-After is bounded");
}

Test(client_retry, retry_after_header_values)
{
    cr_assert_eq(retry_after_seconds("3", 0), 3);
    cr_assert_eq(retry_after_seconds(" 120 ", 0), 120);
    cr_assert_eq(retry_after_seconds(NULL, 0), -1);
    cr_assert_eq(retry_after_seconds("", 0), -1);
    cr_assert_eq(retry_after_seconds("soon", 0), -1);
    cr_assert_eq(retry_after_seconds("-4", 0), -1);
    cr_assert_eq(retry_after_seconds("5x", 0), -1);
    /* HTTP-date: Sun, 06 Nov 1994 08:49:37 GMT is 784111777 */
    cr_assert_eq(retry_after_seconds("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 30), 30);
    cr_assert_eq(retry_after_seconds("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 30), 0,
                 "a date in the past means now");
}

Test(client_retry, exit_codes)
{
    cr_assert_eq(exit_code_for_status(200), CLIENT_EXIT_OK);
    cr_assert_eq(exit_code_for_status(201), CLIENT_EXIT_OK);
    cr_assert_eq(exit_code_for_status(204), CLIENT_EXIT_OK);
    long rejected[] = {400, 404, 405, 409, 412, 413, 415, 422, 431};
    for (size_t i = 0; i < sizeof rejected / sizeof rejected[0]; i++)
        cr_assert_eq(exit_code_for_status(rejected[i]), CLIENT_EXIT_REJECTED, "%ld", rejected[i]);
    cr_assert_eq(exit_code_for_status(401), CLIENT_EXIT_AUTH);
    cr_assert_eq(exit_code_for_status(403), CLIENT_EXIT_AUTH);
    cr_assert_eq(exit_code_for_status(429), CLIENT_EXIT_FAILURE);
    cr_assert_eq(exit_code_for_status(500), CLIENT_EXIT_FAILURE);
    cr_assert_eq(exit_code_for_status(503), CLIENT_EXIT_FAILURE);
    cr_assert_eq(exit_code_for_status(0), CLIENT_EXIT_FAILURE, "no answer at all");
    cr_assert_eq(exit_code_for_status(302), CLIENT_EXIT_FAILURE);
    cr_assert_eq(CLIENT_EXIT_USAGE, 1);
    cr_assert_eq(CLIENT_EXIT_REJECTED, 2);
    cr_assert_eq(CLIENT_EXIT_AUTH, 3);
    cr_assert_eq(CLIENT_EXIT_FAILURE, 4);
}
