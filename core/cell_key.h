/* Cell-key perturbation (design §5.1-5.3): the HMAC-SHA256 key of each stored inner cell, the sum
 * of keys of an aggregate cell, and the published value. Pure integer arithmetic; no floating
 * point, no globals. */
#ifndef TRECHTER_CELL_KEY_H
#define TRECHTER_CELL_KEY_H
#include <stddef.h>
#include <stdint.h>

#include "core/funnel_doc.h"

/* Defaults of design §5.3. */
#define SDC_DEFAULT_JS 4
#define SDC_DEFAULT_D 2

/* The key of one inner cell: the first 4 bytes, big-endian, of HMAC-SHA256(secret,
 * "code|period|stage|dimension|category|n") with n in decimal, e.g.
 * "GM0599|2026-Q2|reported|total||30". n == 0 gives 0 without hashing. Returns 0 also if OpenSSL
 * fails (it does not, short of memory exhaustion); use cell_key_compute() to tell. */
uint32_t cell_key(const unsigned char *secret, size_t secret_len, const char *code,
                  const char *period, const char *stage, const char *dimension,
                  const char *category, long long n);

/* As cell_key(), reporting failure: returns 0 and sets *out, or -1 when OpenSSL failed. */
int cell_key_compute(const unsigned char *secret, size_t secret_len, const char *code,
                     const char *period, const char *stage, const char *dimension,
                     const char *category, long long n, uint32_t *out);

/* Sets the key of every cell (cells from funnel_cells()) for municipality `code` and canonical
 * period text. One HMAC context keyed once serves all cells. Returns 0, or -1 when OpenSSL failed
 * (keys are then unspecified and must not be stored). */
int funnel_cells_fill_keys(struct funnel_cell *cells, size_t n, const unsigned char *secret,
                           size_t len, const char *code, const char *period);

/* The key of an aggregate of two cells: a + b mod 2^32. Commutative and associative, so any
 * grouping or order of inner cells gives the same aggregate key. */
uint32_t cell_key_sum(uint32_t a, uint32_t b);

/* The published value of a cell with count n and key k (design §5.3): n <= 0 gives 0; 1..js gives
 * js+1 when k*(js+1) < n*2^32, else 0; n > js gives n + floor(k*(2d+1)/2^32) - d with
 * d = min(D, n-(js+1)). Unbiased over uniform keys; never a value in 1..js; within D of n for
 * n > js. Negative js or D count as 0. */
long long sdc_publish(long long n, uint32_t k, int js, int D);

#endif
