/* The checks shared by fuzz_import_json.c and fuzz_import_csv.c: import_decode() on the input, and
 * for an accepted import, every item well formed and valid as a PUT body on its own. */
#ifndef TRECHTER_FUZZ_IMPORT_COMMON_H
#define TRECHTER_FUZZ_IMPORT_COMMON_H
#include "core/funnel_doc.h"
#include "core/import_doc.h"
#include "core/municipality_code.h"
#include "core/period.h"
#include "tests/fuzz/fuzz_support.h"

static inline void fuzz_import(const uint8_t *data, size_t size, bool is_csv)
{
    const struct catalog *cat = fuzz_catalog();
    struct import_doc doc = {0};
    struct violations v;
    violations_init(&v);
    int rc = import_decode((const char *)data, size, is_csv, cat, FUZZ_NOW, &doc, &v);
    fuzz_check_violations(rc, &v, DOC_MAX_VIOLATIONS);
    violations_clear(&v);
    if (rc != 0) {
        FUZZ_CHECK(doc.items == NULL, "refused import keeps items");
        import_doc_free(&doc);
        return;
    }
    FUZZ_CHECK(doc.count <= IMPORT_MAX_ITEMS, "%zu items", doc.count);
    FUZZ_CHECK(doc.count == 0 || doc.items != NULL);
    for (size_t i = 0; i < doc.count; i++) {
        const struct import_item *it = &doc.items[i];
        FUZZ_CHECK(municipality_code_valid(it->code), "item %zu: code '%s'", i, it->code);
        struct period p;
        FUZZ_CHECK(period_check_submittable(it->period, FUZZ_NOW, &p) == PERIOD_OK,
                   "item %zu: period '%s'", i, it->period);
        char canon_period[8];
        period_format(p, canon_period);
        FUZZ_CHECK(strcmp(canon_period, it->period) == 0, "period '%s' not canonical", it->period);
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(doc.items[j].code, it->code) != 0 ||
                           strcmp(doc.items[j].period, it->period) != 0,
                       "items %zu and %zu are the same funnel", j, i);
        /* What the import stores must be what a PUT of its canonical text stores. */
        char *canon = funnel_canonical_json(&it->funnel, cat);
        FUZZ_CHECK(canon != NULL);
        struct funnel f;
        violations_init(&v);
        FUZZ_CHECK(funnel_decode(canon, strlen(canon), cat, &f, &v) == 0,
                   "item %zu: canonical text refused as a PUT body: %s", i, canon);
        violations_clear(&v);
        char *canon2 = funnel_canonical_json(&f, cat);
        FUZZ_CHECK(canon2 && strcmp(canon, canon2) == 0, "item %zu: canonical text unstable", i);
        free(canon2);
        free(canon);
    }
    import_doc_free(&doc);
}

#endif
