/* The parsed command line of trechter (getopt_long; options may come before or after the
 * command). Parsing is pure apart from getopt's own globals, which cli_parse resets. */
#ifndef TRECHTER_CLIENT_CLI_H
#define TRECHTER_CLIENT_CLI_H

#include "client/options.h"

#include <stddef.h>

enum out_format { FORMAT_AUTO, FORMAT_TABLE, FORMAT_JSON, FORMAT_CSV };

#define CLI_MAX_ARGS 8
#define CLI_MAX_REGIONS 64

struct cli {
    const char *command;            /* NULL when none was given; borrowed from argv */
    const char *args[CLI_MAX_ARGS]; /* the positional arguments after the command */
    size_t nargs;
    struct settings_source opt; /* --url, --token, --token-file, --cacert, --cert, --key */
    const char *config_path;    /* --config */
    enum out_format format;
    const char *delimiter; /* --delimiter comma|semicolon */
    int dry_run;
    long if_match; /* -1: not given */
    long revision; /* -1: not given */
    const char *period, *from, *to, *region_set, *stage, *metric, *breakdown, *boundaries;
    const char *release; /* --release live|latest|ID (funnels, compare) */
    const char *regions[CLI_MAX_REGIONS];
    size_t nregions;
    const char *import_type;     /* --type csv|json, NULL = by name and content */
    const char *idempotency_key; /* --idempotency-key, NULL = a random one */
    long retries;                /* default 5 */
    long retry_max_time;         /* seconds, default 60 */
    long connect_timeout;        /* seconds, default 10 */
    long max_time;               /* seconds per attempt, 0 = the command's default */
    int verbose, quiet, help, version, no_progress;
};

/* Parses argv into out (defaults first). Returns 0, or -1 with a usage message in err. */
int cli_parse(int argc, char **argv, struct cli *out, char *err, size_t errlen);

#endif
