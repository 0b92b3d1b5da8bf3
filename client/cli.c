/* Command-line parsing for trechter (getopt_long); see cli.h. */
#include "client/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client/errbuf.h"

enum long_only {
    OPT_URL = 256,
    OPT_TOKEN,
    OPT_TOKEN_FILE,
    OPT_CACERT,
    OPT_CERT,
    OPT_KEY,
    OPT_CONFIG,
    OPT_FORMAT,
    OPT_DELIMITER,
    OPT_DRY_RUN,
    OPT_IF_MATCH,
    OPT_REVISION,
    OPT_PERIOD,
    OPT_FROM,
    OPT_TO,
    OPT_REGION_SET,
    OPT_REGION,
    OPT_STAGE,
    OPT_METRIC,
    OPT_BREAKDOWN,
    OPT_BOUNDARIES,
    OPT_RELEASE,
    OPT_TYPE,
    OPT_IDEMPOTENCY_KEY,
    OPT_RETRIES,
    OPT_RETRY_MAX_TIME,
    OPT_CONNECT_TIMEOUT,
    OPT_MAX_TIME,
    OPT_NO_PROGRESS,
};

static const struct option long_options[] = {
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"url", required_argument, NULL, OPT_URL},
    {"token", required_argument, NULL, OPT_TOKEN},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"cacert", required_argument, NULL, OPT_CACERT},
    {"cert", required_argument, NULL, OPT_CERT},
    {"key", required_argument, NULL, OPT_KEY},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"delimiter", required_argument, NULL, OPT_DELIMITER},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"if-match", required_argument, NULL, OPT_IF_MATCH},
    {"revision", required_argument, NULL, OPT_REVISION},
    {"period", required_argument, NULL, OPT_PERIOD},
    {"from", required_argument, NULL, OPT_FROM},
    {"to", required_argument, NULL, OPT_TO},
    {"region-set", required_argument, NULL, OPT_REGION_SET},
    {"region", required_argument, NULL, OPT_REGION},
    {"stage", required_argument, NULL, OPT_STAGE},
    {"metric", required_argument, NULL, OPT_METRIC},
    {"breakdown", required_argument, NULL, OPT_BREAKDOWN},
    {"boundaries", required_argument, NULL, OPT_BOUNDARIES},
    {"release", required_argument, NULL, OPT_RELEASE},
    {"type", required_argument, NULL, OPT_TYPE},
    {"idempotency-key", required_argument, NULL, OPT_IDEMPOTENCY_KEY},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"retry-max-time", required_argument, NULL, OPT_RETRY_MAX_TIME},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"max-time", required_argument, NULL, OPT_MAX_TIME},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {NULL, 0, NULL, 0},
};

/* A whole number in [min, max]; -1 on anything else. */
static int parse_long(const char *s, long min, long max, long *out)
{
    if (s == NULL || *s == '\0')
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int cli_parse(int argc, char **argv, struct cli *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->if_match = -1;
    out->revision = -1;
    out->retries = 5;
    out->retry_max_time = 60;
    out->connect_timeout = 10;
    out->format = FORMAT_AUTO;

    optind = 0; /* 0, not 1: GNU getopt then reinitialises fully (tests parse many times) */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":hVvq", long_options, NULL)) != -1) {
        const char *name = NULL;
        switch (c) {
        case 'h':
            out->help = 1;
            break;
        case 'V':
            out->version = 1;
            break;
        case 'v':
            out->verbose = 1;
            break;
        case 'q':
            out->quiet = 1;
            break;
        case OPT_URL:
            out->opt.url = optarg;
            break;
        case OPT_TOKEN:
            out->opt.token = optarg;
            break;
        case OPT_TOKEN_FILE:
            out->opt.token_file = optarg;
            break;
        case OPT_CACERT:
            out->opt.cacert = optarg;
            break;
        case OPT_CERT:
            out->opt.cert = optarg;
            break;
        case OPT_KEY:
            out->opt.key = optarg;
            break;
        case OPT_CONFIG:
            out->config_path = optarg;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "json") == 0)
                out->format = FORMAT_JSON;
            else if (strcmp(optarg, "csv") == 0)
                out->format = FORMAT_CSV;
            else if (strcmp(optarg, "table") == 0)
                out->format = FORMAT_TABLE;
            else {
                errbuf_set(err, errlen, "--format takes table, json or csv, not '%s'", optarg);
                return -1;
            }
            break;
        case OPT_DELIMITER:
            if (strcmp(optarg, "comma") != 0 && strcmp(optarg, "semicolon") != 0) {
                errbuf_set(err, errlen, "--delimiter takes comma or semicolon, not '%s'", optarg);
                return -1;
            }
            out->delimiter = optarg;
            break;
        case OPT_DRY_RUN:
            out->dry_run = 1;
            break;
        case OPT_IF_MATCH:
            if (parse_long(optarg, 1, 2147483647L, &out->if_match) != 0) {
                errbuf_set(err, errlen, "--if-match takes a revision number (1 or more), not '%s'",
                           optarg);
                return -1;
            }
            break;
        case OPT_REVISION:
            if (parse_long(optarg, 1, 2147483647L, &out->revision) != 0) {
                errbuf_set(err, errlen, "--revision takes a revision number (1 or more), not '%s'",
                           optarg);
                return -1;
            }
            break;
        case OPT_PERIOD:
            out->period = optarg;
            break;
        case OPT_FROM:
            out->from = optarg;
            break;
        case OPT_TO:
            out->to = optarg;
            break;
        case OPT_REGION_SET:
            out->region_set = optarg;
            break;
        case OPT_REGION:
            if (out->nregions == CLI_MAX_REGIONS) {
                errbuf_set(err, errlen, "at most %d --region options", CLI_MAX_REGIONS);
                return -1;
            }
            out->regions[out->nregions++] = optarg;
            break;
        case OPT_STAGE:
            out->stage = optarg;
            break;
        case OPT_METRIC:
            out->metric = optarg;
            break;
        case OPT_BREAKDOWN:
            out->breakdown = optarg;
            break;
        case OPT_BOUNDARIES:
            out->boundaries = optarg;
            break;
        case OPT_RELEASE:
            out->release = optarg;
            break;
        case OPT_TYPE:
            if (strcmp(optarg, "csv") != 0 && strcmp(optarg, "json") != 0) {
                errbuf_set(err, errlen, "--type takes csv or json, not '%s'", optarg);
                return -1;
            }
            out->import_type = optarg;
            break;
        case OPT_IDEMPOTENCY_KEY:
            if (*optarg == '\0' || strlen(optarg) > 255) {
                errbuf_set(err, errlen, "--idempotency-key takes 1 to 255 characters");
                return -1;
            }
            out->idempotency_key = optarg;
            break;
        case OPT_RETRIES:
            name = "--retries";
            if (parse_long(optarg, 0, 100, &out->retries) != 0)
                goto bad_number;
            break;
        case OPT_RETRY_MAX_TIME:
            name = "--retry-max-time";
            if (parse_long(optarg, 0, 86400, &out->retry_max_time) != 0)
                goto bad_number;
            break;
        case OPT_CONNECT_TIMEOUT:
            name = "--connect-timeout";
            if (parse_long(optarg, 1, 3600, &out->connect_timeout) != 0)
                goto bad_number;
            break;
        case OPT_MAX_TIME:
            name = "--max-time";
            if (parse_long(optarg, 1, 86400, &out->max_time) != 0)
                goto bad_number;
            break;
        case OPT_NO_PROGRESS:
            out->no_progress = 1;
            break;
        case ':':
            errbuf_set(err, errlen, "option %s needs a value", argv[optind - 1]);
            return -1;
        case '?':
        default:
            if (optopt != 0) {
                errbuf_set(err, errlen, "unknown option -%c", optopt);
            } else {
                /* only the name: a mistyped --tokne=SECRET must not echo its value */
                const char *arg = argv[optind - 1];
                errbuf_set(err, errlen, "unknown option %.*s", (int)strcspn(arg, "="), arg);
            }
            return -1;
        }
        continue;
    bad_number:
        errbuf_set(err, errlen, "%s takes a whole number in range, not '%s'", name, optarg);
        return -1;
    }
    for (int i = optind; i < argc; i++) {
        if (out->command == NULL) {
            out->command = argv[i];
            continue;
        }
        if (out->nargs == CLI_MAX_ARGS) {
            errbuf_set(err, errlen, "too many arguments");
            return -1;
        }
        out->args[out->nargs++] = argv[i];
    }
    return 0;
}
