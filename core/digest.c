/* SHA-256, hex and random ids through libcrypto. */
#include "core/digest.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

void hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

int sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
        memset(out, 'x', 64);
        out[64] = '\0';
        return -1;
    }
    hex_encode(md, 32, out);
    return 0;
}

int random_id(const char *prefix, char *out, size_t cap)
{
    unsigned char raw[8];
    size_t plen = strlen(prefix);
    if (cap < plen + 2 * sizeof raw + 1 || RAND_bytes(raw, sizeof raw) != 1) {
        snprintf(out, cap, "%s", prefix);
        return -1;
    }
    memcpy(out, prefix, plen);
    hex_encode(raw, sizeof raw, out + plen);
    return 0;
}

int hex_digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
