/* libFuzzer harness: auth_parse_bearer() on arbitrary Authorization header values, with an output
 * buffer of 1..256 bytes picked by the first byte. An accepted token fits the buffer, holds only
 * token68 characters and appears in the header right after the scheme and blanks. */
#include "api/auth.h"

#include <strings.h>

#include "tests/fuzz/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 8192)
        return 0;
    size_t cap = 1 + data[0];
    char *header = fuzz_strdup(data + 1, size - 1);
    char *token = malloc(cap); /* exactly cap bytes: ASan sees any overrun */
    FUZZ_CHECK(token != NULL);
    memset(token, 'X', cap);
    bool ok = auth_parse_bearer(header, token, cap);
    if (ok) {
        size_t n = strnlen(token, cap);
        FUZZ_CHECK(n >= 1 && n < cap, "token of %zu bytes in %zu", n, cap);
        for (size_t i = 0; i < n; i++) {
            char c = token[i];
            FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                           (c && strchr("-._~+/=", c)),
                       "byte 0x%02x in the token", (unsigned char)c);
        }
        FUZZ_CHECK(strncasecmp(header, "Bearer ", 7) == 0, "scheme");
        const char *t = header + 7;
        while (*t == ' ')
            t++;
        FUZZ_CHECK(strncmp(t, token, n) == 0, "token is not the header's");
        for (const char *rest = t + n; *rest; rest++)
            FUZZ_CHECK(*rest == ' ', "text after the token ignored");
    }
    FUZZ_CHECK(!auth_parse_bearer(NULL, token, cap), "NULL header accepted");
    free(token);
    free(header);
    return 0;
}
