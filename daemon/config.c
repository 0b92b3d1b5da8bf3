/* Defaults, config file and flag parsing for the daemon; one table describes every key. */
#include "daemon/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum key_type { T_STRING, T_INT, T_SIZE, T_DURATION, T_RATE, T_PERCENT, T_BOOL };

struct key_spec {
    const char *name;
    enum key_type type;
    size_t offset;
    long min, max; /* T_INT, T_PERCENT and T_DURATION (ms) ranges; T_SIZE in bytes */
};

#define OFF(f) offsetof(struct config, f)
static const struct key_spec specs[] = {
    {"listen", T_STRING, OFF(listen), 0, 0},
    {"tls-cert", T_STRING, OFF(tls_cert), 0, 0},
    {"tls-key", T_STRING, OFF(tls_key), 0, 0},
    {"tls-client-ca", T_STRING, OFF(tls_client_ca), 0, 0},
    {"db", T_STRING, OFF(db), 0, 0},
    {"db-read", T_STRING, OFF(db_read), 0, 0},
    {"db-read-lag-max", T_DURATION, OFF(db_read_lag_max_ms), 0, 3600000},
    {"sdc-secret-file", T_STRING, OFF(sdc_secret_file), 0, 0},
    {"metrics-listen", T_STRING, OFF(metrics_listen), 0, 0},
    {"workers", T_INT, OFF(workers), 0, 256},
    {"db-pool-size", T_INT, OFF(db_pool_size), 1, 64},
    {"db-query-timeout", T_DURATION, OFF(db_query_timeout_ms), 100, 600000},
    {"import-timeout", T_DURATION, OFF(import_timeout_ms), 1000, 3600000},
    {"max-body", T_SIZE, OFF(max_body), 1024, 1L << 30},
    {"max-import-body", T_SIZE, OFF(max_import_body), 1024, 1L << 30},
    {"max-header", T_SIZE, OFF(max_header), 1024, 1L << 20},
    {"header-timeout", T_DURATION, OFF(header_timeout_ms), 100, 3600000},
    {"request-timeout", T_DURATION, OFF(request_timeout_ms), 100, 3600000},
    {"idle-timeout", T_DURATION, OFF(idle_timeout_ms), 100, 3600000},
    {"shutdown-timeout", T_DURATION, OFF(shutdown_timeout_ms), 0, 3600000},
    {"max-connections", T_INT, OFF(max_connections), 1, 1000000},
    {"rate-limit", T_RATE, OFF(rate_limit), 0, 0},
    {"rate-burst", T_INT, OFF(rate_burst), 1, 1000000},
    {"address-rate-limit", T_RATE, OFF(address_rate_limit), 0, 0},
    {"address-burst", T_INT, OFF(address_burst), 1, 1000000},
    {"outlier-min", T_INT, OFF(outlier_min), 0, 1000000},
    {"outlier-ratio", T_PERCENT, OFF(outlier_ratio_pct), 0, 100000},
    {"sdc-js", T_INT, OFF(sdc_js), 0, 1000},
    {"sdc-d", T_INT, OFF(sdc_d), 0, 1000},
    {"rate-min", T_INT, OFF(sdc_rate_min), 0, 1000000},
    {"protected-live-reads", T_BOOL, OFF(protected_live_reads), 0, 1},
    {"max-revisions-per-day", T_INT, OFF(max_revisions_per_day), 0, 100000},
    {"audit-retention-days", T_INT, OFF(audit_retention_days), 1, 36500},
    {"log-level", T_STRING, OFF(log_level), 0, 0},
};
#undef OFF

const struct config_key_doc config_key_docs[] = {
    {"listen", "HOST:PORT", "127.0.0.1:8443", "address of the HTTPS listener"},
    {"tls-cert", "FILE", NULL, "server certificate chain (PEM); read again on SIGHUP"},
    {"tls-key", "FILE", NULL, "server private key (PEM); read again on SIGHUP"},
    {"tls-client-ca", "FILE", NULL, "CA bundle to verify client certificates (mutual TLS)"},
    {"db", "CONNINFO", NULL, "libpq connection string of the PostgreSQL primary"},
    {"db-read", "CONNINFO", NULL, "connection string of a hot standby for aggregate reads"},
    {"db-read-lag-max", "DURATION", "30s",
     "standby replay lag beyond which aggregate reads go to the primary"},
    {"sdc-secret-file", "FILE", NULL, "secret for cell-key perturbation, >= 32 bytes"},
    {"metrics-listen", "HOST:PORT", "off", "address of the Prometheus /metrics listener"},
    {"workers", "N", "number of cores", "event-loop threads"},
    {"db-pool-size", "N", "4", "PostgreSQL connections per worker"},
    {"db-query-timeout", "DURATION", "10s", "longest a statement may run"},
    {"import-timeout", "DURATION", "5m", "longest one import transaction may run"},
    {"max-body", "SIZE", "1MiB", "largest body for a singular resource"},
    {"max-import-body", "SIZE", "32MiB", "largest body for POST /v1/imports"},
    {"max-header", "SIZE", "16KiB", "largest request head (request line and headers)"},
    {"header-timeout", "DURATION", "30s", "time for the whole request head to arrive"},
    {"request-timeout", "DURATION", "60s", "time for the whole request to arrive"},
    {"idle-timeout", "DURATION", "60s", "keep-alive connection without a request"},
    {"shutdown-timeout", "DURATION", "10s", "SIGTERM: time given to requests in flight"},
    {"max-connections", "N", "4096", "open client connections before new ones are refused"},
    {"rate-limit", "PER-SECOND", "50", "requests per second per principal"},
    {"rate-burst", "N", "100", "burst above rate-limit"},
    {"address-rate-limit", "PER-SECOND", "100", "requests per second per client address"},
    {"address-burst", "N", "200", "burst above address-rate-limit"},
    {"outlier-min", "N", "10", "smallest quarter-on-quarter change that warns"},
    {"outlier-ratio", "PERCENT", "50%", "relative quarter-on-quarter change that warns"},
    {"sdc-js", "N", "4", "cell-key perturbation: published values never in 1..js"},
    {"sdc-d", "N", "2", "cell-key perturbation: largest deviation for counts above js"},
    {"rate-min", "N", "10", "smallest published numerator and denominator for a rate"},
    {"protected-live-reads", "BOOL", "false",
     "protected readers may ask for live figures (release=live), not only releases"},
    {"max-revisions-per-day", "N", "24",
     "revisions of one funnel or network a municipality may write per day (0: no cap)"},
    {"audit-retention-days", "DAYS", "180", "client addresses in the audit trail kept this long"},
    {"log-level", "LEVEL", "info", "debug, info, notice, warning or error"},
};
const size_t config_key_count = sizeof config_key_docs / sizeof config_key_docs[0];

void config_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->listen = strdup("127.0.0.1:8443");
    cfg->log_level = strdup("info");
    cfg->workers = 0;
    cfg->db_pool_size = 4;
    cfg->db_query_timeout_ms = 10000;
    cfg->db_read_lag_max_ms = 30000;
    cfg->import_timeout_ms = 300000;
    cfg->max_body = 1u << 20;
    cfg->max_import_body = 32u << 20;
    cfg->max_header = 16u << 10;
    cfg->header_timeout_ms = 30000;
    cfg->request_timeout_ms = 60000;
    cfg->idle_timeout_ms = 60000;
    cfg->shutdown_timeout_ms = 10000;
    cfg->max_connections = 4096;
    cfg->rate_limit = 50;
    cfg->rate_burst = 100;
    cfg->address_rate_limit = 100;
    cfg->address_burst = 200;
    cfg->outlier_min = 10;
    cfg->outlier_ratio_pct = 50;
    cfg->sdc_js = 4;
    cfg->sdc_d = 2;
    cfg->sdc_rate_min = 10;
    cfg->protected_live_reads = false;
    cfg->max_revisions_per_day = 24;
    cfg->audit_retention_days = 180;
}

void config_free(struct config *cfg)
{
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        if (specs[i].type == T_STRING) {
            char **slot = (char **)((char *)cfg + specs[i].offset);
            free(*slot);
            *slot = NULL;
        }
    }
}

int config_parse_size(const char *text, size_t *out)
{
    char *end;
    errno = 0;
    if (!text || !isdigit((unsigned char)*text))
        return -1;
    unsigned long long n = strtoull(text, &end, 10);
    if (errno)
        return -1;
    static const struct {
        const char *suffix;
        unsigned long long mult;
    } units[] = {{"", 1},
                 {"B", 1},
                 {"KiB", 1ull << 10},
                 {"MiB", 1ull << 20},
                 {"GiB", 1ull << 30},
                 {"KB", 1000},
                 {"MB", 1000000},
                 {"GB", 1000000000},
                 {"K", 1ull << 10},
                 {"M", 1ull << 20},
                 {"G", 1ull << 30}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(end, units[i].suffix) == 0) {
            if (n > SIZE_MAX / units[i].mult)
                return -1;
            *out = (size_t)(n * units[i].mult);
            return 0;
        }
    }
    return -1;
}

int config_parse_duration_ms(const char *text, int *out)
{
    char *end;
    errno = 0;
    if (!text || !isdigit((unsigned char)*text))
        return -1;
    double n = strtod(text, &end);
    if (errno || n < 0)
        return -1;
    double ms;
    if (strcmp(end, "ms") == 0)
        ms = n;
    else if (*end == '\0' || strcmp(end, "s") == 0)
        ms = n * 1000;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
        ms = n * 60000;
    else if (strcmp(end, "h") == 0)
        ms = n * 3600000;
    else
        return -1;
    if (ms > INT_MAX)
        return -1;
    *out = (int)ms;
    return 0;
}

static const struct key_spec *find_spec(const char *key)
{
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        if (strcmp(specs[i].name, key) == 0)
            return &specs[i];
    return NULL;
}

int config_set(struct config *cfg, const char *key, const char *value, char *err, size_t errlen)
{
    const struct key_spec *s = find_spec(key);
    if (!s) {
        snprintf(err, errlen, "unknown key '%s'", key);
        return -1;
    }
    void *slot = (char *)cfg + s->offset;
    char *end;
    switch (s->type) {
    case T_STRING: {
        if (*value == '\0') {
            snprintf(err, errlen, "%s: empty value", key);
            return -1;
        }
        char *copy = strdup(value);
        if (!copy) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        free(*(char **)slot);
        *(char **)slot = copy;
        return 0;
    }
    case T_INT: {
        errno = 0;
        long n = strtol(value, &end, 10);
        if (errno || end == value || *end || n < s->min || n > s->max) {
            snprintf(err, errlen, "%s: '%s' is not a whole number from %ld to %ld", key, value,
                     s->min, s->max);
            return -1;
        }
        *(int *)slot = (int)n;
        return 0;
    }
    case T_PERCENT: {
        errno = 0;
        long n = strtol(value, &end, 10);
        if (*end == '%')
            end++;
        if (errno || end == value || *end || n < s->min || n > s->max) {
            snprintf(err, errlen, "%s: '%s' is not a percentage like 50%%", key, value);
            return -1;
        }
        *(int *)slot = (int)n;
        return 0;
    }
    case T_SIZE: {
        size_t n;
        if (config_parse_size(value, &n) < 0 || n < (size_t)s->min || n > (size_t)s->max) {
            snprintf(err, errlen, "%s: '%s' is not a size like 1MiB or 16KiB (%ld to %ld bytes)",
                     key, value, s->min, s->max);
            return -1;
        }
        *(size_t *)slot = n;
        return 0;
    }
    case T_DURATION: {
        int ms;
        if (config_parse_duration_ms(value, &ms) < 0 || ms < s->min || ms > s->max) {
            snprintf(err, errlen, "%s: '%s' is not a duration like 30s or 500ms (%ldms to %ldms)",
                     key, value, s->min, s->max);
            return -1;
        }
        *(int *)slot = ms;
        return 0;
    }
    case T_BOOL: {
        if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 || strcmp(value, "on") == 0)
            *(bool *)slot = true;
        else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0 ||
                 strcmp(value, "off") == 0)
            *(bool *)slot = false;
        else {
            snprintf(err, errlen, "%s: '%s' is not true or false", key, value);
            return -1;
        }
        return 0;
    }
    case T_RATE: {
        errno = 0;
        double d = strtod(value, &end);
        if (errno || end == value || *end || !isfinite(d) || d <= 0 || d > 1e6) {
            snprintf(err, errlen, "%s: '%s' is not a positive rate per second", key, value);
            return -1;
        }
        *(double *)slot = d;
        return 0;
    }
    }
    return -1;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

int config_parse_text(struct config *cfg, const char *text, const char *filename, char *err,
                      size_t errlen)
{
    int lineno = 0;
    const char *p = text;
    while (*p) {
        lineno++;
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[4096];
        if (len >= sizeof line) {
            snprintf(err, errlen, "%s:%d: line too long", filename, lineno);
            return -1;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        p = nl ? nl + 1 : p + len;
        /* A comment starts with '#' at the start of a line or after a blank, so that a value
         * may hold '#' (a password in a conninfo, say): "db = password=a#b # primary". */
        for (char *h = line; (h = strchr(h, '#')) != NULL; h++) {
            if (h == line || h[-1] == ' ' || h[-1] == '\t') {
                *h = '\0';
                break;
            }
        }
        char *l = trim(line);
        if (*l == '\0')
            continue;
        char *eq = strchr(l, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected 'key = value'", filename, lineno);
            return -1;
        }
        *eq = '\0';
        char *key = trim(l), *value = trim(eq + 1);
        char sub[256];
        if (config_set(cfg, key, value, sub, sizeof sub) < 0) {
            snprintf(err, errlen, "%s:%d: %s", filename, lineno, sub);
            return -1;
        }
    }
    return 0;
}

int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *text = NULL;
    size_t cap = 0, len = 0;
    int rc = -1;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            if (cap > (1u << 20)) {
                snprintf(err, errlen, "%s: larger than 1 MiB", path);
                goto out;
            }
            cap = cap ? cap * 2 : 8192;
            char *grown = realloc(text, cap);
            if (!grown) {
                snprintf(err, errlen, "out of memory");
                goto out;
            }
            text = grown;
        }
        size_t n = fread(text + len, 1, 4096, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        goto out;
    }
    text[len] = '\0';
    if (strlen(text) != len) {
        snprintf(err, errlen, "%s: holds a NUL byte", path);
        goto out;
    }
    rc = config_parse_text(cfg, text, path, err, errlen);
out:
    free(text);
    fclose(f);
    return rc;
}

int config_validate(const struct config *cfg, char *err, size_t errlen)
{
    if (!cfg->tls_cert || !cfg->tls_key) {
        snprintf(err, errlen, "tls-cert and tls-key are required: trechterd serves HTTPS only");
        return -1;
    }
    if (!cfg->db) {
        snprintf(err, errlen, "db is required (a libpq connection string)");
        return -1;
    }
    if (!cfg->sdc_secret_file) {
        snprintf(err, errlen, "sdc-secret-file is required (see docs/protection.md)");
        return -1;
    }
    if (cfg->max_body > cfg->max_import_body) {
        snprintf(err, errlen, "max-body may not be larger than max-import-body");
        return -1;
    }
    static const char *levels[] = {"debug", "info", "notice", "warning", "error"};
    bool level_ok = false;
    for (size_t i = 0; i < 5; i++)
        level_ok |= strcmp(cfg->log_level, levels[i]) == 0;
    if (!level_ok) {
        snprintf(err, errlen, "log-level: '%s' is not debug, info, notice, warning or error",
                 cfg->log_level);
        return -1;
    }
    return 0;
}
