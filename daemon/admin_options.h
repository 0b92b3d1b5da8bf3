/* Options of the admin commands (migrate, token, load, rekey, audit-retention), parsed once:
 * each command describes its options as a table and gets values, flags and the first operand. */
#ifndef TRECHTER_ADMIN_OPTIONS_H
#define TRECHTER_ADMIN_OPTIONS_H
#include <stdbool.h>
#include <stddef.h>

/* One long option. Exactly one of value, values and flag is set. */
struct admin_option {
    const char *name;    /* without "--", e.g. "db" */
    const char **value;  /* takes an argument: the last one given is stored here */
    const char **values; /* takes an argument, may repeat: each is appended here ... */
    size_t *count;       /* ... counting in *count, at most max */
    size_t max;
    bool *flag; /* takes none: set true when given */
};

enum admin_parse { ADMIN_PARSE_OK, ADMIN_PARSE_HELP, ADMIN_PARSE_ERROR };

/* Parses argv[1..] (argv[0] names the command or the kind) with getopt_long: "--name VALUE" and
 * "--name=VALUE"; --help is always known. Stops at the first operand when stop_at_operand (so a
 * subcommand can parse the rest), else permutes as GNU does. On ADMIN_PARSE_OK *next is the index
 * of the first operand (argc when none). On an unknown option, a missing argument or too many
 * repeats, writes a message into err and returns ADMIN_PARSE_ERROR. */
enum admin_parse admin_parse_options(int argc, char **argv, const struct admin_option *options,
                                     size_t noptions, bool stop_at_operand, int *next, char *err,
                                     size_t errlen);

#endif
