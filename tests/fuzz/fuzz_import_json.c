/* libFuzzer harness: import_decode() on arbitrary JSON import bodies (POST /v1/imports,
 * application/json). See fuzz_import_common.h for the checks. */
#include "tests/fuzz/fuzz_import_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_catalog();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_import(data, size, false);
    return 0;
}
