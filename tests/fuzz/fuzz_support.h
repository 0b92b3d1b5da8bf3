/* Shared by the libFuzzer harnesses (tests/fuzz/fuzz_*.c): the fixture catalog, a fixed "now", a
 * split generator driven by the input, and the checks every decoder's verdict must pass. A failed
 * check aborts, which libFuzzer reports as a crash with the input that caused it. */
#ifndef TRECHTER_FUZZ_SUPPORT_H
#define TRECHTER_FUZZ_SUPPORT_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/catalog.h"
#include "core/problem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Aborts with a message: a property of the code under test does not hold for this input. */
#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n  ", __FILE__, __LINE__, #cond);      \
            fprintf(stderr, "" __VA_ARGS__);                                                       \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The fixture catalog (tests/unit/fixtures/catalog.json, the real reference data), loaded once
 * and kept for the process. TRECHTER_FUZZ_CATALOG names it at build time; the environment variable
 * of the same name overrides. */
static inline const struct catalog *fuzz_catalog(void)
{
    static struct catalog *cat;
    if (cat)
        return cat;
    const char *path = getenv("TRECHTER_FUZZ_CATALOG");
#ifdef TRECHTER_FUZZ_CATALOG
    if (!path)
        path = TRECHTER_FUZZ_CATALOG;
#endif
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f) {
        fprintf(stderr, "fuzz: cannot open the catalog %s\n", path ? path : "(unset)");
        abort();
    }
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    char err[200] = "";
    if (catalog_from_json(buf, n, &cat, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz: catalog %s: %s\n", path, err);
        abort();
    }
    return cat;
}

/* 2026-05-01 12:00 UTC, as in the unit tests: 2026-Q1 has ended, 2026-Q2 has not. */
#define FUZZ_NOW ((time_t)1777636800)

/* A NUL-terminated malloc'd copy of data (an embedded NUL ends the C string early, which is what a
 * C caller would see). */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A small deterministic generator (xorshift64*) seeded from input bytes, for split points. */
struct fuzz_rng {
    uint64_t s;
};

static inline void fuzz_rng_seed(struct fuzz_rng *r, const uint8_t *data, size_t size)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ size;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 0x100000001B3ull;
    r->s = h ? h : 1;
}

static inline uint64_t fuzz_rng_next(struct fuzz_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

/* The length of the next piece of a random split: mostly short, sometimes long. */
static inline size_t fuzz_piece(struct fuzz_rng *r, size_t left)
{
    if (left == 0)
        return 0;
    uint64_t x = fuzz_rng_next(r);
    size_t n = (x & 3) == 0 ? (size_t)(x >> 8) % (left + 1) : (size_t)(x >> 8) % 17;
    return n ? (n < left ? n : left) : 1;
}

/* Checks a decoder's verdict against its violations: valid means none, refused means at least one
 * and at most cap + 1 ("too-many-errors"); every violation renders into a problem+json body. */
static inline void fuzz_check_violations(int rc, struct violations *v, size_t cap)
{
    size_t n = violations_count(v);
    if (rc == 0) {
        FUZZ_CHECK(n == 0, "accepted with %zu violations", n);
        return;
    }
    FUZZ_CHECK(rc == -1, "returned %d", rc);
    FUZZ_CHECK(n >= 1, "refused without any violation (one was dropped?)");
    FUZZ_CHECK(n <= cap + 1, "%zu violations, cap %zu", n, cap);
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(v->items, i);
        FUZZ_CHECK(json_is_object(item), "violation %zu is not an object", i);
        FUZZ_CHECK(json_is_string(json_object_get(item, "code")), "violation %zu: no code", i);
        FUZZ_CHECK(json_is_string(json_object_get(item, "detail")), "violation %zu: no detail", i);
    }
    json_t *problem = problem_new(422, "invalid-input", "The body is not valid.", v);
    FUZZ_CHECK(problem != NULL, "problem_new failed");
    char *text = json_dumps(problem, JSON_COMPACT);
    FUZZ_CHECK(text != NULL, "the problem body does not serialise");
    json_error_t err;
    json_t *back = json_loads(text, 0, &err);
    FUZZ_CHECK(back != NULL, "the problem body does not parse back: %s", err.text);
    json_decref(back);
    free(text);
    json_decref(problem);
}

#endif
