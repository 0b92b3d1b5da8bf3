/* SHA-256 and hex, computed by OpenSSL's libcrypto (never by hand): the one place core/ reaches
 * OpenSSL for a digest that is not a cell key (docs/ARCHITECTURE.md, "core/ and OpenSSL"). */
#ifndef TRECHTER_DIGEST_H
#define TRECHTER_DIGEST_H
#include <stddef.h>

/* Lower-case hex of in[0..n) into out, which holds 2n+1 bytes; NUL-terminated. */
void hex_encode(const unsigned char *in, size_t n, char *out);

/* The value 0..15 of one hex digit ('0'-'9', 'a'-'f', 'A'-'F'), or -1 for any other byte. */
int hex_digit_value(char c);

/* Lower-case hex SHA-256 of data[0..len), NUL-terminated. Returns 0, or -1 on a broken libcrypto
 * (out is then 64 'x', a digest nothing stored can match). */
int sha256_hex(const void *data, size_t len, char out[65]);

/* "PREFIX" followed by 16 hex digits of fresh randomness (RAND_bytes), NUL-terminated in out (cap
 * bytes): request ids of audit events written outside a request. Returns 0 or -1. */
int random_id(const char *prefix, char *out, size_t cap);

#endif
