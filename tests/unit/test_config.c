/* Unit tests of daemon/config: the defaults an operator gets without a config file (design §6),
 * the `key = value` file format, error messages that name file and line, sizes and durations, and
 * the rule that flags override the file. */
#include "daemon/config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct config cfg;
static char err[512];

static void setup(void)
{
    config_defaults(&cfg);
    err[0] = '\0';
}

static void teardown(void)
{
    config_free(&cfg);
}

TestSuite(config, .init = setup, .fini = teardown, .timeout = 60);

Test(config, defaults_match_the_documented_limits)
{
    cr_assert_eq(cfg.max_body, 1024 * 1024, "max-body 1 MiB");
    cr_assert_eq(cfg.max_import_body, 32 * 1024 * 1024, "max-import-body 32 MiB");
    cr_assert_eq(cfg.max_header, 16 * 1024, "max-header 16 KiB");
    cr_assert_eq(cfg.header_timeout_ms, 30000, "header-timeout 30 s");
    cr_assert_eq(cfg.request_timeout_ms, 60000, "request-timeout 60 s");
    cr_assert_float_eq(cfg.rate_limit, 50.0, 1e-9);
    cr_assert_eq(cfg.rate_burst, 100);
    cr_assert_float_eq(cfg.address_rate_limit, 100.0, 1e-9);
    cr_assert_eq(cfg.address_burst, 200);
}

Test(config, defaults_match_the_documented_statistics_settings)
{
    cr_assert_eq(cfg.outlier_min, 10);
    cr_assert_eq(cfg.outlier_ratio_pct, 50);
    cr_assert_eq(cfg.sdc_js, 4);
    cr_assert_eq(cfg.sdc_d, 2);
    cr_assert_eq(cfg.sdc_rate_min, 10);
    cr_assert_eq(cfg.audit_retention_days, 180);
    cr_assert_str_eq(cfg.listen, "127.0.0.1:8443");
    cr_assert_str_eq(cfg.log_level, "info");
    cr_assert_null(cfg.metrics_listen, "/metrics is off unless asked for");
    cr_assert_null(cfg.tls_client_ca, "mutual TLS is off unless asked for");
}

Test(config, every_documented_key_is_settable_and_documented_once)
{
    /* --help and the man page come from config_key_docs; each name must be a real key. */
    cr_assert_gt(config_key_count, 20);
    for (size_t i = 0; i < config_key_count; i++) {
        const struct config_key_doc *d = &config_key_docs[i];
        cr_assert_not_null(d->help);
        cr_assert_not_null(d->arg);
        for (size_t j = i + 1; j < config_key_count; j++)
            cr_assert_str_neq(d->name, config_key_docs[j].name, "key %s listed twice", d->name);
        /* An unknown key fails with "unknown key"; a known one fails, if at all, on its value. */
        config_set(&cfg, d->name, "", err, sizeof err);
        cr_assert_null(strstr(err, "unknown key"), "%s: %s", d->name, err);
    }
}

Test(config, file_text_with_comments_blank_lines_and_spaces)
{
    const char *text = "# trechterd.conf\n"
                       "\n"
                       "   listen   =   0.0.0.0:9443   \n"
                       "tls-cert = /etc/trechter/tls/cert.pem # the chain\n"
                       "\t\n"
                       "tls-key=/etc/trechter/tls/key.pem\n"
                       "max-body = 2MiB\n"
                       "header-timeout = 10s\n"
                       "outlier-ratio = 25%\n"
                       "rate-limit = 12.5\n"
                       "    # indented comment\n"
                       "workers = 3"; /* no final newline */
    cr_assert_eq(config_parse_text(&cfg, text, "trechterd.conf", err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(cfg.listen, "0.0.0.0:9443");
    cr_assert_str_eq(cfg.tls_cert, "/etc/trechter/tls/cert.pem");
    cr_assert_str_eq(cfg.tls_key, "/etc/trechter/tls/key.pem");
    cr_assert_eq(cfg.max_body, 2u << 20);
    cr_assert_eq(cfg.header_timeout_ms, 10000);
    cr_assert_eq(cfg.outlier_ratio_pct, 25);
    cr_assert_float_eq(cfg.rate_limit, 12.5, 1e-9);
    cr_assert_eq(cfg.workers, 3);
    /* Keys the file leaves out keep their defaults. */
    cr_assert_eq(cfg.max_import_body, 32u << 20);
}

Test(config, crlf_line_endings_are_accepted)
{
    cr_assert_eq(
        config_parse_text(&cfg, "max-header = 32KiB\r\nworkers = 2\r\n", "w.conf", err, sizeof err),
        0, "%s", err);
    cr_assert_eq(cfg.max_header, 32u << 10);
    cr_assert_eq(cfg.workers, 2);
}

Test(config, unknown_key_names_file_and_line)
{
    const char *text = "# comment\n"
                       "listen = 127.0.0.1:8443\n"
                       "max-bdy = 1MiB\n";
    cr_assert_eq(config_parse_text(&cfg, text, "x.conf", err, sizeof err), -1);
    cr_assert_str_eq(err, "x.conf:3: unknown key 'max-bdy'");
}

Test(config, bad_value_names_file_line_and_key)
{
    const char *text = "\n\n\n\nmax-body = lots\n";
    cr_assert_eq(config_parse_text(&cfg, text, "/etc/trechter/trechterd.conf", err, sizeof err),
                 -1);
    cr_assert(strncmp(err, "/etc/trechter/trechterd.conf:5: ", 32) == 0, "%s", err);
    cr_assert_not_null(strstr(err, "max-body"), "%s", err);
    cr_assert_not_null(strstr(err, "lots"), "%s", err);
    cr_assert_eq(cfg.max_body, 1u << 20, "a refused value leaves the setting as it was");
}

Test(config, line_without_equals_sign_is_refused_with_its_line)
{
    cr_assert_eq(config_parse_text(&cfg, "workers = 2\nmax-body 1MiB\n", "a.conf", err, sizeof err),
                 -1);
    cr_assert_not_null(strstr(err, "a.conf:2:"), "%s", err);
}

Test(config, out_of_range_values_are_refused)
{
    cr_assert_eq(config_set(&cfg, "workers", "-1", err, sizeof err), -1);
    cr_assert_eq(config_set(&cfg, "rate-limit", "0", err, sizeof err), -1);
    cr_assert_eq(config_set(&cfg, "rate-burst", "12x", err, sizeof err), -1);
    cr_assert_eq(config_set(&cfg, "max-header", "10", err, sizeof err), -1, "below 1 KiB");
    cr_assert_eq(config_set(&cfg, "audit-retention-days", "0", err, sizeof err), -1);
    cr_assert_eq(config_set(&cfg, "tls-cert", "", err, sizeof err), -1, "empty path");
}

Test(config, sizes)
{
    size_t n = 0;
    cr_assert_eq(config_parse_size("1MiB", &n), 0);
    cr_assert_eq(n, 1048576);
    cr_assert_eq(config_parse_size("16KiB", &n), 0);
    cr_assert_eq(n, 16384);
    cr_assert_eq(config_parse_size("512", &n), 0);
    cr_assert_eq(n, 512);
    cr_assert_eq(config_parse_size("2GiB", &n), 0);
    cr_assert_eq(n, 2147483648u);
    cr_assert_eq(config_parse_size("1MB", &n), 0);
    cr_assert_eq(n, 1000000);
    cr_assert_eq(config_parse_size("junk", &n), -1);
    cr_assert_eq(config_parse_size("", &n), -1);
    cr_assert_eq(config_parse_size("1 MiB", &n), -1);
    cr_assert_eq(config_parse_size("1MiBs", &n), -1);
    cr_assert_eq(config_parse_size("-1", &n), -1);
    cr_assert_eq(config_parse_size("99999999999999999999999", &n), -1, "overflow");
}

Test(config, durations)
{
    int ms = 0;
    cr_assert_eq(config_parse_duration_ms("30s", &ms), 0);
    cr_assert_eq(ms, 30000);
    cr_assert_eq(config_parse_duration_ms("500ms", &ms), 0);
    cr_assert_eq(ms, 500);
    cr_assert_eq(config_parse_duration_ms("2m", &ms), 0);
    cr_assert_eq(ms, 120000);
    cr_assert_eq(config_parse_duration_ms("1h", &ms), 0);
    cr_assert_eq(ms, 3600000);
    cr_assert_eq(config_parse_duration_ms("45", &ms), 0, "a bare number is seconds");
    cr_assert_eq(ms, 45000);
    cr_assert_eq(config_parse_duration_ms("junk", &ms), -1);
    cr_assert_eq(config_parse_duration_ms("", &ms), -1);
    cr_assert_eq(config_parse_duration_ms("30 s", &ms), -1);
    cr_assert_eq(config_parse_duration_ms("10d", &ms), -1);
    cr_assert_eq(config_parse_duration_ms("-5s", &ms), -1);
    cr_assert_eq(config_parse_duration_ms("9999999h", &ms), -1, "overflow");
}

Test(config, flags_override_the_file)
{
    /* serve applies --config first, then each flag through config_set. */
    const char *text = "max-body = 2MiB\nlisten = 0.0.0.0:9443\nrate-limit = 5\n";
    cr_assert_eq(config_parse_text(&cfg, text, "t.conf", err, sizeof err), 0, "%s", err);
    cr_assert_eq(config_set(&cfg, "max-body", "512KiB", err, sizeof err), 0, "%s", err);
    cr_assert_eq(config_set(&cfg, "listen", "127.0.0.1:18443", err, sizeof err), 0, "%s", err);
    cr_assert_eq(cfg.max_body, 512u << 10);
    cr_assert_str_eq(cfg.listen, "127.0.0.1:18443");
    cr_assert_float_eq(cfg.rate_limit, 5.0, 1e-9, "untouched by flags, kept from the file");
}

static void set_required(void)
{
    cr_assert_eq(config_set(&cfg, "tls-cert", "/tls/cert.pem", err, sizeof err), 0);
    cr_assert_eq(config_set(&cfg, "tls-key", "/tls/key.pem", err, sizeof err), 0);
    cr_assert_eq(config_set(&cfg, "db", "dbname=trechter", err, sizeof err), 0);
    cr_assert_eq(config_set(&cfg, "sdc-secret-file", "/run/credentials/sdc", err, sizeof err), 0);
}

Test(config, validate_accepts_the_required_keys)
{
    set_required();
    cr_assert_eq(config_validate(&cfg, err, sizeof err), 0, "%s", err);
}

Test(config, validate_requires_tls_cert_and_key)
{
    set_required();
    free(cfg.tls_cert);
    cfg.tls_cert = NULL;
    cr_assert_eq(config_validate(&cfg, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "tls-cert"), "%s", err);

    config_free(&cfg);
    config_defaults(&cfg);
    set_required();
    free(cfg.tls_key);
    cfg.tls_key = NULL;
    cr_assert_eq(config_validate(&cfg, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "tls-key"), "%s", err);
}

Test(config, validate_requires_db)
{
    set_required();
    free(cfg.db);
    cfg.db = NULL;
    cr_assert_eq(config_validate(&cfg, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "db"), "%s", err);
}

Test(config, validate_requires_sdc_secret_file)
{
    set_required();
    free(cfg.sdc_secret_file);
    cfg.sdc_secret_file = NULL;
    cr_assert_eq(config_validate(&cfg, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "sdc-secret-file"), "%s", err);
}

Test(config, validate_refuses_a_body_cap_above_the_import_cap)
{
    set_required();
    cr_assert_eq(config_set(&cfg, "max-body", "64MiB", err, sizeof err), 0, "%s", err);
    cr_assert_eq(config_validate(&cfg, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "max-body"), "%s", err);
}

Test(config, validate_refuses_an_unknown_log_level)
{
    set_required();
    cr_assert_eq(config_set(&cfg, "log-level", "verbose", err, sizeof err), 0, "%s", err);
    cr_assert_eq(config_validate(&cfg, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "verbose"), "%s", err);
}

Test(config, load_file_reports_a_missing_file_by_name)
{
    cr_assert_eq(config_load_file(&cfg, "/nonexistent/trechterd.conf", err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "/nonexistent/trechterd.conf"), "%s", err);
}

Test(config, hash_inside_a_value_is_not_a_comment)
{
    cr_assert_eq(config_parse_text(&cfg,
                                   "db = host=db1 password=a#b  # the primary\n# whole line\n",
                                   "x.conf", err, sizeof err),
                 0, "%s", err);
    cr_assert_str_eq(cfg.db, "host=db1 password=a#b", "a conninfo password may hold '#'");
}
