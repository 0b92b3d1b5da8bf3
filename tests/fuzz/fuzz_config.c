/* libFuzzer harness: config_parse_text() on arbitrary config files, then config_validate() and
 * config_free() (leaks count). What parses must respect every key's range; what is refused must say
 * so with the file name and line. The size and duration grammars get the whole input as well. */
#include "daemon/config.h"

#include "tests/fuzz/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *text = fuzz_strdup(data, size);
    struct config cfg;
    config_defaults(&cfg);
    char err[512] = "";
    int rc = config_parse_text(&cfg, text, "fuzz.conf", err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -1, "rc %d", rc);
    if (rc == 0) {
        FUZZ_CHECK(cfg.workers >= 0 && cfg.workers <= 256);
        FUZZ_CHECK(cfg.db_pool_size >= 1 && cfg.db_pool_size <= 64);
        FUZZ_CHECK(cfg.max_body >= 1024 && cfg.max_import_body >= 1024 && cfg.max_header >= 1024);
        FUZZ_CHECK(cfg.rate_limit > 0 && cfg.address_rate_limit > 0);
        FUZZ_CHECK(cfg.header_timeout_ms >= 100 && cfg.shutdown_timeout_ms >= 0);
        FUZZ_CHECK(cfg.log_level == NULL || cfg.log_level[0] != '\0', "empty log level");
        char verr[256];
        (void)config_validate(&cfg, verr, sizeof verr);
    } else {
        FUZZ_CHECK(strncmp(err, "fuzz.conf:", 10) == 0, "error does not name the file: %s", err);
        FUZZ_CHECK(strlen(err) < sizeof err);
    }
    config_free(&cfg);

    /* The size and duration grammars on their own, on the whole input. */
    size_t bytes;
    if (config_parse_size(text, &bytes) == 0)
        FUZZ_CHECK(text[0] >= '0' && text[0] <= '9', "'%s' accepted as a size", text);
    int ms;
    if (config_parse_duration_ms(text, &ms) == 0)
        FUZZ_CHECK(ms >= 0, "negative duration %d from '%s'", ms, text);
    free(text);
    return 0;
}
