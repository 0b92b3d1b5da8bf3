/* trechterd: the command dispatcher — serve, migrate, token — and the serve command's options. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_worker.h"
#include "daemon/api_hooks.h"
#include "daemon/config.h"
#include "daemon/loaders.h"
#include "daemon/log.h"
#include "daemon/migrate.h"
#include "daemon/rekey.h"
#include "daemon/retention.h"
#include "daemon/server.h"
#include "daemon/token_admin.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: trechterd COMMAND [OPTIONS]\n"
            "\n"
            "The trechter daemon: collects quarterly child-sexual-abuse funnel figures from Dutch\n"
            "municipalities and serves protected regional comparisons over HTTPS.\n"
            "\n"
            "Commands:\n"
            "  serve [--config FILE] [OPTIONS]   run the HTTPS API (see below)\n"
            "  migrate --db CONNINFO | --config FILE\n"
            "                                    create or upgrade the database schema\n"
            "  token create|list|revoke ...      manage API tokens (trechterd token --help)\n"
            "  load KIND ... FILE                load geography, populations (load --help)\n"
            "  rekey --sdc-secret-file FILE      recompute every stored cell key (rekey --help)\n"
            "  audit-retention --config FILE     forget old audit client addresses\n"
            "  --version                         print the version\n"
            "  --help                            print this help\n"
            "\n"
            "Serve options (each is also a config file key, `key = value`; flags override the\n"
            "file):\n"
            "  --config FILE              read settings from FILE first\n");
    for (size_t i = 0; i < config_key_count; i++) {
        const struct config_key_doc *d = &config_key_docs[i];
        char flag[64];
        snprintf(flag, sizeof flag, "--%s %s", d->name, d->arg);
        fprintf(out, "  %-26s %s%s%s%s\n", flag, d->help, d->default_text ? " (default: " : "",
                d->default_text ? d->default_text : "", d->default_text ? ")" : "");
    }
    fprintf(out, "\nSignals: SIGHUP reloads the TLS certificate; SIGTERM stops gracefully.\n"
                 "See trechterd(8) and trechterd.conf(5).\n");
}

/* serve's command line, kept so that SIGHUP can read the configuration again exactly as at start:
 * the --config file first, then the flags over it. */
static int serve_argc;
static char **serve_argv;

enum parse_outcome { PARSE_OK, PARSE_HELP, PARSE_USAGE, PARSE_INVALID };

/* Builds a configuration from defaults, the --config file and the flags. Prints nothing; err says
 * what is wrong. */
static enum parse_outcome parse_serve(int argc, char **argv, struct config *cfg, char *err,
                                      size_t errlen)
{
    enum parse_outcome rc = PARSE_USAGE;
    struct option *opts = calloc(config_key_count + 3, sizeof *opts);
    config_defaults(cfg);
    snprintf(err, errlen, "out of memory");
    if (!opts)
        return PARSE_INVALID;
    for (size_t i = 0; i < config_key_count; i++)
        opts[i] = (struct option){config_key_docs[i].name, required_argument, NULL, 1000 + (int)i};
    opts[config_key_count] = (struct option){"config", required_argument, NULL, 'c'};
    opts[config_key_count + 1] = (struct option){"help", no_argument, NULL, 'h'};
    for (int pass = 0; pass < 2; pass++) {
        optind = 1;
        opterr = 0;
        int c;
        while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
            if (c == 'h') {
                rc = PARSE_HELP;
                goto out;
            }
            if (c == '?' || c == ':') {
                snprintf(err, errlen, "serve: unknown option or missing value (see --help)");
                goto out;
            }
            if (pass == 0 && c == 'c' && config_load_file(cfg, optarg, err, errlen) < 0) {
                rc = PARSE_INVALID;
                goto out;
            }
            if (pass == 1 && c >= 1000) {
                char sub[400];
                if (config_set(cfg, config_key_docs[c - 1000].name, optarg, sub, sizeof sub) < 0) {
                    snprintf(err, errlen, "--%s", sub);
                    goto out;
                }
            }
        }
    }
    if (optind < argc) {
        snprintf(err, errlen, "serve: unexpected argument '%s'", argv[optind]);
        goto out;
    }
    rc = config_validate(cfg, err, errlen) < 0 ? PARSE_INVALID : PARSE_OK;
out:
    free(opts);
    return rc;
}

/* For SIGHUP: the configuration as the command line and file say now. */
static int reread_config(struct config *fresh, char *err, size_t errlen)
{
    if (parse_serve(serve_argc, serve_argv, fresh, err, errlen) == PARSE_OK)
        return 0;
    config_free(fresh);
    return -1;
}

/* How the host calls the HTTP surface: the only place daemon/ meets api/. */
static const struct api_hooks api_hooks = {
    .worker_new = api_worker_new,
    .worker_free = api_worker_free,
    .dispatch = request_dispatch,
    .on_change = api_on_change,
    .publish_metrics = api_publish_metrics,
    .route_count = api_route_total,
    .route_name = api_route_name,
    .route_is_aggregate = api_route_is_aggregate,
};

static int serve_main(int argc, char **argv)
{
    struct config cfg;
    char err[512];
    int rc;
    switch (parse_serve(argc, argv, &cfg, err, sizeof err)) {
    case PARSE_OK:
        serve_argc = argc;
        serve_argv = argv;
        rc = server_main(&cfg, &api_hooks, reread_config);
        break;
    case PARSE_HELP:
        usage(stdout);
        rc = 0;
        break;
    case PARSE_USAGE:
        fprintf(stderr, "trechterd: %s\n", err);
        rc = 2;
        break;
    default:
        fprintf(stderr, "trechterd: %s\n", err);
        rc = 1;
    }
    config_free(&cfg);
    return rc;
}

/* `trechterd migrate --config FILE` (systemd's ExecStartPre): takes `db` from the serve config
 * file, so the unit names one file. Other options pass through unchanged. */
static int migrate_with_config(int argc, char **argv)
{
    char **args = calloc((size_t)argc + 3, sizeof *args);
    struct config cfg;
    char err[512];
    int n = 0, rc = 2;
    config_defaults(&cfg);
    if (!args)
        goto out;
    for (int i = 0; i < argc; i++) {
        const char *file = NULL;
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            file = argv[++i];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
        if (!file) {
            args[n++] = argv[i];
            continue;
        }
        if (config_load_file(&cfg, file, err, sizeof err) < 0) {
            fprintf(stderr, "trechterd: %s\n", err);
            rc = 1;
            goto out;
        }
        if (!cfg.db) {
            fprintf(stderr, "trechterd migrate: %s sets no 'db'\n", file);
            rc = 1;
            goto out;
        }
        args[n++] = "--db";
        args[n++] = cfg.db;
    }
    rc = migrate_main(n, args);
out:
    free(args);
    config_free(&cfg);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("trechterd %s\n", TRECHTER_VERSION);
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "serve") == 0)
        return serve_main(argc - 1, argv + 1);
    if (strcmp(cmd, "migrate") == 0)
        return migrate_with_config(argc - 1, argv + 1);
    if (strcmp(cmd, "token") == 0)
        return token_main(argc - 1, argv + 1);
    if (strcmp(cmd, "load") == 0)
        return loaders_main(argc - 1, argv + 1);
    if (strcmp(cmd, "rekey") == 0)
        return rekey_main(argc - 1, argv + 1);
    if (strcmp(cmd, "audit-retention") == 0)
        return retention_main(argc - 1, argv + 1);
    fprintf(stderr, "trechterd: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
