/* Unit tests of the client's configuration (client/options.c, client/cli.c): the precedence of
 * options over environment over config file, the config file's rules (a token only in a private
 * file), token checks, and that no message ever repeats a token. */
#include "client/cli.h"
#include "client/options.h"

#include <criterion/criterion.h>
#include <string.h>

TestSuite(client_options, .timeout = 60);

#define SECRET "s3cr3t-T0KEN-value-abcdef"

Test(client_options, options_beat_environment_beat_config_file)
{
    struct settings_source opt = {.url = "https://opt.example"};
    struct settings_source env = {
        .url = "https://env.example", .cacert = "/env/ca.pem", .token = "env-token"};
    struct settings_source file = {.url = "https://file.example",
                                   .cacert = "/file/ca.pem",
                                   .cert = "/file/c.pem",
                                   .key = "/file/k.pem",
                                   .token_file = "/file/token"};
    struct settings s;
    char err[256];
    cr_assert_eq(settings_resolve(&opt, &env, &file, &s, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(s.url, "https://opt.example");
    cr_assert_eq(s.url_from, FROM_OPTION);
    cr_assert_str_eq(s.cacert, "/env/ca.pem");
    cr_assert_str_eq(s.cert, "/file/c.pem");
    cr_assert_str_eq(s.key, "/file/k.pem");
    cr_assert_str_eq(s.token, "env-token", "the environment's token beats the file's token-file");
    cr_assert_null(s.token_file);
    cr_assert_eq(s.token_from, FROM_ENV);

    /* without options and environment the config file decides */
    cr_assert_eq(settings_resolve(NULL, NULL, &file, &s, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(s.url, "https://file.example");
    cr_assert_eq(s.url_from, FROM_CONFIG);
    cr_assert_str_eq(s.token_file, "/file/token");
    cr_assert_null(s.token);
    cr_assert_eq(s.token_from, FROM_CONFIG);
}

Test(client_options, a_token_file_option_beats_a_token_in_the_environment)
{
    struct settings_source opt = {.token_file = "/opt/token"};
    struct settings_source env = {.url = "https://env.example", .token = "env-token"};
    struct settings s;
    char err[256];
    cr_assert_eq(settings_resolve(&opt, &env, NULL, &s, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(s.token_file, "/opt/token");
    cr_assert_null(s.token);
    cr_assert_str_eq(settings_token_origin(&s), "the --token-file option");
}

Test(client_options, within_one_level_a_token_beats_a_token_file)
{
    struct settings_source env = {.url = "https://x.example", .token = "t", .token_file = "/f"};
    struct settings s;
    char err[256];
    cr_assert_eq(settings_resolve(NULL, &env, NULL, &s, err, sizeof err), 0);
    cr_assert_str_eq(s.token, "t");
    cr_assert_null(s.token_file);
    cr_assert_str_eq(settings_token_origin(&s), "TRECHTER_TOKEN");
}

Test(client_options, empty_values_count_as_not_given)
{
    struct settings_source opt = {.url = ""};
    struct settings_source env = {.url = "https://env.example"};
    struct settings s;
    char err[256];
    cr_assert_eq(settings_resolve(&opt, &env, NULL, &s, err, sizeof err), 0);
    cr_assert_str_eq(s.url, "https://env.example");
}

Test(client_options, url_is_required_and_must_be_https)
{
    struct settings s;
    char err[256];
    cr_assert_eq(settings_resolve(NULL, NULL, NULL, &s, err, sizeof err), -1);
    cr_assert(strstr(err, "TRECHTER_URL") != NULL, "%s", err);
    struct settings_source env = {.url = "http://plain.example"};
    cr_assert_eq(settings_resolve(NULL, &env, NULL, &s, err, sizeof err), -1);
    cr_assert(strstr(err, "https://") != NULL, "%s", err);
    struct settings_source key_only = {.url = "https://x", .key = "/k.pem"};
    cr_assert_eq(settings_resolve(&key_only, NULL, NULL, &s, err, sizeof err), -1);
}

Test(client_options, config_file_is_parsed)
{
    struct config_file cf;
    char err[256];
    const char *text = "# trechter\n\n  url = https://trechter.example:8443 \n"
                       "token-file=/home/me/.trechter-token\ncacert = /etc/ca.pem\n"
                       "cert = /c.pem\nkey = /k.pem\n";
    cr_assert_eq(config_file_parse(text, "cfg", 0, &cf, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(cf.url, "https://trechter.example:8443");
    cr_assert_str_eq(cf.token_file, "/home/me/.trechter-token");
    cr_assert_str_eq(cf.cacert, "/etc/ca.pem");
    cr_assert_str_eq(cf.cert, "/c.pem");
    cr_assert_str_eq(cf.key, "/k.pem");
    struct settings_source src;
    config_file_source(&cf, &src);
    cr_assert_str_eq(src.url, cf.url);
    config_file_clear(&cf);
}

Test(client_options, config_file_token_only_when_the_file_is_private)
{
    struct config_file cf;
    char err[256] = "";
    const char *text = "url = https://x\ntoken = " SECRET "\n";
    cr_assert_eq(config_file_parse(text, "cfg", 0, &cf, err, sizeof err), -1,
                 "a token in a file others may read is refused");
    cr_assert(strstr(err, "chmod 600") != NULL, "%s", err);
    cr_assert(strstr(err, "cfg:2") != NULL, "names the line: %s", err);
    cr_assert(strstr(err, SECRET) == NULL, "the message never holds the token: %s", err);
    cr_assert_null(cf.url, "nothing is kept from a refused file");

    cr_assert_eq(config_file_parse(text, "cfg", 1, &cf, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(cf.token, SECRET);
    config_file_clear(&cf);
}

Test(client_options, config_file_errors_name_the_line_and_never_the_value)
{
    struct config_file cf;
    char err[256];
    cr_assert_eq(config_file_parse("url = https://x\npassword = " SECRET "\n", "cfg", 1, &cf, err,
                                   sizeof err),
                 -1);
    cr_assert(strstr(err, "cfg:2") && strstr(err, "password"), "%s", err);
    cr_assert(strstr(err, SECRET) == NULL, "%s", err);
    cr_assert_eq(config_file_parse(SECRET "\n", "cfg", 1, &cf, err, sizeof err), -1);
    cr_assert(strstr(err, SECRET) == NULL, "a line without '=' is not echoed: %s", err);
}

Test(client_options, token_check_strips_the_newline_and_refuses_junk)
{
    char a[] = "abc.DEF-123_~+/=\r\n";
    cr_assert_eq(token_check(a), 0);
    cr_assert_str_eq(a, "abc.DEF-123_~+/=");
    char b[] = "two words";
    cr_assert_eq(token_check(b), -1);
    char c[] = "\n";
    cr_assert_eq(token_check(c), -1);
    char d[] = "bad\001char";
    cr_assert_eq(token_check(d), -1);
    char e[] = "x\r\nInjected: header";
    cr_assert_eq(token_check(e), -1, "no header injection through the token");
}

/* ---- the command line ------------------------------------------------------------------- */

static int parse(struct cli *c, char *err, size_t errlen, int argc, const char **argv)
{
    return cli_parse(argc, (char **)argv, c, err, errlen);
}

Test(client_options, cli_defaults)
{
    struct cli c;
    char err[256];
    const char *argv[] = {"trechter", "me"};
    cr_assert_eq(parse(&c, err, sizeof err, 2, argv), 0, "%s", err);
    cr_assert_str_eq(c.command, "me");
    cr_assert_eq(c.retries, 5);
    cr_assert_eq(c.retry_max_time, 60);
    cr_assert_eq(c.format, FORMAT_AUTO);
    cr_assert_eq(c.if_match, -1);
    cr_assert_eq(c.revision, -1);
}

Test(client_options, cli_options_anywhere_and_repeated_regions)
{
    struct cli c;
    char err[256];
    const char *argv[] = {"trechter",
                          "--format",
                          "csv",
                          "funnels",
                          "--period",
                          "2026-Q2",
                          "--region",
                          "VR01",
                          "--region",
                          "VR17",
                          "--region-set",
                          "safetyRegion",
                          "--delimiter=semicolon",
                          "--retries",
                          "2"};
    cr_assert_eq(parse(&c, err, sizeof err, 15, argv), 0, "%s", err);
    cr_assert_str_eq(c.command, "funnels");
    cr_assert_eq(c.format, FORMAT_CSV);
    cr_assert_str_eq(c.period, "2026-Q2");
    cr_assert_eq(c.nregions, 2);
    cr_assert_str_eq(c.regions[0], "VR01");
    cr_assert_str_eq(c.regions[1], "VR17");
    cr_assert_str_eq(c.region_set, "safetyRegion");
    cr_assert_str_eq(c.delimiter, "semicolon");
    cr_assert_eq(c.retries, 2);
}

Test(client_options, cli_positional_arguments_and_stdin_dash)
{
    struct cli c;
    char err[256];
    const char *argv[] = {"trechter", "push",      "funnel",     "GM0344", "2016-Q1",
                          "-",        "--dry-run", "--if-match", "3"};
    cr_assert_eq(parse(&c, err, sizeof err, 9, argv), 0, "%s", err);
    cr_assert_str_eq(c.command, "push");
    cr_assert_eq(c.nargs, 4);
    cr_assert_str_eq(c.args[3], "-");
    cr_assert(c.dry_run);
    cr_assert_eq(c.if_match, 3);
}

Test(client_options, cli_rejects_bad_values)
{
    struct cli c;
    char err[256];
    const char *a1[] = {"trechter", "get", "--revision", "0"};
    cr_assert_eq(parse(&c, err, sizeof err, 4, a1), -1);
    const char *a2[] = {"trechter", "funnels", "--format", "xml"};
    cr_assert_eq(parse(&c, err, sizeof err, 4, a2), -1);
    const char *a3[] = {"trechter", "me", "--retries", "-1"};
    cr_assert_eq(parse(&c, err, sizeof err, 4, a3), -1);
    const char *a4[] = {"trechter", "me", "--url"};
    cr_assert_eq(parse(&c, err, sizeof err, 3, a4), -1);
    cr_assert(strstr(err, "--url") != NULL, "%s", err);
}

Test(client_options, cli_never_echoes_a_mistyped_token_option)
{
    struct cli c;
    char err[256];
    const char *argv[] = {"trechter", "me", "--tokne=" SECRET};
    cr_assert_eq(parse(&c, err, sizeof err, 3, argv), -1);
    cr_assert(strstr(err, "--tokne") != NULL, "%s", err);
    cr_assert(strstr(err, SECRET) == NULL, "the value is not repeated: %s", err);
}

Test(client_options, cli_token_option_is_kept)
{
    struct cli c;
    char err[256];
    const char *argv[] = {"trechter", "--token", SECRET, "me"};
    cr_assert_eq(parse(&c, err, sizeof err, 4, argv), 0);
    cr_assert_str_eq(c.opt.token, SECRET);
}
