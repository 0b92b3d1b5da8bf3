/* Reading trechter's files: the config file (~/.config/trechter/config or --config) and the token
 * file. The parsing and precedence rules are in client/options.h. */
#ifndef TRECHTER_CLIENT_CONFIG_FILE_H
#define TRECHTER_CLIENT_CONFIG_FILE_H

#include "client/options.h"

#include <stddef.h>

/* The default config path: $XDG_CONFIG_HOME/trechter/config, else $HOME/.config/trechter/config
 * (malloc'd; NULL when neither variable is set). */
char *config_default_path(void);

/* Loads and parses the config file at path. A missing file is fine (out stays empty, returns 0)
 * unless `required` (it was named by --config). Returns 0 or -1 with a message in err. */
int config_file_load(const char *path, int required, struct config_file *out, char *err,
                     size_t errlen);

/* Reads the token from a file: at most 4 KiB, trailing newline removed, checked by token_check.
 * *out is malloc'd (wipe and free with token_free). Warns on stderr when the file is readable by
 * group or others. Returns 0 or -1 with a message (never the content) in err. */
int token_file_read(const char *path, char **out, char *err, size_t errlen);

/* Overwrites and frees a token. */
void token_free(char *token);

#endif
