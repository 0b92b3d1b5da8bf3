/* Request bodies from files or standard input, and telling CSV from JSON for imports. */
#ifndef TRECHTER_CLIENT_BODY_H
#define TRECHTER_CLIENT_BODY_H

#include <stddef.h>

enum import_type { IMPORT_CSV, IMPORT_JSON };

/* Reads all of path ("-" or NULL: standard input) up to cap bytes into a malloc'd buffer (NUL
 * added, not counted in *len). Returns 0, or -1 with a message in err (too large, unreadable). */
int body_read(const char *path, size_t cap, char **out, size_t *len, char *err, size_t errlen);

/* CSV or JSON (pure): by the file name's extension (.csv, .txt → CSV; .json → JSON), else by
 * content — the first character after an optional UTF-8 BOM and whitespace being '[' or '{'
 * means JSON, anything else CSV. */
enum import_type import_type_sniff(const char *path, const char *data, size_t len);

#endif
