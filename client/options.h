/* Where trechter's connection settings come from (pure): command-line options first, then the
 * environment (TRECHTER_URL, TRECHTER_TOKEN, TRECHTER_TOKEN_FILE), then the config file
 * (~/.config/trechter/config, `key = value` lines). Reading files is client/config_file.c's job;
 * this module only parses text and decides. */
#ifndef TRECHTER_CLIENT_OPTIONS_H
#define TRECHTER_CLIENT_OPTIONS_H

#include <stddef.h>

/* One level of settings; NULL = not given at this level. Strings are borrowed. */
struct settings_source {
    const char *url;
    const char *token;      /* the secret itself */
    const char *token_file; /* a file holding the token */
    const char *cacert;
    const char *cert;
    const char *key;
};

enum setting_origin { FROM_NONE, FROM_OPTION, FROM_ENV, FROM_CONFIG };

/* The settings a run uses. Strings are borrowed from the sources given to settings_resolve. */
struct settings {
    const char *url;
    enum setting_origin url_from;
    /* At most one of token / token_file is set: the one from the highest level; within a level
     * a token value wins over a token file. */
    const char *token;
    const char *token_file;
    enum setting_origin token_from;
    const char *cacert;
    const char *cert;
    const char *key;
};

/* Resolves each setting as the first of opt, env, file that gives it (any may be NULL).
 * The URL must be given and start with https:// (the token never travels in clear text); a
 * trailing '/' is tolerated by the caller (http.c strips it). Returns 0, or -1 with a message in
 * err that never contains a token. */
int settings_resolve(const struct settings_source *opt, const struct settings_source *env,
                     const struct settings_source *file, struct settings *out, char *err,
                     size_t errlen);

/* "the --token option", "TRECHTER_TOKEN_FILE", "the config file"... for messages. */
const char *settings_token_origin(const struct settings *s);

/* A parsed config file: owned copies of the values (free with config_file_clear). */
struct config_file {
    char *url;
    char *token;
    char *token_file;
    char *cacert;
    char *cert;
    char *key;
};

/* Parses config text: `key = value` lines, `#` comments and blank lines; keys url, token,
 * token-file, cacert, cert, key. A `token` line is accepted only when owner_only is true (the
 * file's mode gives nothing to group or others, i.e. 0600 or stricter): otherwise the parse fails
 * and tells to chmod 600 or use token-file. Unknown keys and lines without '=' fail with their line
 * number; values never appear in messages. Returns 0 or -1 (out is cleared on failure). */
int config_file_parse(const char *text, const char *path, int owner_only, struct config_file *out,
                      char *err, size_t errlen);
void config_file_clear(struct config_file *cf);
/* The file's settings as a source (borrowing from cf). */
void config_file_source(const struct config_file *cf, struct settings_source *out);

/* Strips trailing whitespace (the newline of a token file) in place; returns 0 when what is left
 * is a plausible bearer token: 1..4096 visible ASCII characters without spaces (RFC 6750 b64token
 * and more). The token's content is never reported. */
int token_check(char *token);

#endif
