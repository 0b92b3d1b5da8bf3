/* Unit tests of core/cell_key: HMAC vectors from the openssl CLI, the §5.3 formula, and properties
 * of the perturbation over generated cells (zeros, the forbidden 1..js, bounded and unbiased error,
 * order-independent aggregation). */
#include "core/cell_key.h"

#include <criterion/criterion.h>

#include "tests/unit/fixtures/unit_support.h"
#include <stdint.h>
#include <string.h>

static const unsigned char secret[] = "0123456789abcdef0123456789abcdef";
#define SECRET_LEN 32

/* splitmix64: a small seeded generator, so failures reproduce. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Expected keys: the first 8 hex digits of
 *   printf '%s' 'MESSAGE' | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef
 * (OpenSSL 3.0.x, Debian 12). */
Test(cell_key, matches_hmac_sha256_vectors_from_the_openssl_cli, .timeout = 60)
{
    cr_assert_eq(
        cell_key(secret, SECRET_LEN, "GM0599", "2026-Q2", "signalled", "gender", "girl", 27),
        0x58aafc6bU, "GM0599|2026-Q2|signalled|gender|girl|27");
    cr_assert_eq(cell_key(secret, SECRET_LEN, "GM0599", "2026-Q2", "reported", "total", "", 30),
                 0x021c3495U, "GM0599|2026-Q2|reported|total||30");
    cr_assert_eq(
        cell_key(secret, SECRET_LEN, "GM0014", "2015-Q1", "helped", "care", "secure", 1000000),
        0x406fa095U, "GM0014|2015-Q1|helped|care|secure|1000000");
    cr_assert_eq(cell_key(secret, SECRET_LEN, "GM0599", "2026-Q2", "helped", "ageBand", "0-5", 1),
                 0xeaed4f3cU, "GM0599|2026-Q2|helped|ageBand|0-5|1");
}

Test(cell_key, a_zero_cell_has_key_zero, .timeout = 60)
{
    cr_assert_eq(cell_key(secret, SECRET_LEN, "GM0599", "2026-Q2", "reported", "total", "", 0), 0);
    uint32_t k = 7;
    cr_assert_eq(
        cell_key_compute(secret, SECRET_LEN, "GM0599", "2026-Q2", "reported", "total", "", 0, &k),
        0);
    cr_assert_eq(k, 0);
}

Test(cell_key, the_key_depends_on_secret_count_and_every_field, .timeout = 60)
{
    uint32_t base = cell_key(secret, SECRET_LEN, "GM0599", "2026-Q2", "reported", "total", "", 30);
    unsigned char other[SECRET_LEN];
    memcpy(other, secret, SECRET_LEN);
    other[0] ^= 1;
    cr_assert_neq(cell_key(other, SECRET_LEN, "GM0599", "2026-Q2", "reported", "total", "", 30),
                  base);
    cr_assert_neq(cell_key(secret, SECRET_LEN, "GM0599", "2026-Q2", "reported", "total", "", 31),
                  base);
    cr_assert_neq(cell_key(secret, SECRET_LEN, "GM0014", "2026-Q2", "reported", "total", "", 30),
                  base);
    cr_assert_neq(cell_key(secret, SECRET_LEN, "GM0599", "2026-Q3", "reported", "total", "", 30),
                  base);
    cr_assert_neq(cell_key(secret, SECRET_LEN, "GM0599", "2026-Q2", "helped", "total", "", 30),
                  base);
}

Test(cell_key, filling_a_funnels_cells_equals_one_by_one_keys, .timeout = 60)
{
    static const char *const stages[] = {"occurred", "signalled", "reported", "helped"};
    static const char *const cats[] = {"girl", "boy", "other", "unknown"};
    struct funnel_cell cells[400];
    size_t n = 0;
    for (int s = 0; s < 4; s++) {
        cells[n++] = (struct funnel_cell){stages[s], "total", "", 10 * s, 0};
        for (int i = 0; i < 90; i++)
            cells[n++] = (struct funnel_cell){stages[s], "gender", cats[i % 4], i, 0};
    }
    cr_assert_eq(funnel_cells_fill_keys(cells, n, secret, SECRET_LEN, "GM0599", "2026-Q2"), 0);
    for (size_t i = 0; i < n; i++) {
        uint32_t expect = cell_key(secret, SECRET_LEN, "GM0599", "2026-Q2", cells[i].stage,
                                   cells[i].dimension, cells[i].category, cells[i].count);
        cr_assert_eq(cells[i].key, expect, "cell %zu", i);
        if (cells[i].count == 0)
            cr_assert_eq(cells[i].key, 0);
    }
    cr_assert_eq(cells[0].key, 0, "occurred total 0");
    cr_assert_eq(funnel_cells_fill_keys(cells, n, secret, 0, "GM0599", "2026-Q2"), -1,
                 "an empty secret is refused");
}

Test(cell_key, hmac_keys_look_uniform, .timeout = 60)
{
    /* The unbiasedness of §5.3 rests on uniform keys: the mean of 20,000 keys / 2^32 is 1/2. */
    struct funnel_cell cells[200];
    double sum = 0;
    size_t total = 0;
    for (int round = 0; round < 100; round++) {
        for (int i = 0; i < 200; i++)
            cells[i] = (struct funnel_cell){"reported", "total", "", round * 200 + i + 1, 0};
        cr_assert_eq(funnel_cells_fill_keys(cells, 200, secret, SECRET_LEN, "GM0599", "2026-Q2"),
                     0);
        for (int i = 0; i < 200; i++, total++)
            sum += cells[i].key / 4294967296.0;
    }
    cr_assert_float_eq(sum / (double)total, 0.5, 0.01);
}

Test(cell_key, publish_formula_vectors, .timeout = 60)
{
    const int js = 4, D = 2;
    cr_assert_eq(sdc_publish(0, 0xFFFFFFFFu, js, D), 0, "zero stays zero");
    cr_assert_eq(sdc_publish(0, 0, js, D), 0);
    /* 1..js: js+1 when k*(js+1) < n*2^32, i.e. k < n*2^32/5. */
    for (long long n = 1; n <= 4; n++) {
        uint64_t threshold = ((uint64_t)n << 32) / 5; /* k*5 < n<<32 <=> k < ceil(n<<32 / 5) */
        uint32_t below = (uint32_t)(threshold - 1);
        uint32_t at_or_above = (uint32_t)(threshold + 1);
        cr_assert_eq(sdc_publish(n, 0, js, D), 5, "n=%lld k=0", n);
        cr_assert_eq(sdc_publish(n, below, js, D), 5, "n=%lld just below the threshold", n);
        cr_assert_eq(sdc_publish(n, at_or_above, js, D), 0, "n=%lld just above", n);
        cr_assert_eq(sdc_publish(n, 0xFFFFFFFFu, js, D), 0, "n=%lld k=max", n);
    }
    /* Exactly at the threshold for n=1 (k*5 == 2^32 is impossible; 858993459*5 < 2^32 < ...*5). */
    cr_assert_eq(sdc_publish(1, 858993459u, js, D), 5);
    cr_assert_eq(sdc_publish(1, 858993460u, js, D), 0);
    /* n = 5: d = min(2, 0) = 0, never moved. */
    cr_assert_eq(sdc_publish(5, 0, js, D), 5);
    cr_assert_eq(sdc_publish(5, 0xFFFFFFFFu, js, D), 5);
    /* n = 6: d = 1, values 5..7. */
    cr_assert_eq(sdc_publish(6, 0, js, D), 5);
    cr_assert_eq(sdc_publish(6, 0xFFFFFFFFu, js, D), 7);
    cr_assert_eq(sdc_publish(6, 0x80000000u, js, D), 6);
    /* n = 10: d = 2, values 8..12. */
    cr_assert_eq(sdc_publish(10, 0, js, D), 8);
    cr_assert_eq(sdc_publish(10, 0xFFFFFFFFu, js, D), 12);
    cr_assert_eq(sdc_publish(10, 0x80000000u, js, D), 10);
    cr_assert_eq(sdc_publish(1000000, 0, js, D), 999998);
    /* floor(k*5/2^32) steps at multiples of 2^32/5. */
    cr_assert_eq(sdc_publish(10, 858993459u, js, D), 8);
    cr_assert_eq(sdc_publish(10, 858993460u, js, D), 9);
    /* Other parameters: js = 0 leaves small counts alone except by D. */
    cr_assert_eq(sdc_publish(1, 0xFFFFFFFFu, 0, 0), 1);
    cr_assert_eq(sdc_publish(100, 0xFFFFFFFFu, 4, 0), 100);
    cr_assert_eq(sdc_publish(1LL << 40, 0xFFFFFFFFu, 4, 2000000000), (1LL << 40) + 2000000000,
                 "no overflow with a huge D");
}

Test(cell_key, key_sum_wraps_mod_2_32, .timeout = 60)
{
    cr_assert_eq(cell_key_sum(0xFFFFFFFFu, 2), 1);
    cr_assert_eq(cell_key_sum(0x80000000u, 0x80000000u), 0);
    cr_assert_eq(cell_key_sum(5, 0), 5);
}

Test(cell_key, perturbation_properties_over_generated_cells, .timeout = 60)
{
    /* Checked in plain C and asserted once per property: a Criterion assertion per cell would
     * dominate the run time. The first offending cell is kept for the message. */
    const int js = 4, D = 2;
    uint64_t state = 20260401;
    long long error_sum = 0, nonzero = 0;
    long long zero_moved = -1, forbidden = -1, too_far = -1;
    for (int i = 0; i < 200000; i++) {
        long long n = (long long)(next_random(&state) % 201);
        uint32_t k = n ? (uint32_t)(next_random(&state) >> 32) : 0;
        long long pub = sdc_publish(n, k, js, D);
        if (n == 0) {
            if (pub != 0 && zero_moved < 0)
                zero_moved = i;
            continue;
        }
        if (pub >= 1 && pub <= js && forbidden < 0)
            forbidden = i;
        if (n > js && (pub < n - D || pub > n + D) && too_far < 0)
            too_far = i;
        if (n <= js && pub != 0 && pub != js + 1 && forbidden < 0)
            forbidden = i;
        error_sum += pub - n;
        nonzero++;
    }
    cr_assert_eq(zero_moved, -1, "cell %lld: zero did not stay zero", zero_moved);
    cr_assert_eq(forbidden, -1, "cell %lld: published a value in 1..js", forbidden);
    cr_assert_eq(too_far, -1, "cell %lld: published more than D from the raw count", too_far);
    cr_assert_gt(nonzero, 190000);
    double mean = (double)error_sum / (double)nonzero;
    cr_assert(mean > -0.05 && mean < 0.05, "mean error %f over %lld cells", mean, nonzero);
}

Test(cell_key, small_counts_are_unbiased_one_by_one, .timeout = 60)
{
    uint64_t state = 42;
    for (long long n = 1; n <= 8; n++) {
        long long sum = 0;
        const int trials = 100000;
        for (int i = 0; i < trials; i++)
            sum += sdc_publish(n, (uint32_t)(next_random(&state) >> 32), 4, 2);
        double mean = (double)sum / trials;
        cr_assert(mean > (double)n - 0.05 && mean < (double)n + 0.05, "n=%lld mean %f", n, mean);
    }
}

Test(cell_key, aggregates_do_not_depend_on_the_order_of_summing, .timeout = 60)
{
    enum { CELLS = 1000 };
    uint64_t state = 7;
    long long n[CELLS];
    uint32_t k[CELLS];
    size_t order[CELLS];
    for (size_t i = 0; i < CELLS; i++) {
        n[i] = (long long)(next_random(&state) % 201);
        k[i] = n[i] ? (uint32_t)(next_random(&state) >> 32) : 0;
        order[i] = i;
    }
    for (int round = 0; round < 20; round++) {
        /* A region set is any grouping: sum a random subset in forward, reverse, shuffled order
         * and pairwise, and publish. */
        size_t size = 1 + next_random(&state) % CELLS;
        for (size_t i = CELLS - 1; i > 0; i--) {
            size_t j = next_random(&state) % (i + 1);
            size_t t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        long long nf = 0, nr = 0, ns = 0;
        uint32_t kf = 0, kr = 0, ks = 0, kp = 0;
        for (size_t i = 0; i < size; i++) {
            nf += n[i];
            kf = cell_key_sum(kf, k[i]);
            nr += n[size - 1 - i];
            kr = cell_key_sum(kr, k[size - 1 - i]);
        }
        /* shuffled over the same subset: positions < size in a permutation of 0..size-1 */
        size_t taken = 0;
        for (size_t i = 0; i < CELLS && taken < size; i++) {
            if (order[i] < size) {
                ns += n[order[i]];
                ks = cell_key_sum(ks, k[order[i]]);
                taken++;
            }
        }
        for (size_t i = 0; i < size; i += 2) {
            uint32_t pair = i + 1 < size ? cell_key_sum(k[i], k[i + 1]) : k[i];
            kp = cell_key_sum(kp, pair);
        }
        cr_assert(nf == nr && nr == ns);
        cr_assert(kf == kr && kr == ks && ks == kp);
        cr_assert_eq(sdc_publish(nf, kf, 4, 2), sdc_publish(ns, ks, 4, 2));
    }
}
