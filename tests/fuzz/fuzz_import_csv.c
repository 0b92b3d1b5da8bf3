/* libFuzzer harness: import_decode() on arbitrary CSV import bodies (POST /v1/imports, text/csv),
 * the Dutch-Excel shapes included (BOM, ';', CRLF, quotes). See fuzz_import_common.h for the
 * checks. Once at start-up, the template import_template_csv() prints must decode as one item for
 * every period since 2015-Q1 that has ended (a fixed check, not fuzzed: it costs a whole import).
 */
#include "tests/fuzz/fuzz_import_common.h"
#include "tests/support/import_template.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const struct catalog *cat = fuzz_catalog();
    static const char *codes[] = {"GM0000", "GM0599", "GM9999"};
    for (size_t c = 0; c < sizeof codes / sizeof codes[0]; c++) {
        for (struct period p = {2015, 1}; period_compare(p, (struct period){2026, 1}) <= 0;
             p = p.quarter == 4 ? (struct period){p.year + 1, 1}
                                : (struct period){p.year, p.quarter + 1}) {
            char period[8];
            period_format(p, period);
            char *tpl = import_template_csv(cat, codes[c], period);
            FUZZ_CHECK(tpl != NULL, "no template for %s %s", codes[c], period);
            struct import_doc doc = {0};
            struct violations v;
            violations_init(&v);
            int rc = import_decode(tpl, strlen(tpl), true, cat, FUZZ_NOW, &doc, &v);
            FUZZ_CHECK(rc == 0 && doc.count == 1, "template for %s %s refused (%zu violations)",
                       codes[c], period, violations_count(&v));
            violations_clear(&v);
            import_doc_free(&doc);
            free(tpl);
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_import(data, size, true);
    return 0;
}
