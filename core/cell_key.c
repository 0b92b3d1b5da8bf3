/* HMAC-SHA256 cell keys through one reusable OpenSSL EVP_MAC context; perturbation in integers. */
#include "core/cell_key.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <string.h>

/* An HMAC-SHA256 context keyed once; re-initialised (same key) for every cell. */
struct keyer {
    EVP_MAC *mac;
    EVP_MAC_CTX *ctx;
};

static void keyer_free(struct keyer *k)
{
    EVP_MAC_CTX_free(k->ctx);
    EVP_MAC_free(k->mac);
    k->ctx = NULL;
    k->mac = NULL;
}

static int keyer_init(struct keyer *k, const unsigned char *secret, size_t len)
{
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    k->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    k->ctx = k->mac ? EVP_MAC_CTX_new(k->mac) : NULL;
    /* An empty secret is refused: it would key nothing (the daemon requires 32 bytes or more). */
    if (!k->ctx || len == 0 || !EVP_MAC_init(k->ctx, secret, len, params)) {
        keyer_free(k);
        return -1;
    }
    return 0;
}

static int keyer_cell(struct keyer *k, const char *code, const char *period, const char *stage,
                      const char *dimension, const char *category, long long n, uint32_t *out)
{
    if (n == 0) {
        *out = 0;
        return 0;
    }
    char number[24];
    int nlen = snprintf(number, sizeof number, "%lld", n);
    const char *parts[] = {code, period, stage, dimension, category};
    unsigned char md[EVP_MAX_MD_SIZE];
    size_t mdlen = 0;
    if (!EVP_MAC_init(k->ctx, NULL, 0, NULL))
        return -1;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        const char *p = parts[i] ? parts[i] : "";
        if (!EVP_MAC_update(k->ctx, (const unsigned char *)p, strlen(p)) ||
            !EVP_MAC_update(k->ctx, (const unsigned char *)"|", 1))
            return -1;
    }
    if (!EVP_MAC_update(k->ctx, (const unsigned char *)number, (size_t)nlen) ||
        !EVP_MAC_final(k->ctx, md, &mdlen, sizeof md) || mdlen < 4)
        return -1;
    *out = (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 | (uint32_t)md[2] << 8 | md[3];
    return 0;
}

int cell_key_compute(const unsigned char *secret, size_t secret_len, const char *code,
                     const char *period, const char *stage, const char *dimension,
                     const char *category, long long n, uint32_t *out)
{
    *out = 0;
    if (n == 0)
        return 0;
    struct keyer k;
    if (keyer_init(&k, secret, secret_len) != 0)
        return -1;
    int rc = keyer_cell(&k, code, period, stage, dimension, category, n, out);
    keyer_free(&k);
    return rc;
}

uint32_t cell_key(const unsigned char *secret, size_t secret_len, const char *code,
                  const char *period, const char *stage, const char *dimension,
                  const char *category, long long n)
{
    uint32_t key = 0;
    if (cell_key_compute(secret, secret_len, code, period, stage, dimension, category, n, &key))
        return 0;
    return key;
}

int funnel_cells_fill_keys(struct funnel_cell *cells, size_t n, const unsigned char *secret,
                           size_t len, const char *code, const char *period)
{
    struct keyer k;
    if (keyer_init(&k, secret, len) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = keyer_cell(&k, code, period, cells[i].stage, cells[i].dimension, cells[i].category,
                        cells[i].count, &cells[i].key);
    keyer_free(&k);
    return rc;
}

uint32_t cell_key_sum(uint32_t a, uint32_t b)
{
    return a + b; /* unsigned arithmetic wraps mod 2^32 */
}

long long sdc_publish(long long n, uint32_t k, int js, int D)
{
    if (js < 0)
        js = 0;
    if (D < 0)
        D = 0;
    if (n <= 0)
        return 0;
    if (n <= js) {
        /* k < 2^32 and js+1 <= 2^31, so the product fits; n <= js < 2^31 so n << 32 fits too. */
        uint64_t lhs = (uint64_t)k * (uint64_t)(js + 1);
        uint64_t rhs = (uint64_t)n << 32;
        return lhs < rhs ? (long long)js + 1 : 0;
    }
    long long d = n - ((long long)js + 1);
    if (d > D)
        d = D;
    /* k * (2d + 1) can reach 2^64 for a huge D: 128-bit intermediate. */
    __extension__ unsigned __int128 step = (unsigned __int128)k * (unsigned __int128)(2 * d + 1);
    return n + (long long)(step >> 32) - d;
}
