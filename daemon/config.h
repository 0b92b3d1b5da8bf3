/* The daemon's settings: defaults, the `key = value` config file and the command-line flags, which
 * share one table of names (design §7). Parsing is pure: no I/O beyond reading the named file. */
#ifndef TRECHTER_CONFIG_H
#define TRECHTER_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config {
    char *listen;   /* "HOST:PORT" (owned) */
    char *tls_cert; /* PEM file paths (owned); read again on SIGHUP */
    char *tls_key;
    char *tls_client_ca;    /* optional: verify client certificates */
    char *db;               /* libpq conninfo of the primary (owned) */
    char *db_read;          /* optional conninfo of a hot standby for aggregate reads */
    int db_read_lag_max_ms; /* standby replay lag beyond which aggregate reads use the primary */
    char *sdc_secret_file;  /* the cell-key secret (design §5.1) */
    char *metrics_listen;   /* optional "HOST:PORT" for /metrics */
    int workers;            /* event-loop threads; 0 means one per core */
    int db_pool_size;       /* connections per worker */
    int db_query_timeout_ms;
    int import_timeout_ms;   /* POST /v1/imports: one transaction may take this long */
    size_t max_body;         /* bytes, singular resources */
    size_t max_import_body;  /* bytes, POST /v1/imports */
    size_t max_header;       /* bytes, the whole request head */
    int header_timeout_ms;   /* whole head must arrive within this */
    int request_timeout_ms;  /* whole request must arrive within this */
    int idle_timeout_ms;     /* keep-alive connection without a request */
    int shutdown_timeout_ms; /* SIGTERM: in-flight requests get this long */
    int max_connections;     /* per daemon; more are accepted and closed at once */
    double rate_limit;       /* requests per second per principal */
    int rate_burst;
    double address_rate_limit; /* requests per second per client address */
    int address_burst;
    int outlier_min; /* design §3.1 warnings */
    int outlier_ratio_pct;
    int sdc_js; /* design §5.3 */
    int sdc_d;
    int sdc_rate_min;
    bool protected_live_reads; /* design §8: release=live for protected readers */
    int max_revisions_per_day; /* design §8: per resource and day for municipalities; 0 = none */
    int audit_retention_days;
    char *log_level; /* "debug", "info", "notice", "warning", "error" */
};

/* Fills every field with its default. Strings are owned (strdup'd) or NULL. */
void config_defaults(struct config *cfg);
void config_free(struct config *cfg);

/* Sets one key (the long flag's name, e.g. "max-body") from its text value. Returns 0, or -1 with a
 * message in err (an unknown key, or a value of the wrong form). */
int config_set(struct config *cfg, const char *key, const char *value, char *err, size_t errlen);

/* Applies a config file's text: `key = value` lines, `#` comments, blank lines. Errors name the
 * file and line, "trechterd.conf:12: unknown key 'max-bdy'". Returns 0 or -1. */
int config_parse_text(struct config *cfg, const char *text, const char *filename, char *err,
                      size_t errlen);
int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen);

/* Checks combinations after everything is applied (required keys present, ranges). */
int config_validate(const struct config *cfg, char *err, size_t errlen);

/* Parses "1MiB", "16KiB", "512", "2GiB", "1MB" into bytes. */
int config_parse_size(const char *text, size_t *out);
/* Parses "30s", "500ms", "2m", "1h"; a bare number is seconds. */
int config_parse_duration_ms(const char *text, int *out);

/* One line per key with its default, for --help and the man page. */
struct config_key_doc {
    const char *name;
    const char *arg;          /* "HOST:PORT", "FILE", "SIZE", ... */
    const char *default_text; /* NULL when there is none */
    const char *help;
};
extern const struct config_key_doc config_key_docs[];
extern const size_t config_key_count;

#endif
