/* Table-driven option parsing for the admin commands, over getopt_long. */
#include "daemon/admin_options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

enum { MAX_OPTIONS = 16, HELP = MAX_OPTIONS };

enum admin_parse admin_parse_options(int argc, char **argv, const struct admin_option *options,
                                     size_t noptions, bool stop_at_operand, int *next, char *err,
                                     size_t errlen)
{
    struct option table[MAX_OPTIONS + 2];
    if (noptions > MAX_OPTIONS) {
        snprintf(err, errlen, "too many options");
        return ADMIN_PARSE_ERROR;
    }
    for (size_t i = 0; i < noptions; i++)
        table[i] = (struct option){options[i].name,
                                   options[i].flag ? no_argument : required_argument, NULL, (int)i};
    table[noptions] = (struct option){"help", no_argument, NULL, HELP};
    table[noptions + 1] = (struct option){NULL, 0, NULL, 0};

    int c;
    optind = 0; /* GNU: start afresh, so a command can run more than once in one process */
    opterr = 0; /* the message is ours, in err */
    while ((c = getopt_long(argc, argv, stop_at_operand ? "+:" : ":", table, NULL)) != -1) {
        if (c == HELP)
            return ADMIN_PARSE_HELP;
        if (c == ':') {
            snprintf(err, errlen, "%s needs a value", argv[optind - 1]);
            return ADMIN_PARSE_ERROR;
        }
        if (c < 0 || (size_t)c >= noptions) {
            snprintf(err, errlen, "unknown option %s", argv[optind - 1]);
            return ADMIN_PARSE_ERROR;
        }
        const struct admin_option *o = &options[c];
        if (o->flag) {
            *o->flag = true;
        } else if (o->values) {
            if (*o->count >= o->max) {
                snprintf(err, errlen, "too many --%s", o->name);
                return ADMIN_PARSE_ERROR;
            }
            o->values[(*o->count)++] = optarg;
        } else {
            *o->value = optarg;
        }
    }
    *next = optind;
    return ADMIN_PARSE_OK;
}
