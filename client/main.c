/* trechter: the command-line client of trechterd (design §7). Parses the command line, resolves
 * the configuration (options, environment, config file), loads the token and dispatches to
 * client/commands.c. */
#include "client/cli.h"
#include "client/commands.h"
#include "client/config_file.h"
#include "client/exit_code.h"
#include "client/http.h"
#include "client/options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: trechter [OPTIONS] COMMAND [ARGUMENTS]\n"
    "\n"
    "Pushes and reads quarterly funnel figures of trechterd over HTTPS.\n"
    "\n"
    "Commands:\n"
    "  push funnel|network CODE PERIOD [FILE|-]   submit a funnel or network (PUT, JSON)\n"
    "  get funnel|network CODE PERIOD             the current (or --revision N) revision\n"
    "  revisions funnel|network CODE PERIOD       the list of revisions\n"
    "  import FILE|-                              funnels for many municipalities (CSV or JSON)\n"
    "  template CODE PERIOD                       a CSV to fill in and give to import\n"
    "  funnels                                    funnel figures per region (GET /v1/funnels)\n"
    "  compare                                    regions ranked on one metric\n"
    "  networks                                   partner networks per region\n"
    "  completeness                               expected vs submitted per region\n"
    "  me                                         who the token belongs to\n"
    "\n"
    "Connection (options override the environment, which overrides the config file):\n"
    "  --url URL             server, https:// only                  [TRECHTER_URL, url]\n"
    "  --token-file FILE     file holding the token       [TRECHTER_TOKEN_FILE, token-file]\n"
    "  --token TOKEN         the token itself; visible in process listings [TRECHTER_TOKEN]\n"
    "  --cacert FILE         CA certificates to verify the server            [cacert]\n"
    "  --cert FILE, --key FILE   client certificate and key (mutual TLS) [cert, key]\n"
    "  --config FILE         config file (default ~/.config/trechter/config)\n"
    "\n"
    "Output:\n"
    "  --format table|json|csv   table on a terminal, else the server's JSON; csv asks the\n"
    "                            server for CSV (read commands only)\n"
    "  --delimiter comma|semicolon   CSV profile (semicolon: Dutch Excel)\n"
    "  -v, --verbose         log request and response heads on stderr (token redacted)\n"
    "  -q, --quiet           no retry notices and no progress line\n"
    "\n"
    "Robustness:\n"
    "  --retries N           retries of connection errors, 429, 502-504 (default 5)\n"
    "  --retry-max-time S    no retry after S seconds (default 60)\n"
    "  --connect-timeout S   connection and TLS handshake (default 10)\n"
    "  --max-time S          one attempt, whole (default none)\n"
    "\n"
    "  -h, --help            this help; `trechter COMMAND --help` for a command\n"
    "  -V, --version         the version\n"
    "\n"
    "Exit codes:\n"
    "  0  success\n"
    "  1  usage: bad command line, unreadable file, bad configuration\n"
    "  2  rejected as invalid: 400, 404 (no such code, period or revision), 409, 412, 413,\n"
    "     415, 422 and other 4xx\n"
    "  3  authentication or permission: 401, 403\n"
    "  4  server or network failure after the retries: 5xx, 429, connection, TLS\n";

struct command {
    const char *name;
    int (*run)(struct run *r);
    const char *help;
};

static const struct command commands[] = {
    {"push", cmd_push,
     "usage: trechter push funnel|network CODE PERIOD [FILE|-] [--dry-run] [--if-match N]\n"
     "                     [--idempotency-key KEY]\n"
     "\n"
     "Submits the whole funnel (or network) of municipality CODE for quarter PERIOD (2026-Q2) as\n"
     "a JSON document read from FILE, or from standard input when FILE is - or left out:\n"
     "  PUT /v1/municipalities/CODE/funnels/PERIOD\n"
     "A snapshot: what is left out is gone in the new revision. Every push carries an\n"
     "Idempotency-Key (random, or --idempotency-key), the same on each retry, so a retry whose\n"
     "first answer was lost gets that answer and never writes a second revision.\n"
     "  --dry-run     validate and answer as if written, writing nothing\n"
     "  --if-match N  only if the current revision is N (else 412, exit 2)\n"
     "Warnings (e.g. a stage larger than the one before it) never block the write; they are\n"
     "printed, on stderr when the output is JSON.\n"},
    {"get", cmd_get,
     "usage: trechter get funnel|network CODE PERIOD [--revision N] [--format table|json]\n"
     "\n"
     "The current revision (or revision N) of a funnel or network.\n"},
    {"revisions", cmd_revisions,
     "usage: trechter revisions funnel|network CODE PERIOD [--format table|json]\n"
     "\n"
     "Every revision of a funnel or network: number, when, by whom, warnings.\n"},
    {"import", cmd_import,
     "usage: trechter import FILE|- [--dry-run] [--type csv|json] [--idempotency-key KEY]\n"
     "\n"
     "Funnels for many municipalities and periods in one all-or-nothing transaction:\n"
     "  POST /v1/imports\n"
     "CSV (municipality,period,stage,dimension,category,count; ',' or ';', BOM, CRLF as Dutch\n"
     "Excel writes it) or a JSON array, told apart by the extension (.csv, .json) or the content\n"
     "(--type overrides). Every import carries an Idempotency-Key (random, or --idempotency-key),\n"
     "the same on each retry, so a retry never imports twice. A progress line is shown on a\n"
     "terminal (--no-progress turns it off).\n"
     "  --dry-run     validate everything, write nothing\n"},
    {"template", cmd_template,
     "usage: trechter template CODE PERIOD [--delimiter comma|semicolon]\n"
     "\n"
     "Prints a CSV with one row per stage total and per stage, dimension and category (from\n"
     "GET /v1/stages), counts empty, to fill in and give to `trechter import` (an empty count is\n"
     "not given). --delimiter semicolon writes the Dutch Excel profile (';', BOM, CRLF).\n"},
    {"funnels", cmd_funnels,
     "usage: trechter funnels --period P | --from P --to P [--region-set SET] [--region CODE]...\n"
     "                        [--breakdown DIM] [--boundaries current] [--release live|latest|ID]\n"
     "                        [--format table|json|csv] [--delimiter comma|semicolon]\n"
     "\n"
     "Funnel figures per region: counts, per 10,000 children, conversion, coverage\n"
     "(GET /v1/funnels). Protected figures are marked (PROTECTED column and a banner).\n"
     "--release: the newest release of each quarter (latest, the default for everyone but the\n"
     "rapporteur), one release by its id (2026-Q3-r1), or live figures.\n"},
    {"compare", cmd_compare,
     "usage: trechter compare --period P --region-set SET --stage STAGE [--metric count|per10k|"
     "fromPrevious]\n"
     "                        [--region CODE]... [--release live|latest|ID] [--format "
     "table|json|csv]\n"
     "\n"
     "Regions ranked on one metric, with the national value, ratio, z-score and quartile\n"
     "(GET /v1/comparisons).\n"},
    {"networks", cmd_networks,
     "usage: trechter networks --period P [--region-set SET] [--region CODE]... "
     "[--format table|json|csv]\n"
     "\n"
     "Partner networks per region: approach steps met, partner statuses, prevention points\n"
     "(GET /v1/networks).\n"},
    {"completeness", cmd_completeness,
     "usage: trechter completeness --period P [--region-set SET] [--region CODE]... "
     "[--format table|json|csv]\n"
     "\n"
     "Expected against submitted funnels and networks per region, with the missing\n"
     "municipality codes (GET /v1/completeness).\n"},
    {"me", cmd_me,
     "usage: trechter me\n"
     "\n"
     "The principal the token belongs to: label, role, codes it may see raw.\n"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* The --token value is copied and overwritten in argv, which shortens (does not close) the time
 * it shows in process listings. */
static char *take_token_from_argv(int argc, char **argv, const char *token)
{
    char *copy = strdup(token);
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        if (arg == token) {
            memset(arg, 'x', strlen(arg));
        } else if (strncmp(arg, "--token=", 8) == 0 && arg + 8 == token) {
            memset(arg + 8, 'x', strlen(arg + 8));
        }
    }
    return copy;
}

int main(int argc, char **argv)
{
    struct cli cli;
    char err[512];
    if (cli_parse(argc, argv, &cli, err, sizeof err) != 0) {
        fprintf(stderr, "trechter: %s (see trechter --help)\n", err);
        return CLIENT_EXIT_USAGE;
    }
    if (cli.version) {
        printf("trechter %s\n", TRECHTER_VERSION);
        return CLIENT_EXIT_OK;
    }
    const struct command *cmd = cli.command ? find_command(cli.command) : NULL;
    if (cli.help) {
        fputs(cmd ? cmd->help : usage_text, stdout);
        return CLIENT_EXIT_OK;
    }
    if (cli.command == NULL) {
        fputs(usage_text, stderr);
        return CLIENT_EXIT_USAGE;
    }
    if (cmd == NULL) {
        fprintf(stderr, "trechter: unknown command '%s' (see trechter --help)\n", cli.command);
        return CLIENT_EXIT_USAGE;
    }

    int code = CLIENT_EXIT_USAGE;
    char *token = NULL; /* owned, wiped on exit */
    struct config_file cf = {0};
    char *default_path = NULL;

    if (cli.opt.token != NULL && *cli.opt.token != '\0') {
        fputs("trechter: warning: a --token value is visible to other users in process "
              "listings; prefer --token-file or TRECHTER_TOKEN_FILE\n",
              stderr);
        token = take_token_from_argv(argc, argv, cli.opt.token);
        if (token == NULL)
            goto out;
        cli.opt.token = token;
    }

    const char *config_path = cli.config_path;
    if (config_path == NULL)
        config_path = default_path = config_default_path();
    if (config_path != NULL &&
        config_file_load(config_path, cli.config_path != NULL, &cf, err, sizeof err) != 0) {
        fprintf(stderr, "trechter: %s\n", err);
        goto out;
    }
    struct settings_source env = {
        .url = getenv("TRECHTER_URL"),
        .token = getenv("TRECHTER_TOKEN"),
        .token_file = getenv("TRECHTER_TOKEN_FILE"),
        .cacert = getenv("TRECHTER_CACERT"),
    };
    struct settings_source file;
    config_file_source(&cf, &file);

    struct run run = {
        .cli = &cli, .stdout_tty = isatty(STDOUT_FILENO), .stderr_tty = isatty(STDERR_FILENO)};
    if (settings_resolve(&cli.opt, &env, &file, &run.settings, err, sizeof err) != 0) {
        fprintf(stderr, "trechter: %s\n", err);
        goto out;
    }
    const char *use_token = run.settings.token;
    if (run.settings.token_file != NULL) {
        char *from_file = NULL;
        if (token_file_read(run.settings.token_file, &from_file, err, sizeof err) != 0) {
            fprintf(stderr, "trechter: %s\n", err);
            goto out;
        }
        token_free(token);
        token = from_file;
        use_token = token;
    } else if (use_token != NULL && use_token != token) {
        char *copy = strdup(use_token);
        if (copy == NULL)
            goto out;
        token_free(token);
        token = copy;
        use_token = token;
    }
    if (use_token != NULL && token_check(token) != 0) {
        fprintf(stderr,
                "trechter: the token from %s is not a token (one line of visible "
                "characters, at most 4096)\n",
                settings_token_origin(&run.settings));
        goto out;
    }
    run.http = (struct http_options){
        .token = use_token,
        .retries = cli.retries,
        .retry_max_time_s = cli.retry_max_time,
        .connect_timeout_s = cli.connect_timeout,
        .max_time_s = cli.max_time,
        .verbose = cli.verbose,
        .quiet = cli.quiet,
    };
    if (http_global_init() != 0) {
        fprintf(stderr, "trechter: cannot initialise libcurl\n");
        code = CLIENT_EXIT_FAILURE;
        goto out;
    }
    code = cmd->run(&run);
    if (fflush(stdout) != 0 && code == CLIENT_EXIT_OK) {
        perror("trechter: writing the output");
        code = CLIENT_EXIT_FAILURE;
    }
    http_global_cleanup();
out:
    token_free(token);
    config_file_clear(&cf);
    free(default_path);
    return code;
}
