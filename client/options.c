/* Settings precedence and config-file parsing (pure); see options.h. */
#include "client/options.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "client/errbuf.h"

static int given(const char *v)
{
    return v != NULL && *v != '\0';
}

/* The first of the three that gives the value; its origin in *from. */
static const char *pick(const char *o, const char *e, const char *f, enum setting_origin *from)
{
    enum setting_origin none;
    if (from == NULL)
        from = &none;
    if (given(o)) {
        *from = FROM_OPTION;
        return o;
    }
    if (given(e)) {
        *from = FROM_ENV;
        return e;
    }
    if (given(f)) {
        *from = FROM_CONFIG;
        return f;
    }
    *from = FROM_NONE;
    return NULL;
}

int settings_resolve(const struct settings_source *opt, const struct settings_source *env,
                     const struct settings_source *file, struct settings *out, char *err,
                     size_t errlen)
{
    static const struct settings_source none;
    if (opt == NULL)
        opt = &none;
    if (env == NULL)
        env = &none;
    if (file == NULL)
        file = &none;
    memset(out, 0, sizeof *out);

    out->url = pick(opt->url, env->url, file->url, &out->url_from);
    out->cacert = pick(opt->cacert, env->cacert, file->cacert, NULL);
    out->cert = pick(opt->cert, env->cert, file->cert, NULL);
    out->key = pick(opt->key, env->key, file->key, NULL);

    const struct settings_source *levels[] = {opt, env, file};
    const enum setting_origin origins[] = {FROM_OPTION, FROM_ENV, FROM_CONFIG};
    for (size_t i = 0; i < 3; i++) {
        if (given(levels[i]->token)) {
            out->token = levels[i]->token;
            out->token_from = origins[i];
            break;
        }
        if (given(levels[i]->token_file)) {
            out->token_file = levels[i]->token_file;
            out->token_from = origins[i];
            break;
        }
    }

    if (out->url == NULL) {
        errbuf_set(err, errlen,
                   "no server URL: give --url, set TRECHTER_URL or put `url = https://...` in the "
                   "config file");
        return -1;
    }
    if (strncasecmp(out->url, "https://", 8) != 0 || out->url[8] == '\0') {
        errbuf_set(err, errlen, "the server URL must start with https:// (got it from %s)",
                   out->url_from == FROM_OPTION ? "--url"
                   : out->url_from == FROM_ENV  ? "TRECHTER_URL"
                                                : "the config file");
        return -1;
    }
    if (given(out->key) && !given(out->cert)) {
        errbuf_set(err, errlen, "a client key (--key) needs a client certificate (--cert)");
        return -1;
    }
    return 0;
}

const char *settings_token_origin(const struct settings *s)
{
    switch (s->token_from) {
    case FROM_OPTION:
        return s->token ? "the --token option" : "the --token-file option";
    case FROM_ENV:
        return s->token ? "TRECHTER_TOKEN" : "TRECHTER_TOKEN_FILE";
    case FROM_CONFIG:
        return s->token ? "the config file's token" : "the config file's token-file";
    case FROM_NONE:
    default:
        return "nowhere";
    }
}

void config_file_clear(struct config_file *cf)
{
    if (cf->token != NULL) {
        /* not OPENSSL_cleanse: this module stays free of libraries; volatile keeps the wipe */
        volatile char *p = cf->token;
        while (*p)
            *p++ = '\0';
    }
    free(cf->url);
    free(cf->token);
    free(cf->token_file);
    free(cf->cacert);
    free(cf->cert);
    free(cf->key);
    memset(cf, 0, sizeof *cf);
}

void config_file_source(const struct config_file *cf, struct settings_source *out)
{
    out->url = cf->url;
    out->token = cf->token;
    out->token_file = cf->token_file;
    out->cacert = cf->cacert;
    out->cert = cf->cert;
    out->key = cf->key;
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

int config_file_parse(const char *text, const char *path, int owner_only, struct config_file *out,
                      char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (text == NULL)
        text = "";
    size_t text_len = strlen(text);
    char *copy = strdup(text);
    if (copy == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    int rc = -1;
    unsigned lineno = 0;
    char *line = copy;
    while (line != NULL) {
        char *next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        lineno++;
        char *l = trim(line);
        line = next;
        if (*l == '\0' || *l == '#')
            continue;
        char *eq = strchr(l, '=');
        if (eq == NULL) {
            errbuf_set(err, errlen, "%s:%u: expected `key = value`", path, lineno);
            goto out;
        }
        *eq = '\0';
        char *key = trim(l);
        char *value = trim(eq + 1);
        char **slot = NULL;
        if (strcmp(key, "url") == 0)
            slot = &out->url;
        else if (strcmp(key, "token") == 0)
            slot = &out->token;
        else if (strcmp(key, "token-file") == 0)
            slot = &out->token_file;
        else if (strcmp(key, "cacert") == 0)
            slot = &out->cacert;
        else if (strcmp(key, "cert") == 0)
            slot = &out->cert;
        else if (strcmp(key, "key") == 0)
            slot = &out->key;
        else {
            errbuf_set(
                err, errlen,
                "%s:%u: unknown key '%.40s' (known: url, token-file, token, cacert, cert, key)",
                path, lineno, key);
            goto out;
        }
        if (slot == &out->token && !owner_only) {
            errbuf_set(err, errlen,
                       "%s:%u: holds a token but others may read the file: `chmod 600 %s`, or "
                       "put the token in a file of its own and name it with `token-file =`",
                       path, lineno, path);
            goto out;
        }
        if (*value == '\0')
            continue;
        free(*slot);
        *slot = strdup(value);
        if (*slot == NULL) {
            errbuf_set(err, errlen, "out of memory");
            goto out;
        }
    }
    rc = 0;
out : {
    volatile char *p = copy; /* may hold a token: wipe before freeing */
    for (size_t i = 0; i < text_len; i++)
        p[i] = '\0';
}
    free(copy);
    if (rc != 0)
        config_file_clear(out);
    return rc;
}

int token_check(char *token)
{
    size_t n = strlen(token);
    while (n > 0 && isspace((unsigned char)token[n - 1]))
        token[--n] = '\0';
    if (n == 0 || n > 4096)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)token[i];
        if (c <= 0x20 || c >= 0x7f)
            return -1;
    }
    return 0;
}
