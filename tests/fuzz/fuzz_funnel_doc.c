/* libFuzzer harness: funnel_decode() on arbitrary PUT bodies against the fixture catalog. A valid
 * funnel must canonicalise, decode again from its canonical text to the same text, list at most
 * FUNNEL_MAX_CELLS cells and sum its breakdowns to its totals; a refused one must carry
 * violations that render as problem+json. */
#include "core/funnel_doc.h"

#include "tests/fuzz/fuzz_support.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_catalog();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct catalog *cat = fuzz_catalog();
    struct funnel f;
    struct violations v;
    violations_init(&v);
    int rc = funnel_decode((const char *)data, size, cat, &f, &v);
    fuzz_check_violations(rc, &v, DOC_MAX_VIOLATIONS);
    violations_clear(&v);
    if (rc != 0)
        return 0;

    for (size_t s = 0; s < cat->nstages; s++) {
        const struct funnel_stage *st = &f.stages[s];
        if (!st->known)
            continue;
        FUZZ_CHECK(st->total >= 0 && st->total <= FUNNEL_MAX_COUNT, "total %d", st->total);
        for (size_t d = 0; d < cat->ndimensions; d++) {
            if (!st->breakdowns[d].given)
                continue;
            FUZZ_CHECK(catalog_stage_allows(cat, (int)s, (int)d), "dimension not allowed");
            FUZZ_CHECK(funnel_breakdown_sum(st, cat, (int)d) == st->total, "sum mismatch accepted");
        }
    }

    char *canon = funnel_canonical_json(&f, cat);
    FUZZ_CHECK(canon != NULL, "no canonical text");
    struct funnel again;
    violations_init(&v);
    FUZZ_CHECK(funnel_decode(canon, strlen(canon), cat, &again, &v) == 0,
               "canonical text refused: %s", canon);
    violations_clear(&v);
    char *canon2 = funnel_canonical_json(&again, cat);
    FUZZ_CHECK(canon2 && strcmp(canon, canon2) == 0, "canonical text not stable:\n%s\n%s", canon,
               canon2 ? canon2 : "(null)");
    free(canon2);
    free(canon);

    static struct funnel_cell cells[FUNNEL_MAX_CELLS];
    size_t n = funnel_cells(&f, cat, cells, FUNNEL_MAX_CELLS);
    FUZZ_CHECK(n <= FUNNEL_MAX_CELLS, "%zu cells", n);
    /* A short output array gets a prefix and the same count. */
    size_t max = n / 2;
    FUZZ_CHECK(funnel_cells(&f, cat, cells, max) == n, "count depends on the array size");

    struct violations warnings;
    violations_init(&warnings);
    funnel_order_warnings(&f, cat, &warnings);
    violations_clear(&warnings);
    return 0;
}
