/* libFuzzer harness: import_decode() on arbitrary CSV import bodies (POST /v1/imports, text/csv),
 * the Dutch-Excel shapes included (BOM, ';', CRLF, quotes); and the template that
 * import_template_csv() prints for a code and period taken from the input must decode. See
 * fuzz_import_common.h for the checks. */
#include "tests/fuzz/fuzz_import_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_catalog();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_import(data, size, true);

    /* The template for "GM" + 4 digits and a period from the first bytes decodes as one item. */
    if (size >= 3) {
        char code[7], period[8];
        snprintf(code, sizeof code, "GM%04u", (unsigned)(data[0] | data[1] << 8) % 10000);
        snprintf(period, sizeof period, "%04u-Q%u", 2015 + data[2] % 11, 1 + (data[2] >> 4) % 4);
        char *tpl = import_template_csv(fuzz_catalog(), code, period);
        FUZZ_CHECK(tpl != NULL, "no template for %s %s", code, period);
        struct import_doc doc = {0};
        struct violations v;
        violations_init(&v);
        int rc = import_decode(tpl, strlen(tpl), true, fuzz_catalog(), FUZZ_NOW, &doc, &v);
        FUZZ_CHECK(rc == 0 && doc.count == 1, "template for %s %s refused (%zu violations)",
                   code, period, violations_count(&v));
        violations_clear(&v);
        import_doc_free(&doc);
        free(tpl);
    }
    return 0;
}
