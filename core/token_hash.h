/* Bearer tokens: generation from the OpenSSL CSPRNG and the SHA-256 under which they are stored.
 *
 * A token is "trt_" followed by 32 random bytes in base64url without padding: 47 characters. The
 * database holds only token_hash_hex() of it, so a leaked tokens table reveals no usable secret. */
#ifndef TRECHTER_TOKEN_HASH_H
#define TRECHTER_TOKEN_HASH_H
#include <stdbool.h>

#define TOKEN_PREFIX "trt_"
#define TOKEN_RANDOM_BYTES 32
#define TOKEN_LEN 47 /* strlen(TOKEN_PREFIX) + 43 base64url characters */

/* Lower-case hex SHA-256 of the token's bytes (up to its NUL), NUL-terminated in out. Works for
 * any string, so the authentication path can hash whatever a client sent. */
void token_hash_hex(const char *token, char out[65]);

/* Writes a fresh NUL-terminated token into out. Returns 0, or -1 when RAND_bytes fails (out is
 * then an empty string). */
int token_generate(char out[48]);

/* True when s has the shape of a token this code generates (prefix, length, alphabet). A cheap
 * pre-check before a database lookup; it says nothing about whether the token exists. */
bool token_well_formed(const char *s);

#endif
