/* Token generation (RAND_bytes, base64url) and hashing (SHA-256 hex, core/digest). */
#include "core/token_hash.h"

#include "core/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void token_hash_hex(const char *token, char out[65])
{
    /* On a broken libcrypto the digest is 64 'x': an impossible hash matches no stored token. */
    sha256_hex(token, strlen(token), out);
}

/* base64url without padding of n bytes into dst; returns characters written (no NUL). */
static size_t base64url_encode(const unsigned char *src, size_t n, char *dst)
{
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned long v = (unsigned long)src[i] << 16 | (unsigned long)src[i + 1] << 8 | src[i + 2];
        dst[o++] = b64url[(v >> 18) & 63];
        dst[o++] = b64url[(v >> 12) & 63];
        dst[o++] = b64url[(v >> 6) & 63];
        dst[o++] = b64url[v & 63];
    }
    if (n - i == 1) {
        unsigned long v = (unsigned long)src[i] << 16;
        dst[o++] = b64url[(v >> 18) & 63];
        dst[o++] = b64url[(v >> 12) & 63];
    } else if (n - i == 2) {
        unsigned long v = (unsigned long)src[i] << 16 | (unsigned long)src[i + 1] << 8;
        dst[o++] = b64url[(v >> 18) & 63];
        dst[o++] = b64url[(v >> 12) & 63];
        dst[o++] = b64url[(v >> 6) & 63];
    }
    return o;
}

int token_generate(char out[48])
{
    unsigned char raw[TOKEN_RANDOM_BYTES];
    out[0] = '\0';
    if (RAND_bytes(raw, sizeof raw) != 1)
        return -1;
    size_t p = strlen(TOKEN_PREFIX);
    memcpy(out, TOKEN_PREFIX, p);
    p += base64url_encode(raw, sizeof raw, out + p);
    out[p] = '\0';
    OPENSSL_cleanse(raw, sizeof raw);
    return p == TOKEN_LEN ? 0 : -1;
}

bool token_well_formed(const char *s)
{
    size_t p = strlen(TOKEN_PREFIX);
    if (strncmp(s, TOKEN_PREFIX, p) != 0 || strlen(s) != TOKEN_LEN)
        return false;
    for (const char *c = s + p; *c; c++)
        if (!strchr(b64url, *c))
            return false;
    return true;
}
